"""Accept a batch of records: check each on its own, store the good ones at once, answer per record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg
import msgspec

from ce_service import clock
from ce_service.auth.models import ApiClient
from ce_service.errors import FieldError, Invalid, TooLarge
from ce_service.hours import to_half_hours
from ce_service.intake import queries as q
from ce_service.intake.schemas import MAX_BATCH, BatchOut, IncomingRecord, RecordResult, SentPage, SentRecord
from ce_service.intake.validation import content_hash, parse_record
from ce_service.records import transitions
from ce_service.records.superseding import supersede_by_official
from ce_service.records.transitions import Actor, PastEvent

HELD_REASON = "person not in the registry yet"


# Sources of batches; where their records go on arrival is data (routing_rules), not code.
HR = "hr"
PROVIDER = "provider"
PLATFORM = "platform"
IMPORT = "import"


@dataclass
class _Good:
    position: int
    record: IncomingRecord
    digest: bytes


def _conflict() -> list[FieldError]:
    return [FieldError("external_id", "conflict: this external_id was sent before with different content",
                       code="external_id_conflict")]


async def accept_batch(conn: asyncpg.Connection, client: ApiClient, raw_records: list[Any], source: str,
                       max_hours: int) -> BatchOut:
    """Store every usable record of a batch in one transaction; answer one result per record, in order."""
    if len(raw_records) > MAX_BATCH:
        raise TooLarge(f"At most {MAX_BATCH} records per request; this one has {len(raw_records)}.")
    if not raw_records:
        raise Invalid.field("records", "must hold at least one record", code="empty_list")
    today = clock.today()
    results: list[RecordResult | None] = [None] * len(raw_records)
    good: list[_Good] = []
    seen: dict[str, _Good] = {}
    for i, raw in enumerate(raw_records):
        record, errors = parse_record(raw, today, max_hours, source == PLATFORM)
        external_id = raw.get("external_id") if isinstance(raw, dict) and isinstance(raw.get("external_id"), str) else None
        if record is None:
            results[i] = RecordResult(external_id, "rejected", errors=errors)
            continue
        item = _Good(i, record, content_hash(record))
        if (first := seen.get(record.external_id)) is not None:
            # The same external_id twice in one batch: a repeat, or a contradiction.
            if first.digest != item.digest:
                results[i] = RecordResult(external_id, "rejected", errors=_conflict())
            continue
        seen[record.external_id] = item
        good.append(item)

    async with conn.transaction():
        national_ids = sorted({g.record.national_id for g in good})
        await lock_people(conn, national_ids)
        people = {r["national_id"]: r for r in await conn.fetch(q.PEOPLE, national_ids)}
        known, unknown = [], []
        for item in good:
            person = people.get(item.record.national_id)
            if person is None:
                unknown.append(item)
            elif person["name"] != item.record.name.strip():
                results[item.position] = RecordResult(item.record.external_id, "rejected", errors=[FieldError(
                    "name", "does not match the name registered for this ID number", code="name_mismatch")])
            elif not client.covers(person["regions"][-1] if person["regions"] else None):
                results[item.position] = RecordResult(item.record.external_id, "rejected", errors=[FieldError(
                    "national_id", "this person is outside the regions this client may send for",
                    code="out_of_scope")])
            else:
                known.append(item)
        await _store_known(conn, client, source, known, people, results)
        await _hold_unknown(conn, client, source, unknown, results)

    # A repeat inside the batch is a duplicate of its first occurrence (or shares its rejection).
    for i, raw in enumerate(raw_records):
        if results[i] is None:
            first = results[seen[raw["external_id"]].position]
            if first.status in ("accepted", "duplicate"):
                results[i] = RecordResult(first.external_id, "duplicate", first.record_id)
            else:
                results[i] = first
    final = [r for r in results if r is not None]
    count = {s: sum(1 for r in final if r.status == s) for s in ("accepted", "duplicate", "held", "rejected")}
    return BatchOut(count["accepted"], count["duplicate"], count["held"], count["rejected"], final)


MAX_SENT_PAGE = 1000


async def sent_by(conn: asyncpg.Connection, client: ApiClient, *, external_id: str | None, limit: int,
                  after: str | None) -> SentPage:
    """A page of what this client sent and where each record stands."""
    if not 1 <= limit <= MAX_SENT_PAGE:
        raise Invalid.field("limit", f"must be between 1 and {MAX_SENT_PAGE}", code="out_of_range",
                            params={"min": 1, "max": MAX_SENT_PAGE})
    rows = await conn.fetch(q.SENT_BY, client.id, external_id, after, limit + 1)
    items = [SentRecord(r["external_id"], r["status"], r["record_id"], r["reason"], r["received_at"]) for r in rows[:limit]]
    return SentPage(items, items[-1].external_id if len(rows) > limit else None)


async def lock_people(conn: asyncpg.Connection, national_ids: list[str]) -> None:
    """Serialise, per person, intake against the person's creation (which attaches held records).

    Without it a batch could find a person missing, and hold the record, just as the person is
    added and the held records attached, leaving this one held for ever. Locks are taken in one
    order (sorted ID numbers) by everyone, so they cannot deadlock.
    """
    if national_ids:
        await conn.execute(q.LOCK_PEOPLE, sorted(national_ids))


def _late_refusal(revoked_at: Any, client: ApiClient, region: str | None) -> str | None:
    """Why a held record of this sender may not be attached to the person now (None: it may)."""
    if revoked_at is not None:
        return "the sending client was revoked before the person was added"
    if not client.covers(region):
        return "the person is outside the regions the sending client may send for"
    return None


async def attach_held(conn: asyncpg.Connection, person_id: int, national_id: str, name: str, max_hours: int) -> int:
    """Turn the records held for a newly added person into records, routed as on arrival; returns how many.

    Call inside the transaction that added the person, after lock_people. A held record whose name
    does not match, or that clashes with a record sent since, stays held with the reason.
    """
    waiting = await conn.fetch(q.HELD_WAITING, national_id)
    if not waiting:
        return 0
    attached = 0
    today = clock.today()
    people = {r["national_id"]: r for r in await conn.fetch(q.PEOPLE, [national_id])}
    regions = people[national_id]["regions"] if national_id in people else []
    for client_id, rows in _by_client(waiting).items():
        first = rows[0]
        client = ApiClient(client_id, first["client_name"], first["client_kind"], list(first["client_regions"]))
        # What the sender may do is checked now, when the record is used, not when it was held.
        if refusal := _late_refusal(first["client_revoked_at"], client, regions[-1] if regions else None):
            for row in rows:
                await conn.execute(q.HELD_REASON, row["id"], refusal)
            continue
        items, by_external = [], {}
        for row in rows:
            record, errors = parse_record(row["payload"], today, max_hours, row["source"] == PLATFORM)
            if record is None or record.name.strip() != name:
                reason = "name does not match the registry" if record is not None else "; ".join(
                    f"{e.field}: {e.message}" for e in errors)
                await conn.execute(q.HELD_REASON, row["id"], reason)
                continue
            items.append(_Good(len(items), record, bytes(row["content_hash"])))
            by_external[record.external_id] = row["id"]
        results: list[RecordResult | None] = [None] * len(items)
        await _store_known(conn, client, first["source"], items, people, results)
        for item, result in zip(items, results):
            held_id = by_external[item.record.external_id]
            if result is not None and result.record_id is not None:
                await conn.execute(q.HELD_ATTACHED, held_id, result.record_id)
                attached += result.status == "accepted"
            else:
                await conn.execute(q.HELD_REASON, held_id, "conflict: a record with this external_id and other "
                                                           "content arrived meanwhile")
    return attached


def _by_client(rows: list[asyncpg.Record]) -> dict[int, list[asyncpg.Record]]:
    grouped: dict[int, list[asyncpg.Record]] = {}
    for row in rows:
        grouped.setdefault(row["source_client_id"], []).append(row)
    return grouped


async def _store_known(conn: asyncpg.Connection, client: ApiClient, source: str, items: list[_Good],
                       people: dict[str, asyncpg.Record], results: list[RecordResult | None]) -> None:
    if not items:
        return
    r = [g.record for g in items]
    regions = [region_in_year(people[x.national_id], x.year) for x in r]
    series = [people[x.national_id]["series"] for x in r]
    affiliations = [affiliation_in_year(people[x.national_id], x.year) for x in r]
    keys = sorted(set(zip(series, regions, affiliations)), key=str)
    routes = {(row["series"], row["region"], row["affiliation"]): ",".join(row["route"]) for row in await conn.fetch(
        q.ROUTES, source, [k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys])}
    record_routes = [routes[key] for key in zip(series, regions, affiliations)]
    inserted = await conn.fetch(
        q.INSERT_RECORDS,
        [people[x.national_id]["id"] for x in r], [x.year for x in r], [x.category for x in r],
        [to_half_hours(x.hours) for x in r], [x.course_title.strip() for x in r], [x.course_code for x in r],
        [x.completed_on for x in r], [x.region_earned for x in r], [x.external_id for x in r],
        [g.digest for g in items], client.name, source, client.id, regions, record_routes,
        [transitions.status_on_arrival(route) for route in record_routes],
    )
    new_ids = {row["external_id"]: row["id"] for row in inserted}
    if inserted:
        actor = Actor.of_client(client)
        await transitions.write_events(conn, [PastEvent(row["id"], actor, "create", None, row["status"],
                                                        row_hash=row["row_hash"]) for row in inserted])
        await supersede_by_official(conn, [row["id"] for row in inserted if row["status"] == "registered"])
    missing = [g.record.external_id for g in items if g.record.external_id not in new_ids]
    existing = {row["external_id"]: row for row in await conn.fetch(q.EXISTING, client.id, missing)} if missing else {}
    for item in items:
        external_id = item.record.external_id
        if external_id in new_ids:
            results[item.position] = RecordResult(external_id, "accepted", str(new_ids[external_id]))
        elif bytes(existing[external_id]["content_hash"] or b"") == item.digest:
            results[item.position] = RecordResult(external_id, "duplicate", str(existing[external_id]["id"]))
        else:
            results[item.position] = RecordResult(external_id, "rejected", errors=_conflict())


def region_in_year(person: asyncpg.Record, year: int) -> str | None:
    """The region of the person's period covering `year` (None before their first period)."""
    return _in_year(person, "regions", year)


