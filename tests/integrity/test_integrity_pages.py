"""The integrity file on the web: reviewers in scope see it; HR and health reviewers add entries with a form."""

from __future__ import annotations

from datetime import timedelta

from ce_service import clock
from tests.builders import OTHER_UNIT, UNIT, national_id, person, user
from tests.web.test_pages import login, page_csrf

NID = national_id(21)
HTMX = {"HX-Request": "true"}
ATTACK = "<script>alert(1)</script>"


async def _people(db) -> None:
    await person(db, NID, name="张三")
    await user(db, "hr", "hr_reviewer", region_prefix="5226")
    await user(db, "hr-hubei", "hr_reviewer", region_prefix="42")
    await user(db, "unit", "unit_reviewer", unit_code=UNIT)
    await user(db, "other-unit", "unit_reviewer", unit_code=OTHER_UNIT)


async def test_hr_reviewer_adds_an_entry_with_the_form(api, db, caplog):
    """Seeds 001/002: "弄虚作假、学术不端…记入诚信档案库。情节严重的，取消三年内职称申报及岗位晋升资格"."""
    await _people(db)
    await login(api, "hr")
    page = await api.get(f"/review/persons/{NID}/integrity")
    assert page.status_code == 200 and "诚信档案中没有记录" in page.text and "记入诚信档案" in page.text
    url = f"/review/persons/{NID}/integrity"
    form = {"kind": "misconduct", "reason": ATTACK, "date": (clock.today() - timedelta(days=1)).isoformat(),
            "document": '<img src=x onerror=alert(1)>', "bars_declaration": "1"}
    assert (await api.post(url, data=form, headers=HTMX)).status_code == 403          # no CSRF token
    token = page_csrf(page.text)
    added = await api.post(url, data=form, headers={**HTMX, "X-CSRF-Token": token})
    assert added.status_code == 200 and added.headers["HX-Redirect"] == f"{url}?done=1"
    row = await db.fetchrow("select kind, reason, document, bars_declaration, actor_kind, actor from integrity_entries")
    assert dict(row) == {"kind": "misconduct", "reason": ATTACK, "document": form["document"], "bars_declaration": True,
                         "actor_kind": "user", "actor": "hr (hr_reviewer 5226)"}

    shown = await api.get(f"{url}?done=1")
    assert "已记入诚信档案" in shown.text and "学术不端" in shown.text and "取消申报资格" in shown.text
    assert ATTACK not in shown.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in shown.text
    assert "<img src=x" not in shown.text
    assert NID not in caplog.text and ATTACK not in caplog.text


async def test_the_form_checks_what_the_api_checks(api, db):
    await _people(db)
    await login(api, "hr")
    url = f"/review/persons/{NID}/integrity"
    headers = {**HTMX, "X-CSRF-Token": page_csrf((await api.get(url)).text)}
    future = (clock.today() + timedelta(days=2)).isoformat()
    wrong = await api.post(url, data={"kind": "revocation", "reason": " ", "date": future, "document": "x" * 1001},
                           headers=headers)
    assert wrong.status_code == 422
    assert [e["field"] for e in wrong.json()["errors"]] == ["kind", "reason", "date", "document"]
    no_date = await api.post(url, data={"kind": "blacklist", "reason": "失信", "date": "not a date"}, headers=headers)
    assert no_date.status_code == 422 and no_date.json()["errors"][0]["field"] == "date"
    assert await db.fetchval("select count(*) from integrity_entries") == 0
    # Without the box ticked the entry does not bar declaring.
    plain = await api.post(url, data={"kind": "blacklist", "reason": "失信", "date": clock.today().isoformat()},
                           headers=headers)
    assert plain.status_code == 200 and await db.fetchval("select bars_declaration from integrity_entries") is False
    # A hand-made "0" or "false" is no, too: only the checkbox's own value bars.
    for no in ("0", "false", "no"):
        sent = await api.post(url, data={"kind": "blacklist", "reason": "失信", "date": clock.today().isoformat(),
                                         "bars_declaration": no}, headers=headers)
        assert sent.status_code == 200
    assert await db.fetchval("select bool_or(bars_declaration) from integrity_entries") is False


async def test_who_sees_the_page_and_who_may_write(api, db):
    await _people(db)
    url = f"/review/persons/{NID}/integrity"
    await login(api, "unit")   # the person's unit reads the file, without the form
    page = await api.get(url)
    assert page.status_code == 200 and "<form" not in page.text.split("<main", 1)[-1]
    refused = await api.post(url, data={"kind": "blacklist", "reason": "x", "date": clock.today().isoformat()},
                             headers={**HTMX, "X-CSRF-Token": page_csrf(page.text)})
    assert refused.status_code == 403
    for outsider in ("other-unit", "hr-hubei"):
        await login(api, outsider)
        assert (await api.get(url)).status_code == 404
        headers = {**HTMX, "X-CSRF-Token": page_csrf((await api.get("/review")).text)}
        answer = await api.post(url, data={"kind": "blacklist", "reason": "x", "date": clock.today().isoformat()},
                                headers=headers)
        assert answer.status_code in (403, 404)
    assert await db.fetchval("select count(*) from integrity_entries") == 0
