"""Every route of the app that the OpenAPI document leaves out (the htmx pages and their form posts, the
PWA files, the documentation pages, /metrics) against every kind of caller: who gets in, who is kept out.

The routes come from the app's own route table, so a new page missing from WEB_ACCESS fails the test:
it must say who may see it. tests/hostile/test_authorization_matrix.py does the same for the API.

How pages refuse (ce_service/web/session.py): without a session a page is a 303 to /login, or for htmx
a 401 with `HX-Redirect: /login`; a form post without a session is a 401; the wrong role gets a 403 (an
HTML error page, or for htmx a problem document). A post must carry the session's CSRF token, which
pages give htmx in `hx-headers`; the sign-in form has its own double-submit token.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from ce_service.web.texts import ZH
from tests.builders import UNIT, api_client, national_id, person, record, user, web_sign_in
from tests.hostile.test_authorization_matrix import (
    ANYONE,
    DEPARTMENTS,
    MACHINES,
    REVIEWERS,
    ROLES,
    SIGNED_IN,
    role_user,
)

# (method, path pattern) -> who may reach it.
WEB_ACCESS: dict[tuple[str, str], set[str] | str] = {
    ("GET", "/login"): ANYONE,
    ("POST", "/login"): ANYONE,
    ("POST", "/logout"): SIGNED_IN,
    ("GET", "/"): SIGNED_IN,   # professionals' years; everyone else is sent on to their own home
    ("GET", "/years/{year}"): {"professional"},
    ("GET", "/records/new"): {"professional"},
    ("GET", "/records/{record_id}"): {"professional"},
    ("GET", "/records/{record_id}/edit"): {"professional"},
    ("POST", "/records/{record_id}/{action}"): {"professional"},
    ("GET", "/review"): REVIEWERS,
    ("GET", "/review/records/{record_id}"): REVIEWERS,
    ("POST", "/review/records/{record_id}/approve"): REVIEWERS,
    ("POST", "/review/records/{record_id}/return"): REVIEWERS,
    ("POST", "/review/approve-many"): REVIEWERS,
    ("GET", "/review/export.xlsx"): REVIEWERS,
    ("GET", "/review/duplicates"): DEPARTMENTS,
    ("POST", "/review/duplicates/{flag_id}/close"): DEPARTMENTS,
    ("GET", "/review/persons/{national_id}/integrity"): REVIEWERS,
    ("POST", "/review/persons/{national_id}/integrity"): DEPARTMENTS,
    ("GET", "/admin"): {"admin"},
    ("POST", "/admin/imports"): {"admin"},
    ("POST", "/admin/platforms/{name}/pull"): {"admin"},
    # The PWA shell: the service worker caches these before anyone signs in.
    ("GET", "/help"): ANYONE,   # the rules in words and how to install the app: for whoever cannot sign in yet
    ("GET", "/manifest.webmanifest"): ANYONE,
    ("GET", "/sw.js"): ANYONE,
    ("GET", "/offline"): ANYONE,
    ("GET", "/static/{file_path}"): ANYONE,
    ("HEAD", "/static/{file_path}"): ANYONE,
    # Open in the app; nginx lets only the monitoring network reach it (deploy/nginx/ce-service.conf).
    ("GET", "/metrics"): ANYONE,
    # The API's documentation.
    ("GET", "/schema"): ANYONE,
    ("GET", "/schema/{path}"): ANYONE,
    ("GET", "/schema/openapi.json"): ANYONE,
    ("GET", "/schema/openapi.yaml"): ANYONE,
    ("GET", "/schema/openapi.yml"): ANYONE,
    ("GET", "/schema/elements"): ANYONE,
    ("GET", "/schema/oauth2-redirect.html"): ANYONE,
    ("GET", "/schema/rapidoc"): ANYONE,
    ("GET", "/schema/redoc"): ANYONE,
    ("GET", "/schema/swagger"): ANYONE,
}
NID = national_id(5)
FILL = {"national_id": NID, "year": "2024", "action": "submit", "file_path": "app.css", "path": "nope", "name": "nope", "flag_id": "1"}
SAFE = ("GET", "HEAD")
# Sign-in and sign-out change who the client is: checked on their own, after every other route.
SESSION_ROUTES = {("POST", "/login"), ("POST", "/logout")}
CSRF_REFUSAL = "CSRF token"


def web_routes(app) -> list[tuple[str, str]]:
    """(method, path pattern) of every route of the app's route table that its OpenAPI document leaves out."""
    documented = {(method.upper(), path) for path, item in app.openapi_schema.to_schema()["paths"].items()
                  for method in item}
    found = set()
    for route in app.routes:
        path = re.sub(r"\{(\w+):[^}]*\}", r"{\1}", route.path)   # /records/{record_id:str} -> /records/{record_id}
        for handler in route.route_handlers:
            for method in handler.http_methods:
                # OPTIONS is litestar's own answer on every route (allowed methods), never a page.
                if method != "OPTIONS" and (method, path) not in documented:
                    found.add((method, path))
    return sorted(found, key=lambda route: (route[1], route[0]))


