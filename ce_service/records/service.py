"""A professional's own records: create, edit, submit, withdraw, list, read with history."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import msgspec

from ce_service import clock
from ce_service.auth.models import User
from ce_service.errors import Conflict, FieldError, Invalid, NotFound
from ce_service.hours import to_half_hours, to_hours
from ce_service.records import queries as q
from ce_service.records import transitions
from ce_service.records.lifecycle import EDITABLE, STATUSES
from ce_service.records.schemas import (
    CreatedRecordOut,
    EventOut,
    RecordIn,
    RecordOut,
    RecordPage,
    RecordPatch,
    RecordWarning,
)
from ce_service.records.superseding import normalise_title, supersede_if_official
from ce_service.records.transitions import Actor
from ce_service.records.validation import record_errors

MAX_PAGE = 200
MAX_OFFSET = 1_000_000

# The content fields a professional may set; all of them are checked again after every edit.
CONTENT_FIELDS = ("year", "category", "hours", "course_title", "completed_on", "provider", "course_code",
                  "region_earned", "evidence_ref")


def _check_content(content: dict[str, Any], max_hours: int, first_year: int | None) -> None:
    errors = record_errors(
        year=content["year"], category=content["category"], hours=content["hours"],
        completed_on=content["completed_on"], course_title=content["course_title"],
        region_earned=content["region_earned"], today=clock.today(), max_hours=max_hours,
    )
    if not any(e.field == "year" for e in errors) and (error := year_outside_periods(content["year"], first_year)):
        errors.insert(0, error)
    if errors:
        raise Invalid.of(errors)


def year_outside_periods(year: int, first_year: int | None) -> FieldError | None:
    """A year before the person's first period counts for nothing (no card shows it): refused, saying why."""
    if first_year is None:
        return FieldError("year", "no period of yours is registered, so no year can count yet; ask your unit",
                          code="no_period")
    if year < first_year:
        return FieldError("year", f"must be {first_year} or later: your registration starts in {first_year}",
                          code="before_first_period", params={"first_year": first_year})
    return None


def _content_args(content: dict[str, Any]) -> tuple:
    return (content["year"], content["category"], to_half_hours(content["hours"]), content["course_title"].strip(),
            content["completed_on"], content["provider"].strip(), content["course_code"], content["region_earned"],
            content["evidence_ref"])


def _owner(user: User) -> int:
    if user.person_id is None:  # guards admit only professionals; this keeps the type honest
        raise NotFound("No records.")
    return user.person_id


async def create_draft(conn: asyncpg.Connection, user: User, data: RecordIn,
                       max_hours: int) -> tuple[CreatedRecordOut, bool]:
    """Save a new self-logged record as a draft, with its first event; (record, False) for a repeated client_key."""
    content = msgspec.structs.asdict(data)
    _check_content(content, max_hours, await conn.fetchval(q.FIRST_PERIOD_YEAR, _owner(user)))
    async with conn.transaction():
        # The person's lock: two records of one course created at once still see each other.
        await conn.execute(q.LOCK_PERSON, _owner(user))
        row = await conn.fetchrow(q.INSERT_RECORD, _owner(user), *_content_args(content), user.id, data.client_key)
        created = row is not None
        if not created:
            row = await conn.fetchrow(q.BY_CLIENT_KEY, _owner(user), data.client_key)
        else:
            await transitions.created(conn, row["id"], Actor.of_user(user), "draft")
    out = to_out(row)
    # Said again to a repeated client_key too: the first answer, and its warning, may have been lost.
    warnings = await duplicates_of(conn, user, out)
    return CreatedRecordOut(**msgspec.structs.asdict(out), warnings=warnings), created


async def _flag_repeats(conn: asyncpg.Connection, row: Any) -> None:
    """A submitted record repeating another submitted own record is kept (never lost) but flagged for the region's
    reviewers. Drafts stay their owner's alone: a pair is flagged only once both have been sent for review."""
    for other in await same_own_records(conn, row):
        if other["source"] == "self" and other["status"] in SENT_FOR_REVIEW:
            await conn.execute(q.FLAG_DUPLICATE, row["id"], other["id"], DUPLICATE_FLAG)


