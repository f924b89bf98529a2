"""The integrity file (诚信档案): entering what a person did, reading their file, the units to flag."""

from __future__ import annotations

import logging
from datetime import date

import asyncpg

from ce_service import clock
from ce_service.auth.models import ApiClient, User
from ce_service.errors import FieldError, Forbidden, Invalid, NotFound
from ce_service.identity import mask_national_id, national_id_error
from ce_service.integrity import queries as q
from ce_service.integrity.schemas import (
    KINDS,
    MAX_TEXT,
    EntryIn,
    EntryOut,
    IntegrityFile,
    RevokedApproval,
    RevokedApprovalPage,
)
from ce_service.review import queries as review_q
from ce_service.review import service as review

log = logging.getLogger("ce_service.integrity")

EARLIEST = date(1950, 1, 1)
MAX_UNITS_PAGE = 500


def _text_errors(field: str, value: str, *, required: bool) -> list[FieldError]:
    if "\x00" in value:
        return [FieldError(field, "must not contain the NUL character (\\u0000)", code="nul_character")]
    if required and not value.strip():
        return [FieldError(field, "must not be blank", code="required")]
    if len(value.strip()) > MAX_TEXT:
        return [FieldError(field, f"must be at most {MAX_TEXT} characters", code="too_long", params={"max": MAX_TEXT})]
    return []


def entry_errors(kind: str, reason: str, on: date | None, document: str) -> list[FieldError]:
    """What is wrong with a new entry, field by field (the API and the web form check the same)."""
    errors = []
    if kind not in KINDS:
        errors.append(FieldError("kind", f"must be one of {', '.join(KINDS)}", code="one_of",
                                 params={"choices": ", ".join(KINDS)}))
    errors += _text_errors("reason", reason, required=True)
    if on is None:
        errors.append(FieldError("date", "must be a date YYYY-MM-DD", code="bad_date"))
    elif on > clock.today():
        errors.append(FieldError("date", "must not be in the future (China date)", code="in_future"))
    elif on < EARLIEST:
        errors.append(FieldError("date", f"must be {EARLIEST.year} or later", code="before_year",
                                 params={"min": EARLIEST.year}))
    errors += _text_errors("document", document, required=False)
    return errors


def _check_national_id(national_id: str) -> None:
    if message := national_id_error(national_id):
        raise Invalid.field("national_id", message, code="bad_national_id")


def _entry(row: asyncpg.Record, masked: bool) -> EntryOut:
    nid = mask_national_id(row["national_id"]) if masked else row["national_id"]
    return EntryOut(row["id"], nid, row["kind"], row["reason"], row["entry_date"], row["document"],
                    row["bars_declaration"], row["record_id"], row["at"], row["actor"])


def client_actor(client: ApiClient) -> str:
    """How the file names a machine client: its name, kind and regions."""
    return f"{client.name} ({' '.join([client.kind, ','.join(client.regions)]).strip()})"


async def _person_for_client(conn: asyncpg.Connection, client: ApiClient, national_id: str) -> asyncpg.Record:
    person = await conn.fetchrow(q.PERSON, national_id)
    # Outside the client's regions looks the same as not existing.
    if person is None or not client.covers(person["region"]):
        raise NotFound("No person with this ID number in the registry.")
    return person


async def _person_for_user(conn: asyncpg.Connection, user: User, national_id: str) -> asyncpg.Record:
    person = await conn.fetchrow(q.PERSON, national_id)
    if person is None or not await review.sees(conn, user, person):
        raise NotFound("No such person in your scope.")
    return person


async def _insert(conn: asyncpg.Connection, person: asyncpg.Record, kind: str, reason: str, on: date, document: str,
                  bars_declaration: bool, actor_kind: str, actor_id: int, actor: str) -> EntryOut:
    entry_id = await conn.fetchval(q.INSERT_ENTRY, person["id"], kind, reason.strip(), on, document.strip(),
                                   bars_declaration, None, actor_kind, actor_id, actor)
    log.info("integrity entry %s (%s) for %s by %s", entry_id, kind, mask_national_id(person["national_id"]), actor)
    return _entry(await conn.fetchrow(q.ENTRY, entry_id), masked=actor_kind == "client")