def outcome(answer) -> str:
    """What a refusal looks like (or 'let in' for anything that is not one)."""
    status, media = answer.status_code, answer.headers.get("content-type", "")
    # The sign-in form may carry the page to come back to (/login?next=…).
    if status == 303 and answer.headers.get("location", "").split("?")[0] == "/login":
        return "sent to sign-in"
    if status == 401 and answer.headers.get("hx-redirect", "").split("?")[0] == "/login":
        return "401 to sign-in"
    if status in (401, 403):
        if media.startswith("application/problem+json"):
            return f"{status} problem"
        words = ZH["login_expired"] if status == 401 else ZH["forbidden"]
        return f"{status} page" if media.startswith("text/html") and words in answer.text else f"{status} other"
    return "let in"


def expected(caller: str, method: str, htmx: bool, let_in: bool) -> str:
    if let_in:
        return "let in"
    if caller not in ROLES:   # no session: a page sends the browser to sign in; a form post is refused
        if method in SAFE:
            return "401 to sign-in" if htmx else "sent to sign-in"
        return "401 problem" if htmx else "401 page"
    return "403 problem" if htmx else "403 page"


async def waiting_record(db, pid: int) -> str:
    """A record of the person submitted and waiting at its unit's step."""
    rid = await record(db, pid, 2024, "professional", 8, history=[
        ("draft", datetime(2024, 3, 2, tzinfo=timezone.utc)), ("submitted", datetime(2024, 3, 3, tzinfo=timezone.utc))])
    await db.execute("update records set route = '{unit,hr}', step = 0, submitted_at = now() where id = $1", rid)
    return rid


async def state_of(db) -> tuple:
    """What a refused write must leave as it was: records, their history, integrity entries, sessions."""
    return (await db.fetch("select id, status, step, updated_at from records order by id"),
            await db.fetchval("select count(*) from record_events"),
            await db.fetchval("select count(*) from integrity_entries"),
            await db.fetchval("select count(*) from sessions"))


async def test_every_web_route_says_who_may_reach_it(api):
    routes = set(web_routes(api.app))
    assert sorted(routes - set(WEB_ACCESS)) == [], "add these routes to WEB_ACCESS"
    assert sorted(set(WEB_ACCESS) - routes) == [], "these routes are gone: remove them from WEB_ACCESS"
    assert {("GET", "/"), ("GET", "/review"), ("GET", "/admin"), ("POST", "/review/approve-many")} <= routes