def affiliation_in_year(person: asyncpg.Record, year: int) -> str | None:
    """Who vouches for the person in `year`: 'unit', 'agency' or 'industry' (None before their first period)."""
    return _in_year(person, "affiliations", year)


def _in_year(person: asyncpg.Record, column: str, year: int) -> str | None:
    value = None
    for from_year, period_value in zip(person["years"], person[column]):
        if from_year > year:
            break
        value = period_value
    return value


async def _hold_unknown(conn: asyncpg.Connection, client: ApiClient, source: str, items: list[_Good],
                        results: list[RecordResult | None]) -> None:
    if not items:
        return
    held = {row["external_id"] for row in await conn.fetch(
        q.INSERT_HELD, [g.record.national_id for g in items], [g.record.external_id for g in items],
        [g.digest for g in items], [msgspec.json.encode(g.record).decode() for g in items],
        source, client.id, HELD_REASON)}
    missing = [g.record.external_id for g in items if g.record.external_id not in held]
    existing = {row["external_id"]: bytes(row["content_hash"])
                for row in await conn.fetch(q.EXISTING_HELD, client.id, missing)} if missing else {}
    for item in items:
        external_id = item.record.external_id
        if external_id in held or existing.get(external_id) == item.digest:
            results[item.position] = RecordResult(external_id, "held")
        else:
            results[item.position] = RecordResult(external_id, "rejected", errors=_conflict())