# What reviewers may see of a person's own records: everything ever sent to them (never a draft).
SENT_FOR_REVIEW = frozenset({"submitted", "unit_approved", "registered", "returned"})

# Why an own record repeating another is flagged (the reviewers' list of duplicates shows it).
DUPLICATE_FLAG = "本人登记了两条课程名称、完成日期和学时都相同的记录，请审核人员核实是否重复登记"


async def same_own_records(conn: asyncpg.Connection, row: Any) -> list[asyncpg.Record]:
    """The person's other live records of the same course: equal title (as superseding compares), date and hours."""
    candidates = await conn.fetch(q.SAME_DAY_AND_HOURS, row["person_id"], row["id"], row["completed_on"],
                                  row["half_hours"])
    title = normalise_title(row["course_title"])
    return [c for c in candidates if title and normalise_title(c["course_title"]) == title]


async def duplicates_of(conn: asyncpg.Connection, user: User, record: RecordOut) -> list[RecordWarning]:
    """What the owner is warned about a record: other live records of theirs that look like the same course."""
    if record.status not in ("draft", "submitted", "unit_approved", "registered", "returned"):
        return []
    row = {"person_id": _owner(user), "id": uuid.UUID(record.id), "completed_on": record.completed_on,
           "half_hours": to_half_hours(record.hours), "course_title": record.course_title}
    same = await same_own_records(conn, row)
    if not same:
        return []
    return [RecordWarning("duplicate", f"{len(same)} other record(s) of yours have the same course title, completion "
                          "date and hours; this one was kept: check that it is not the same course logged twice",
                          [str(s["id"]) for s in same])]


async def edit(conn: asyncpg.Connection, user: User, record_id: str, patch: RecordPatch, max_hours: int) -> RecordOut:
    """Change a draft or returned record; every field is checked again as a whole."""
    async with conn.transaction():
        row = await _own_for_update(conn, user, record_id)
        _refuse_unless(EDITABLE, row["status"], "edit")
        content = {f: row[f] for f in CONTENT_FIELDS if f != "hours"}
        content["hours"] = to_hours(row["half_hours"])
        changes = {f: v for f, v in msgspec.structs.asdict(patch).items() if v is not msgspec.UNSET}
        content.update(changes)
        _check_content(content, max_hours, await conn.fetchval(q.FIRST_PERIOD_YEAR, _owner(user)))
        updated = await transitions.edit(conn, row, Actor.of_user(user), _content_args(content),
                                         msgspec.to_builtins(changes))
    return to_out(updated)


async def act(conn: asyncpg.Connection, user: User, record_id: str, action: str) -> RecordOut:
    """Submit or withdraw one's own record."""
    async with conn.transaction():
        # The person's lock before the record's row lock: the order intake takes them in.
        await conn.execute(q.LOCK_PERSON, _owner(user))
        row = await _own_for_update(conn, user, record_id)
        _refuse_unless(transitions.TRANSITIONS[action], row["status"], action)
        if action == "submit":
            updated = await transitions.submit(conn, row, Actor.of_user(user))
            if await supersede_if_official(conn, row["id"]):
                updated = await conn.fetchrow(q.OWN_RECORD, row["id"], _owner(user))
            else:
                await _flag_repeats(conn, updated)
        else:
            updated = await transitions.withdraw(conn, row, Actor.of_user(user))
    return to_out(updated)


async def get_own(conn: asyncpg.Connection, user: User, record_id: str) -> RecordOut:
    """One of one's own records with its whole history."""
    row = await conn.fetchrow(q.OWN_RECORD, record_uuid(record_id), _owner(user))
    if row is None:
        raise NotFound("No such record.")
    history = [EventOut(e["at"], e["action"], e["from_status"], e["to_status"], e["actor_name"], e["role"], e["reason"])
               for e in await conn.fetch(q.EVENTS, row["id"])]
    out = to_out(row)
    out.history = history
    return out


