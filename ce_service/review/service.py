"""Reviewers' work: their queue, a record in full, approve, return, approve many, revoke."""

from __future__ import annotations

import re

import asyncpg

from ce_service import clock
from ce_service.auth.models import User
from ce_service.clock import CHINA
from ce_service.compliance.service import year_verdict
from ce_service.errors import Conflict, DomainError, FieldError, Forbidden, Invalid, NotFound, problem_of
from ce_service.hours import to_hours
from ce_service.identity import mask_national_id, national_id_error
from ce_service.integrity import queries as integrity_q
from ce_service.records import queries as records_q
from ce_service.records import transitions
from ce_service.records.schemas import EventOut
from ce_service.records.service import record_uuid
from ce_service.records.superseding import restore_superseded, supersede_by_official, supersede_if_official
from ce_service.records.transitions import Actor
from ce_service.rendering import off_loop
from ce_service.review import export
from ce_service.review import queries as q
from ce_service.review.form import Course, Decision, FormData, render_pdf, render_xlsx
from ce_service.review.schemas import ApproveManyOut, DuplicateFlag, DuplicatePage, Outcome, QueuePage, ReviewItem
from ce_service.rules.model import RuleBook

MAX_PAGE = 200
MAX_OFFSET = 1_000_000
MAX_SEARCH = 50
EXPORT_CAP = 5_000   # rows of one export: a file people open on a desk; the rest by narrower filters
ID_NUMBER = re.compile(r"[0-9]{17}[0-9Xx]")
WAITING = ("submitted", "unit_approved")


async def _kind(conn: asyncpg.Connection, user: User) -> asyncpg.Record:
    """The verifier kind this user works (code, scope, series filters); 403 for roles that review nothing."""
    row = await conn.fetchrow(q.VERIFIER_KIND, user.role)
    if row is None:
        raise Forbidden("Only reviewers have a queue.")
    return row


def _scope_args(user: User) -> tuple[str | None, str | None]:
    return user.unit_code, user.region_prefix


def _item(row: asyncpg.Record, history: list[EventOut] | None = None) -> ReviewItem:
    route, step = row["route"] or [], row["step"]
    return ReviewItem(
        str(row["id"]), row["national_id"], row["name"], row["series"], row["unit_code"], row["region"], row["year"],
        row["category"], to_hours(row["half_hours"]), row["course_title"], row["course_code"], row["completed_on"],
        row["provider"], row["source"], row["status"],
        route[step] if row["status"] in WAITING and step < len(route) else None,
        row["status_reason"], row["submitted_at"], row["evidence_ref"], history, row["unit_name"],
    )


def _in_scope(user: User, kind: asyncpg.Record, row: asyncpg.Record) -> bool:
    """The reviewer's unit or region, the series their kind answers for (e.g. health for 卫健), and for
    unit-scoped kinds the affiliation (a unit's staff, an agency's or industry department's people)."""
    if kind["series_only"] is not None and row["series"] != kind["series_only"]:
        return False
    if row["series"] in kind["series_excluded"]:
        return False
    if kind["scope"] == "unit":
        return (user.unit_code is not None and row["unit_code"] == user.unit_code
                and kind["affiliation"] in (None, row["affiliation"]))
    return user.region_prefix is not None and (row["region"] or "").startswith(user.region_prefix)


async def sees(conn: asyncpg.Connection, user: User, row: asyncpg.Record) -> bool:
    """True when a person or record (series, unit_code, region) is in this reviewer's scope."""
    kind = await conn.fetchrow(q.VERIFIER_KIND, user.role)
    return kind is not None and _in_scope(user, kind, row)


async def is_department(conn: asyncpg.Connection, user: User) -> bool:
    """True for reviewers of a region (HR, health and the like), who decide about hours registered twice."""
    return (await _kind(conn, user))["scope"] == "region"


def _search(search: str | None) -> tuple[str | None, str | None]:
    """The search box as (ID number, part of a name): 18 characters of an ID number search it exactly."""
    text = (search or "").strip()
    if not text:
        return None, None
    if ID_NUMBER.fullmatch(text):
        return text.upper(), None
    return None, text


async def _queue_args(conn: asyncpg.Connection, user: User, year: int | None, source: str | None,
                      national_id: str | None, status: str | None, search: str | None,
                      errors: list[FieldError]) -> tuple | None:
    """The queue's filters as query arguments ($1 to $8), or None when they can match nothing."""
    if status is not None and status not in WAITING:
        errors.append(FieldError("status", f"must be one of {', '.join(WAITING)}", code="one_of",
                                 params={"choices": ", ".join(WAITING)}))
    if year is not None and not 1950 <= year <= 2200:
        errors.append(FieldError("year", "must be between 1950 and 2200", code="out_of_range",
                                 params={"min": 1950, "max": 2200}))
    if search is not None and len(search) > MAX_SEARCH:
        errors.append(FieldError("q", f"must be at most {MAX_SEARCH} characters", code="too_long",
                                 params={"max": MAX_SEARCH}))
    if "\x00" in (search or ""):
        errors.append(FieldError("q", "must not contain the NUL character", code="nul_character"))
    if errors:
        raise Invalid.of(errors)
    kind = await _kind(conn, user)
    unit, region = _scope_args(user)
    searched_id, name = _search(search)
    if searched_id and national_id and searched_id != national_id:
        return None
    # The search narrows what the filters and the scope give; it never stands in for the scope.
    return (kind["code"], unit, region, year, source, searched_id or national_id, status, name)