async def add_by_client(conn: asyncpg.Connection, client: ApiClient, national_id: str, data: EntryIn) -> EntryOut:
    """An HR system enters falsification, misconduct or a blacklisting for a person in its regions."""
    _check_national_id(national_id)
    if errors := entry_errors(data.kind, data.reason, data.date, data.document):
        raise Invalid.of(errors)
    person = await _person_for_client(conn, client, national_id)
    return await _insert(conn, person, data.kind, data.reason, data.date, data.document, data.bars_declaration,
                         "client", client.id, client_actor(client))


async def add_by_reviewer(conn: asyncpg.Connection, user: User, national_id: str, kind: str, reason: str,
                          on: date | None, document: str, bars_declaration: bool) -> EntryOut:
    """An HR or health reviewer enters the same for a person in their region (the web form)."""
    if user.region_prefix is None:
        raise Forbidden("Only departments (HR, health and the like) may write the integrity file, not units.")
    _check_national_id(national_id)
    if errors := entry_errors(kind, reason, on, document):
        raise Invalid.of(errors)
    person = await _person_for_user(conn, user, national_id)
    return await _insert(conn, person, kind, reason, on, document, bars_declaration, "user", user.id,
                         f"{user.display_name} ({user.role} {user.scope})")


async def _file(conn: asyncpg.Connection, person: asyncpg.Record, masked: bool) -> IntegrityFile:
    entries = [_entry(r, masked) for r in await conn.fetch(q.ENTRIES, person["id"])]
    nid = person["national_id"]
    return IntegrityFile(mask_national_id(nid) if masked else nid, entries)


async def file_for_client(conn: asyncpg.Connection, client: ApiClient, national_id: str) -> IntegrityFile:
    """A person's entries, newest first, for an HR system in scope (ID numbers masked)."""
    _check_national_id(national_id)
    return await _file(conn, await _person_for_client(conn, client, national_id), masked=True)


async def file_for_user(conn: asyncpg.Connection, user: User, national_id: str) -> IntegrityFile:
    """A person's entries, newest first, for a reviewer in scope (unit: its people; HR, health: the region)."""
    _check_national_id(national_id)
    return await _file(conn, await _person_for_user(conn, user, national_id), masked=False)


async def _revoked_approvals(conn: asyncpg.Connection, regions: list[str] | None, series_only: str | None,
                             series_excluded: list[str], after: int | None, limit: int) -> RevokedApprovalPage:
    errors = []
    if not 1 <= limit <= MAX_UNITS_PAGE:
        errors.append(FieldError("limit", f"must be between 1 and {MAX_UNITS_PAGE}", code="out_of_range", params={"min": 1, "max": MAX_UNITS_PAGE}))
    if after is not None and (not 1 <= after < 2**63 or not await conn.fetchval(q.REVOCATION_EXISTS, after)):
        errors.append(FieldError("after", "must be a next_after this list gave", code="bad_cursor"))
    if errors:
        raise Invalid.of(errors)
    rows = await conn.fetch(q.REVOKED_UNIT_APPROVALS, regions, series_only, series_excluded, after, limit + 1)
    items = [RevokedApproval(r["unit_code"], r["unit_name"], r["record_id"], r["actor_name"], r["approved_at"],
                             r["revoked_at"], r["reason"]) for r in rows[:limit]]
    return RevokedApprovalPage(items, rows[limit - 1]["cursor"] if len(rows) > limit else None)


async def units_for_client(conn: asyncpg.Connection, client: ApiClient, after: int | None,
                           limit: int) -> RevokedApprovalPage:
    """The units whose approvals were revoked, for an HR system (its regions), newest revocation first."""
    return await _revoked_approvals(conn, client.regions or None, None, [], after, limit)


async def units_for_user(conn: asyncpg.Connection, user: User, after: int | None, limit: int) -> RevokedApprovalPage:
    """The same for an HR or health reviewer: their region prefix and the series their kind answers for."""
    kind = await conn.fetchrow(review_q.VERIFIER_KIND, user.role)
    if kind is None or kind["scope"] != "region" or user.region_prefix is None:
        raise Forbidden("Only departments (HR, health and the like) see the units to flag, not units.")
    return await _revoked_approvals(conn, [user.region_prefix], kind["series_only"], list(kind["series_excluded"]),
                                    after, limit)