async def in_status(conn: asyncpg.Connection, user: User, status: str, limit: int) -> RecordPage:
    """One's own records in one status, all years, the most recently changed first (what the home lists)."""
    person_id = _owner(user)
    total = await conn.fetchval(q.OWN_RECORDS_COUNT, person_id, None, status)
    rows = await conn.fetch(q.OWN_IN_STATUS, person_id, status, limit)
    return RecordPage([to_out(r) for r in rows], total, limit, 0)


async def own_series(conn: asyncpg.Connection, user: User) -> str | None:
    """The title series (职称系列) of the person signed in, e.g. health."""
    return await conn.fetchval(q.PERSON_SERIES, _owner(user))


async def first_year(conn: asyncpg.Connection, user: User) -> int | None:
    """The first year the person has a period (None: no period yet)."""
    return await conn.fetchval(q.FIRST_PERIOD_YEAR, _owner(user))


async def list_own(conn: asyncpg.Connection, user: User, year: int | None, status: str | None, limit: int,
                   offset: int) -> RecordPage:
    """One page of one's own records, filtered by year and status."""
    errors = []
    if status is not None and status not in STATUSES:
        errors.append(FieldError("status", f"must be one of {', '.join(STATUSES)}", code="one_of",
                                 params={"choices": ", ".join(STATUSES)}))
    if not 1 <= limit <= MAX_PAGE:
        errors.append(FieldError("limit", f"must be between 1 and {MAX_PAGE}", code="out_of_range", params={"min": 1, "max": MAX_PAGE}))
    if not 0 <= offset <= MAX_OFFSET:
        errors.append(FieldError("offset", f"must be between 0 and {MAX_OFFSET}", code="out_of_range", params={"min": 0, "max": MAX_OFFSET}))
    if year is not None and not 1950 <= year <= 2200:
        errors.append(FieldError("year", "must be between 1950 and 2200", code="out_of_range", params={"min": 1950, "max": 2200}))
    if errors:
        raise Invalid.of(errors)
    person_id = _owner(user)
    total = await conn.fetchval(q.OWN_RECORDS_COUNT, person_id, year, status)
    rows = await conn.fetch(q.OWN_RECORDS_PAGE, person_id, year, status, limit, offset)
    return RecordPage([to_out(r) for r in rows], total, limit, offset)


def to_out(row: asyncpg.Record) -> RecordOut:
    """A record row as its owner sees it."""
    return RecordOut(
        str(row["id"]), row["year"], row["category"], to_hours(row["half_hours"]), row["course_title"],
        row["completed_on"], row["provider"], row["course_code"], row["region_earned"], row["source"],
        row["status"], row["status_reason"], row["evidence_ref"], row["created_at"], row["updated_at"],
        superseded_by=str(row["superseded_by"]) if row["superseded_by"] else None, next_step=row["next_step"],
    )


async def _own_for_update(conn: asyncpg.Connection, user: User, record_id: str) -> asyncpg.Record:
    row = await conn.fetchrow(q.OWN_RECORD_FOR_UPDATE, record_uuid(record_id), _owner(user))
    if row is None:
        raise NotFound("No such record.")
    if row["source"] != "self":
        # Hours sent by a provider, the platform or HR are theirs to correct, not the owner's.
        raise Conflict(f"This record came from {row['source']}; only records you logged yourself can be changed here.")
    return row


def _refuse_unless(moves: Any, current: str, action: str) -> None:
    """409 when the record's status does not allow the owner's action, saying which statuses do."""
    if current not in moves:
        allowed = ", ".join(sorted(str(s) for s in moves))
        raise Conflict(f"Cannot {action} a record that is {current} (only when {allowed}).")


def record_uuid(record_id: str) -> uuid.UUID:
    """A record id from a path, or 404 when it cannot be one."""
    try:
        return uuid.UUID(record_id)
    except ValueError:
        raise NotFound("No such record.") from None