async def queue(conn: asyncpg.Connection, user: User, *, year: int | None, source: str | None,
                national_id: str | None, status: str | None, limit: int, offset: int,
                search: str | None = None) -> QueuePage:
    """The records waiting for this reviewer's kind of verification, in their scope, oldest first.

    `search` finds by ID number (all 18 characters, exactly) or by a part of the name.
    """
    errors = []
    if not 1 <= limit <= MAX_PAGE:
        errors.append(FieldError("limit", f"must be between 1 and {MAX_PAGE}", code="out_of_range",
                                 params={"min": 1, "max": MAX_PAGE}))
    if not 0 <= offset <= MAX_OFFSET:
        errors.append(FieldError("offset", f"must be between 0 and {MAX_OFFSET}", code="out_of_range",
                                 params={"min": 0, "max": MAX_OFFSET}))
    args = await _queue_args(conn, user, year, source, national_id, status, search, errors)
    if args is None:
        return QueuePage([], 0, limit, offset)
    total = await conn.fetchval(q.QUEUE_COUNT, *args)
    rows = await conn.fetch(q.QUEUE_PAGE, *args, limit, offset)
    return QueuePage([_item(r) for r in rows], total, limit, offset)


async def next_waiting(conn: asyncpg.Connection, user: User, after: str, *, year: int | None,
                       search: str | None) -> str | None:
    """The record to decide after `after`: the next one of the (filtered) queue, else its first; None when empty."""
    args = await _queue_args(conn, user, year, None, None, None, search, [])
    if args is None:
        return None
    after_id = record_uuid(after)
    found = await conn.fetchval(q.QUEUE_NEXT, *args, after_id) or await conn.fetchval(q.QUEUE_FIRST, *args, after_id)
    return str(found) if found else None


async def queue_export(conn: asyncpg.Connection, user: User, *, year: int | None,
                       search: str | None) -> tuple[bytes, str, int]:
    """The (filtered) queue as an XLSX file of at most EXPORT_CAP rows, oldest first: (content, file name, total)."""
    args = await _queue_args(conn, user, year, None, None, None, search, [])
    rows = [] if args is None else await conn.fetch(q.QUEUE_PAGE, *args, EXPORT_CAP, 0)
    total = 0 if args is None else await conn.fetchval(q.QUEUE_COUNT, *args)
    items = [export.Row(mask_national_id(r["national_id"]), r["name"], r["unit_name"] or r["unit_code"] or "",
                        r["year"], r["category"], to_hours(r["half_hours"]), r["course_title"], r["provider"],
                        r["completed_on"], r["source"], r["submitted_at"], _item(r).next_step, r["status"])
             for r in rows]
    sheet = export.QueueSheet(items, total, EXPORT_CAP, clock.now(), searched=bool(search and search.strip()), year=year)
    # Rendering is CPU work on text people typed: in its own process, so no request waits for it.
    content = await off_loop(export.render_queue_xlsx, sheet)
    return content, f"review-queue-{clock.now().astimezone(CHINA):%Y%m%d-%H%M}.xlsx", total


async def record(conn: asyncpg.Connection, user: User, record_id: str) -> ReviewItem:
    """A record in the reviewer's scope with its whole history (404 outside the scope)."""
    kind = await _kind(conn, user)
    row = await conn.fetchrow(q.RECORD, record_uuid(record_id))
    # A draft is its owner's alone until it is sent: no reviewer reads it, even in scope.
    if row is None or row["status"] == "draft" or not _in_scope(user, kind, row):
        raise NotFound("No such record.")
    history = [EventOut(e["at"], e["action"], e["from_status"], e["to_status"], e["actor_name"], e["role"], e["reason"])
               for e in await conn.fetch(q.EVENTS, row["id"])]
    return _item(row, history)


async def _for_decision(conn: asyncpg.Connection, user: User, record_id: str) -> tuple[asyncpg.Record, str]:
    kind = await _kind(conn, user)
    found = await conn.fetchrow(q.RECORD, record_uuid(record_id))
    if found is None or not _in_scope(user, kind, found):
        raise NotFound("No such record.")
    # The person's lock before the record's row lock, the order submitting and intake take them in,
    # so a decision and an arrival of the same course cannot miss each other.
    await conn.execute(records_q.LOCK_PERSON, found["person_id"])
    row = await conn.fetchrow(q.RECORD_FOR_UPDATE, found["id"])
    return row, kind["code"]