@pytest.mark.parametrize("caller", ["anonymous", *MACHINES, *ROLES])
async def test_only_the_callers_allowed_reach_the_pages(api, db, caller):
    pid = await person(db, NID, periods=[(2015, "intermediate", "standard", "522601", UNIT)])
    rid = await waiting_record(db, pid)
    headers: dict[str, str] = {}
    csrf = ""
    if caller in MACHINES:
        headers = {"Authorization": "Bearer " + await api_client(db, caller)}
    elif caller in ROLES:
        await role_user(db, caller, pid)
        csrf = await web_sign_in(api, caller)
    fill = {**FILL, "record_id": rid}
    forms = {"/review/records/{record_id}/return": {"reason": "证书照片不清楚"},
             "/review/approve-many": {"record_id": rid},
             "/review/persons/{national_id}/integrity": {"kind": "falsification", "reason": "伪造学时证明",
                                                        "date": "2024-05-01", "document": "黔人社函〔2024〕1号"}}
    wrong: list[str] = []
    seen = 0
    for method, path in web_routes(api.app):
        if (method, path) in SESSION_ROUTES:
            continue
        url = re.sub(r"\{(\w+)\}", lambda m: fill[m.group(1)], path)
        allowed = WEB_ACCESS[(method, path)]
        let_in = allowed == ANYONE or caller in allowed
        form = forms.get(path) if method not in SAFE else None
        if method not in SAFE and let_in and caller in ROLES:
            # Let in by role, but a write without the page's token (or with a made-up one) changes nothing.
            before = await state_of(db)
            for token in (None, "0" * 64, csrf[:-1] + ("0" if csrf[-1] != "0" else "1")):
                refused = await api.request(method, url, data=form, follow_redirects=False, headers={
                    "HX-Request": "true", **({"X-CSRF-Token": token} if token else {})})
                if refused.status_code != 403 or CSRF_REFUSAL not in refused.text:
                    wrong.append(f"{method} {path}: {caller} with CSRF token {token!r} answered "
                                 f"{refused.status_code} {refused.text[:120]}")
            if await state_of(db) != before:
                wrong.append(f"{method} {path}: {caller} changed something without the page's CSRF token")
        for htmx in (False, True):
            sent = {**headers, **({"HX-Request": "true"} if htmx else {}),
                    **({"X-CSRF-Token": csrf} if csrf and method not in SAFE else {})}
            answer = await api.request(method, url, headers=sent, data=form, follow_redirects=False)
            seen += 1
            label = f"{method} {path} ({'htmx' if htmx else 'browser'}): {caller}"
            if answer.status_code >= 500:
                wrong.append(f"{label} answered {answer.status_code}: {answer.text[:200]}")
                continue
            got, want = outcome(answer), expected(caller, method, htmx, let_in)
            if got != want:
                wrong.append(f"{label}: {got} ({answer.status_code}), expected {want}")
    assert seen == 2 * (len(WEB_ACCESS) - len(SESSION_ROUTES))
    assert not wrong, "\n".join(wrong)

    # Sign-out: a signed-in caller needs the page's token, and afterwards its pages send it to sign in.
    before = await state_of(db)
    bare = await api.post("/logout", headers={**headers, "HX-Request": "true"})
    if caller in ROLES:
        assert bare.status_code == 403 and CSRF_REFUSAL in bare.text, bare.text
        assert await state_of(db) == before and (await api.get("/", follow_redirects=False)).status_code in (200, 303)
        out = await api.post("/logout", headers={"HX-Request": "true", "X-CSRF-Token": csrf})
        assert out.status_code == 200 and out.headers["hx-redirect"] == "/login", out.text
        assert outcome(await api.get("/", follow_redirects=False)) == "sent to sign-in"
    else:
        assert outcome(bare) == "401 problem", (bare.status_code, bare.text)

    # Sign-in is for anyone, but only with the form's double-submit token (cookie and field).
    await user(db, "walk-in", "admin")
    forged = await api.post("/login", data={"username": "walk-in", "password": "correct-horse-battery", "csrf": "x"},
                            headers=headers, follow_redirects=False)
    assert forged.status_code == 403 and ZH["login_expired"] in forged.text and "ce_session" not in str(
        forged.headers.get_list("set-cookie"))
    assert await web_sign_in(api, "walk-in")
