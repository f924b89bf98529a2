"""The professional's pages: years at a glance, a year's records, one record, the form to add or fix one."""

from __future__ import annotations

import asyncpg
from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.di import Provide

from ce_service import clock
from ce_service.auth.guards import provide_user, signed_in
from ce_service.auth.models import User
from ce_service.compliance.service import own_years
from ce_service.errors import NotFound
from ce_service.identity.region import region_name
from ce_service.records import service as records
from ce_service.records.transitions import owner_actions
from ce_service.rules.evaluate import YearVerdict
from ce_service.web.help import RuleSetText, requirement_words, rule_set_texts
from ce_service.web.render import html
from ce_service.web.session import home_of, page_csrf, page_user
from ce_service.web.texts import LEVEL_ZH, WORKPLACE_ZH

YEARS_SHOWN = 6   # this year and the five before
ACTION_SHOWN = 5  # returned records and drafts listed on the home; the rest are on the year pages
HEALTH = "health"
WRITE = {"guards": [signed_in("professional")], "dependencies": {"user": Provide(provide_user, sync_to_thread=False)},
         "include_in_schema": False}


def bar(part: float, whole: float) -> int:
    """Percent of a bar filled, 0-100."""
    return 100 if whole <= 0 else max(0, min(100, round(100 * part / whole)))


@get("/", include_in_schema=False)
async def home(request: Request, db: asyncpg.Connection, state: State) -> Response:
    """A card per year: registered against the rule, pending, the verdict."""
    user = await page_user(request)
    if user.role != "professional":
        return Response("", status_code=303, headers={"Location": home_of(user)})
    this_year = clock.today().year
    book = await state.rules.current(db)
    verdicts = await own_years(db, book, user.person_id, this_year - YEARS_SHOWN + 1, this_year)
    texts = await rule_set_texts(db)
    return html("home.html", user=user, csrf=page_csrf(request), years=list(reversed(verdicts)), bar=bar,
                explained={v.year: explain(v, texts) for v in verdicts},
                returned=await records.in_status(db, user, "returned", ACTION_SHOWN),
                drafts=await records.in_status(db, user, "draft", ACTION_SHOWN),
                health=await records.own_series(db, user) == HEALTH)


def explain(v: YearVerdict, texts: dict[str, RuleSetText]) -> dict[str, str] | None:
    """A year's rule in plain words, the document it rests on, and what it was worked out for (None: no rule)."""
    if v.rule is None or v.level is None or v.workplace is None or v.status in ("exempt", "not_applicable"):
        return None
    text = texts.get(v.rule.set_name)
    basis = [region_name(v.region) if v.region else "", LEVEL_ZH.get(v.level, ""),
             WORKPLACE_ZH.get(v.workplace, "") if v.workplace != "standard" else ""]
    return {"requirement": requirement_words(v.rule, v.required, v.required_professional),
            "document": text.document if text else "", "basis": " · ".join(b for b in basis if b)}


@get("/years/{year:int}", include_in_schema=False)
async def year_records(request: Request, year: int, db: asyncpg.Connection) -> Response:
    """One year's records, every status."""
    user = await page_user(request, "professional")
    page = await records.list_own(db, user, year, None, records.MAX_PAGE, 0)
    return html("year.html", user=user, csrf=page_csrf(request), year=year, records=page.items, total=page.total)


@get("/records/new", include_in_schema=False)
async def new_record(request: Request, db: asyncpg.Connection) -> Response:
    """The form to log hours (the page script keeps it on the device until it is sent)."""
    user = await page_user(request, "professional")
    today = clock.today()
    return html("record_form.html", user=user, csrf=page_csrf(request), record=None, today=today.isoformat(),
                min_date=await _min_date(db, user), **_form_limits(request))


@get("/records/{record_id:str}", include_in_schema=False)
async def record_page(request: Request, record_id: str, db: asyncpg.Connection) -> Response:
    """One record: what it says, its certificate, its history, what can be done with it."""
    user = await page_user(request, "professional")
    record = await records.get_own(db, user, record_id)
    kind = request.app.state.evidence.kind(record.evidence_ref) if record.evidence_ref else None
    actions = owner_actions(record.source, record.status)
    return html("record.html", user=user, csrf=page_csrf(request), record=record, evidence_kind=kind,
                can_edit="edit" in actions, can_submit="submit" in actions, can_withdraw="withdraw" in actions,
                warnings=await records.duplicates_of(db, user, record))


@get("/records/{record_id:str}/edit", include_in_schema=False)
async def edit_record(request: Request, record_id: str, db: asyncpg.Connection) -> Response:
    """The form to fix a draft or a returned record, with the reviewer's reason."""
    user = await page_user(request, "professional")
    record = await records.get_own(db, user, record_id)
    if "edit" not in owner_actions(record.source, record.status):
        return Response("", status_code=303, headers={"Location": f"/records/{record.id}"})
    return html("record_form.html", user=user, csrf=page_csrf(request), record=record,
                today=clock.today().isoformat(), min_date=await _min_date(db, user), **_form_limits(request))


async def _min_date(db: asyncpg.Connection, user: User) -> str:
    """The earliest completion date the form offers: 1 January of the person's first period ('' when none)."""
    first = await records.first_year(db, user)
    return f"{first:04d}-01-01" if first else ""


def _form_limits(request: Request) -> dict[str, object]:
    """The limits the record form states: largest hours of a record and of a certificate file."""
    settings = request.app.state.settings
    return {"max_hours": settings.max_hours_per_record,
            "max_evidence_mb": f"{settings.max_evidence_bytes / 1024 / 1024:.3g}"}


@post("/records/{record_id:str}/{action:str}", **WRITE)
async def record_action(record_id: str, action: str, user: User, db: asyncpg.Connection) -> Response:
    """Submit or withdraw (htmx), then show the record again."""
    if action not in ("submit", "withdraw"):
        raise NotFound("No such action.")
    record = await records.act(db, user, record_id, action)
    return Response("", status_code=200, headers={"HX-Redirect": f"/records/{record.id}"})


ROUTES = [home, year_records, new_record, record_page, edit_record, record_action]