async def _already_decided(conn: asyncpg.Connection, row: asyncpg.Record) -> Conflict:
    last = await conn.fetchrow(q.LAST_DECISION, row["id"])
    by = f" ({last['action']} by {last['actor_name']} at {last['at']:%Y-%m-%d %H:%M:%S %Z})" if last else ""
    return Conflict(f"The record is not waiting for your decision: it is {row['status']}{by}.")


def _waiting_for(row: asyncpg.Record, kind: str) -> bool:
    route, step = row["route"] or [], row["step"]
    return row["status"] in WAITING and step < len(route) and route[step] == kind


async def approve(conn: asyncpg.Connection, user: User, record_id: str) -> ReviewItem:
    """Approve this step; the last step registers the record (谁审核谁签字: the event names the reviewer)."""
    async with conn.transaction():
        row, kind = await _for_decision(conn, user, record_id)
        if not _waiting_for(row, kind):
            raise await _already_decided(conn, row)
        status = await transitions.approve(conn, row, Actor.of_user(user))
        if status == "registered" and row["source"] != "self":
            # Only a registered official record supersedes the person's own record of the same course.
            await supersede_by_official(conn, [row["id"]])
        elif status == "registered":
            # An own record registered beside a registered official one of the same course: flagged.
            await supersede_if_official(conn, row["id"])
    return await record(conn, user, record_id)


async def return_record(conn: asyncpg.Connection, user: User, record_id: str, reason: str) -> ReviewItem:
    """Send a record back to its owner with the reason; they can fix it and submit again."""
    reason = reason.strip()
    if not reason:
        raise Invalid.field("reason", "say why the record is returned", code="required")
    async with conn.transaction():
        row, kind = await _for_decision(conn, user, record_id)
        if not _waiting_for(row, kind):
            raise await _already_decided(conn, row)
        await transitions.return_(conn, row, Actor.of_user(user), reason)
        await restore_superseded(conn, row["id"], "官方记录被退回")
    return await record(conn, user, record_id)


async def approve_many(conn: asyncpg.Connection, user: User, record_ids: list[str]) -> ApproveManyOut:
    """Approve each record on its own (its own transaction and event); one failure stops nothing."""
    results = []
    for record_id in record_ids:
        try:
            item = await approve(conn, user, record_id)
            results.append(Outcome(record_id, item.status))
        except DomainError as exc:
            results.append(Outcome(record_id, "error", problem_of(exc)))
    approved = sum(1 for r in results if r.status != "error")
    return ApproveManyOut(approved, len(results) - approved, results)


async def revoke(conn: asyncpg.Connection, user: User, record_id: str, reason: str) -> ReviewItem:
    """Revoke a registered record (HR or health reviewers) and enter it in the person's integrity file."""
    reason = reason.strip()
    if not reason:
        raise Invalid.field("reason", "say why the record is revoked", code="required")
    if (await _kind(conn, user))["scope"] != "region":
        raise Forbidden("Only departments (HR, health and the like) may revoke registered hours, not units.")
    async with conn.transaction():
        row, _ = await _for_decision(conn, user, record_id)
        if row["status"] != "registered":
            raise Conflict(f"Only registered records can be revoked; this one is {row['status']}.")
        await transitions.revoke(conn, row, Actor.of_user(user), reason)
        await restore_superseded(conn, row["id"], "官方记录被撤销")
        await conn.execute(integrity_q.INSERT_ENTRY, row["person_id"], "revocation", reason, clock.today(), "",
                           False, row["id"], "user", user.id, f"{user.display_name} ({user.role} {user.scope})")
    return await record(conn, user, record_id)



async def duplicates(conn: asyncpg.Connection, user: User, open_only: bool, limit: int, offset: int) -> DuplicatePage:
    """Courses that seem registered twice in the reviewer's region (the own record and an official one), oldest first."""
    errors = []
    if not 1 <= limit <= MAX_PAGE:
        errors.append(FieldError("limit", f"must be between 1 and {MAX_PAGE}", code="out_of_range", params={"min": 1, "max": MAX_PAGE}))
    if not 0 <= offset <= MAX_OFFSET:
        errors.append(FieldError("offset", f"must be between 0 and {MAX_OFFSET}", code="out_of_range", params={"min": 0, "max": MAX_OFFSET}))
    if errors:
        raise Invalid.of(errors)
    kind = await _department(conn, user)
    args = (kind["code"], user.region_prefix or "", open_only)
    total = await conn.fetchval(q.FLAGS_COUNT, *args)
    rows = await conn.fetch(q.FLAGS_PAGE, *args, limit, offset)
    return DuplicatePage([await _flag(conn, row) for row in rows], total, limit, offset)


async def close_duplicate(conn: asyncpg.Connection, user: User, flag_id: int, reason: str) -> DuplicateFlag:
    """Close a flag with what was decided (revoke one of the two first, or say why both stand)."""
    reason = reason.strip()
    if not reason:
        raise Invalid.field("reason", "say what was decided", code="required")
    kind = await _department(conn, user)
    if not 0 < flag_id < 2**63:
        raise NotFound("No such duplicate flag.")
    async with conn.transaction():
        row = await conn.fetchrow(q.FLAG_FOR_UPDATE, flag_id)
        own = row and await conn.fetchrow(q.RECORD, row["record_id"])
        # Checked again now, against the record as it stands: outside the scope looks like not existing.
        if row is None or not _in_scope(user, kind, own):
            raise NotFound("No such duplicate flag.")
        if row["closed_at"] is not None:
            raise Conflict(f"The flag was closed already, at {row['closed_at']:%Y-%m-%d %H:%M:%S %Z} by {row['closed_by']}.")
        await conn.execute(q.CLOSE_FLAG, flag_id, f"{user.display_name} ({user.role} {user.scope})：{reason}")
        row = await conn.fetchrow(q.FLAG, flag_id)
    return await _flag(conn, row)


async def _department(conn: asyncpg.Connection, user: User) -> asyncpg.Record:
    kind = await _kind(conn, user)
    if kind["scope"] != "region":
        raise Forbidden("Only departments (HR, health and the like) decide about hours registered twice.")
    return kind


async def _flag(conn: asyncpg.Connection, row: asyncpg.Record) -> DuplicateFlag:
    own, official = await conn.fetchrow(q.RECORD, row["record_id"]), await conn.fetchrow(q.RECORD, row["official_id"])
    return DuplicateFlag(row["id"], row["reason"], row["created_at"], row["closed_at"], row["closed_by"], _item(own),
                         _item(official))


FORMATS = {"pdf": "application/pdf", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


async def registration_form(conn: asyncpg.Connection, user: User, book: RuleBook, national_id: str | None,
                            year: int, fmt: str) -> tuple[bytes, str, str]:
    """The 《继续教育学时审核登记表》 of a person for a year: (content, media type, file name).

    Reviewers see the people in their scope with the full ID number; a professional (national_id
    None) sees their own.
    """
    if national_id is None:
        national_id = await conn.fetchval(q.OWN_NATIONAL_ID, user.person_id) or ""
    errors = []
    if fmt not in FORMATS:
        errors.append(FieldError("format", "must be pdf or xlsx", code="one_of", params={"choices": "pdf, xlsx"}))
    if not 1950 <= year <= clock.today().year:
        errors.append(FieldError("year", "must be a past or the current year", code="out_of_range",
                                 params={"min": 1950, "max": clock.today().year}))
    if message := national_id_error(national_id):
        errors.append(FieldError("national_id", message, code="bad_national_id"))
    if errors:
        raise Invalid.of(errors)
    person = await conn.fetchrow(q.FORM_PERSON, national_id, year)
    own = user.role == "professional" and person is not None and person["id"] == user.person_id
    if not own:
        kind = await _kind(conn, user)
        if person is None or not _in_scope(user, kind, person):
            raise NotFound("No such person in your scope.")
    verdict = await year_verdict(conn, book, national_id, year)
    courses = [Course(r["course_title"], r["provider"], r["completed_on"], to_hours(r["half_hours"]), r["category"],
                      r["source"], r["status"], r["next_step"]) for r in await conn.fetch(q.FORM_RECORDS, person["id"], year)]
    decisions = [Decision(r["course_title"], r["action"], r["actor_name"], r["role"], r["at"])
                 for r in await conn.fetch(q.FORM_DECISIONS, person["id"], year)]
    data = FormData(
        name=person["name"], national_id=national_id if user.role != "admin" else mask_national_id(national_id),
        unit=person["unit_name"] or (person["unit_code"] or "—"), series=person["series_zh"], level=person["level"],
        year=year, courses=courses, public=to_hours(verdict.registered.public),
        professional=to_hours(verdict.registered.professional), total=to_hours(verdict.registered.total),
        rule=verdict.rule.name if verdict.rule else "", required=to_hours(verdict.required),
        required_professional=to_hours(verdict.required_professional), verdict=verdict.status,
        decisions=decisions, generated_at=clock.now(),
    )
    # Rendering is CPU work on text people typed: in its own process, so no request waits for it.
    content = await off_loop(render_pdf if fmt == "pdf" else render_xlsx, data)
    return content, FORMATS[fmt], f"registration-{year}-{mask_national_id(national_id).replace('*', 'x')}.{fmt}"
