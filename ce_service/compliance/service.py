"""Answer "did this person meet the requirement in each of these years?", for one person or many."""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from datetime import date, datetime, timezone

import asyncpg
import msgspec

from ce_service import clock
from ce_service.auth.models import ApiClient
from ce_service.compliance import queries as q
from ce_service.compliance.receipts import Signer, b64url
from ce_service.compliance.schemas import (
    MAX_BATCH,
    MAX_YEARS,
    Answer,
    BatchError,
    ExemptionOut,
    HoursOut,
    IntegrityOut,
    KeysOut,
    NotCountedOut,
    PersonRef,
    PublicKey,
    Receipt,
    ShortfallOut,
    YearOut,
)
from ce_service.errors import FieldError, Invalid, NotFound, TooLarge, problem_of
from ce_service.hours import to_hours
from ce_service.identity import mask_national_id, national_id_error, region_error
from ce_service.records.superseding import normalise_title
from ce_service.rules.evaluate import (
    NOT_RECOGNISED,
    REPEATED_COURSE,
    TEST_CREDIT,
    Exemption,
    Hours,
    Period,
    RecordFacts,
    YearVerdict,
    barred_until,
    evaluate,
)
from ce_service.rules.model import RuleBook

# Rows of the JSON columns, decoded without building intermediate dicts.
_periods = msgspec.json.Decoder(list[tuple[int, str, str, str]])
_exemptions = msgspec.json.Decoder(list[tuple[int, int, str, str, datetime]])
_integrity = msgspec.json.Decoder(list[tuple[date, bool, datetime]])
_records_now = msgspec.json.Decoder(list[tuple[int, str, int, str | None, str, str, str | None, date | None]])
_records_as_of = msgspec.json.Decoder(list[tuple[int, str, int, str | None, list[tuple[datetime, str]] | None,
                                                 str, str | None, date]])

# The current status holds for any instant from now on; this stands for "since before the question".
_SINCE_ALWAYS = datetime.min.replace(tzinfo=timezone.utc)


async def public_keys(conn: asyncpg.Connection) -> KeysOut:
    """Every key that ever signed an answer, oldest first."""
    rows = await conn.fetch(q.KEYS)
    return KeysOut([PublicKey(r["kid"], r["algorithm"], b64url(bytes(r["public_key"])), r["first_used_at"].isoformat())
                    for r in rows])


def not_in_registry() -> NotFound:
    """The 404 for a well-formed ID number nobody registered."""
    return NotFound("No person with this ID number in the registry.")

NOT_COUNTED_DETAIL = {
    NOT_RECOGNISED: "earned in a region whose hours the declaring region's rule does not recognise",
    REPEATED_COURSE: "a course already counted for this person: each course of a platform or provider counts once",
    TEST_CREDIT: "the platform reported more hours than the rule credits for passing its test",
}


_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([Zz]|[+-]\d{2}:\d{2})$")
_SPACED_OFFSET = re.compile(r"^(.*\d{2}:\d{2}:\d{2}(?:\.\d+)?) (\d{2}:\d{2})$")
EARLIEST = datetime(1950, 1, 1, tzinfo=timezone.utc)


def check_question(from_year: int, to_year: int, as_of: str | None, now: datetime) -> datetime | None:
    """Validate the years and the instant; returns the instant (None: now)."""
    errors = []
    this_year = now.astimezone(clock.CHINA).year
    if from_year > to_year:
        errors.append(FieldError("from_year", "must not be after to_year", code="years_reversed"))
    elif to_year - from_year + 1 > MAX_YEARS:
        errors.append(FieldError("to_year", f"at most {MAX_YEARS} years can be asked at once", code="too_many_years",
                                 params={"max": MAX_YEARS}))
    if to_year > this_year:
        errors.append(FieldError("to_year", f"must not be in the future (this year is {this_year})",
                                 code="year_in_future", params={"year": this_year}))
    if from_year < 1950:
        errors.append(FieldError("from_year", "must be 1950 or later", code="before_year", params={"min": 1950}))
    instant = None
    if as_of is not None:
        # An unencoded "+08:00" in a query string arrives as " 08:00": put the plus back.
        as_of = _SPACED_OFFSET.sub(r"\1+\2", as_of.strip())
        if not _RFC3339.match(as_of):
            errors.append(FieldError("as_of", "must be an RFC 3339 instant with an offset, e.g. 2023-08-10T23:59:59+08:00",
                                     code="bad_instant"))
        else:
            try:
                instant = datetime.fromisoformat(as_of.replace("z", "Z"))
            except ValueError:
                errors.append(FieldError("as_of", "is not a real date and time", code="bad_instant"))
            else:
                if instant > now:
                    errors.append(FieldError("as_of", "must not be in the future", code="in_future"))
                elif instant < EARLIEST:
                    errors.append(FieldError("as_of", "must not be before 1950", code="before_year", params={"min": 1950}))
    if errors:
        raise Invalid.of(errors)
    return instant


def _hours(h: Hours) -> HoursOut:
    return HoursOut(to_hours(h.public), to_hours(h.professional), to_hours(h.total))


def _year_out(v: YearVerdict) -> YearOut:
    not_counted = [NotCountedOut(n.reason, NOT_COUNTED_DETAIL[n.reason], to_hours(n.registered.public),
                                 to_hours(n.registered.professional), to_hours(n.registered.total),
                                 to_hours(n.pending.total)) for n in v.not_counted]
    return YearOut(
        year=v.year, status=v.status, rule=v.rule.name if v.rule else None, level=v.level, workplace=v.workplace,
        required_hours=to_hours(v.required), required_professional_hours=to_hours(v.required_professional),
        registered=_hours(v.registered), pending=_hours(v.pending),
        shortfall=ShortfallOut(to_hours(v.shortfall_total), to_hours(v.shortfall_professional)),
        region=v.region, rule_set=f"{v.rule.set_name}@{v.rule.set_version}" if v.rule else None,
        exemption=ExemptionOut(v.exemption.reason, v.exemption.note) if v.exemption else None,
        not_counted=not_counted,
    )


def _rfc3339(instant: datetime) -> str:
    return instant.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def course_key(raw: str | None) -> str | None:
    """"client:code" with the code compared as superseding compares it (no case, spaces or punctuation; NFKC).

    A code that is blank once normalised names no course: such records are not told apart.
    """
    if raw is None:
        return None
    client, _, code = raw.partition(":")
    code = normalise_title(code)
    return f"{client}:{code}" if code else None


def _periods_of(row: asyncpg.Record) -> list[Period]:
    return [Period(*p) for p in _periods.decode(row["periods"])]


def _verdicts(row: asyncpg.Record, book: RuleBook, from_year: int, to_year: int, as_of: datetime | None,
              now: datetime, declaring_region: str | None) -> list[YearVerdict]:
    exemptions = [Exemption(*e) for e in _exemptions.decode(row["exemptions"])]
    if as_of is None:
        records = [RecordFacts(y, c, h, r, ((_SINCE_ALWAYS, s),), src, course_key(key), on)
                   for y, c, h, r, s, src, key, on in _records_now.decode(row["records"])]
    else:
        records = [RecordFacts(y, c, h, r, tuple(history or ()), src, course_key(key), on)
                   for y, c, h, r, history, src, key, on in _records_as_of.decode(row["records"])]
    return evaluate(_periods_of(row), records, exemptions, book, from_year, to_year, as_of or now, declaring_region)


def _latest_region(row: asyncpg.Record) -> str | None:
    periods = _periods.decode(row["periods"])
    return periods[-1][3] if periods else None


def declaring_region_of(client: ApiClient | None, asked: str | None, row: asyncpg.Record) -> str | None:
    """The region whose rules judge the person: as asked, else the client's one province, else the latest period's."""
    if asked is not None:
        return asked
    latest = _latest_region(row)
    if client is not None and client.regions and len(provinces := {p[:2] for p in client.regions}) == 1:
        # A client limited to one province declares there: where in it the person is, else the province.
        [province] = provinces
        return latest if latest and latest.startswith(province) else province + "0000"
    return latest


def check_region(region: str | None, client: ApiClient) -> str | None:
    """The declaring region asked for, checked: a 6-digit division code inside a region-limited client's scope."""
    if region is None:
        return None
    region = region.strip()
    if message := region_error(region):
        raise Invalid.field("region", message, code="bad_region")
    if not client.covers(region):
        # A review system judges declarations made where it works, not elsewhere.
        raise Invalid.field("region", "is outside the regions this client may act for", code="out_of_scope")
    return region


async def year_verdict(conn: asyncpg.Connection, book: RuleBook, national_id: str, year: int) -> YearVerdict | None:
    """Today's verdict for one person and year (None: no such person); what the registration form shows."""
    row = (await _rows(conn, [national_id], year, year, None)).get(national_id)
    return _verdicts(row, book, year, year, None, clock.now(), _latest_region(row))[0] if row else None


async def own_years(conn: asyncpg.Connection, book: RuleBook, person_id: int, from_year: int,
                    to_year: int) -> list[YearVerdict]:
    """Today's verdicts of one person (by id) for a range of years: what the professional's home shows."""
    national_id = await conn.fetchval(q.NATIONAL_ID_OF_PERSON, person_id)
    row = (await _rows(conn, [national_id], from_year, to_year, None)).get(national_id) if national_id else None
    if row is None:
        raise NotFound("No such person.")
    return _verdicts(row, book, from_year, to_year, None, clock.now(), _latest_region(row))


COMPLIANT = frozenset({"met", "exempt", "not_applicable"})


def subject_digest(salt: bytes, national_id: str) -> str:
    """Binds an answer to the full ID number without showing it: a verifier who holds the number recomputes it."""
    return b64url(hashlib.sha256(salt + national_id.encode("ascii")).digest())


def _answer(row: asyncpg.Record, client: ApiClient, book: RuleBook, from_year: int, to_year: int,
            as_of: datetime | None, now: datetime, signer: Signer, region: str | None) -> Answer:
    declaring = declaring_region_of(client, region, row)
    verdicts = _verdicts(row, book, from_year, to_year, as_of, now, declaring)
    entries = [e for e in _integrity.decode(row["integrity"]) if e[2] <= (as_of or now)]
    barred = barred_until(entries, book, declaring, as_of or now)
    salt = os.urandom(16)
    answer = Answer(
        person=PersonRef(mask_national_id(row["national_id"]), row["name"], row["series"]),
        from_year=from_year, to_year=to_year, as_of=_rfc3339(as_of or now), answered_at=_rfc3339(now),
        answer_id=str(uuid.uuid4()), client_id=client.id, subject_digest=subject_digest(salt, row["national_id"]),
        salt=b64url(salt), declaring_region=declaring, compliant=all(v.status in COMPLIANT for v in verdicts),
        years=[_year_out(v) for v in verdicts],
        integrity=IntegrityOut(len(entries), barred.isoformat() if barred else None),
    )
    answer.receipt = Receipt(**signer.receipt(answer))
    return answer


async def _rows(conn: asyncpg.Connection, national_ids: list[str], from_year: int, to_year: int,
                as_of: datetime | None) -> dict[str, asyncpg.Record]:
    if len(national_ids) == 1:
        query, key = (q.PERSON_NOW, national_ids[0]) if as_of is None else (q.PERSON_AS_OF, national_ids[0])
    else:
        query, key = (q.PEOPLE_NOW, national_ids) if as_of is None else (q.PEOPLE_AS_OF, national_ids)
    args = (key, from_year, to_year) if as_of is None else (key, from_year, to_year, as_of)
    return {r["national_id"]: r for r in await conn.fetch(query, *args)}


def _in_scope(client: ApiClient, row: asyncpg.Record) -> bool:
    """A client limited to regions sees only people whose latest period is in one of them."""
    return not client.regions or client.covers(_latest_region(row))


async def answer_one(conn: asyncpg.Connection, client: ApiClient, book: RuleBook, signer: Signer, national_id: str,
                     from_year: int, to_year: int, as_of: str | None, region: str | None = None) -> Answer:
    """The answer for one person (422 bad ID, years or region, 404 not in the registry)."""
    now = clock.now()
    if message := national_id_error(national_id, today=clock.today()):
        raise Invalid.field("national_id", message, code="bad_national_id")
    instant = check_question(from_year, to_year, as_of, now)
    region = check_region(region, client)
    row = (await _rows(conn, [national_id], from_year, to_year, instant)).get(national_id)
    if row is None or not _in_scope(client, row):
        raise not_in_registry()
    return _answer(row, client, book, from_year, to_year, instant, now, signer, region)


async def answer_many(conn: asyncpg.Connection, client: ApiClient, book: RuleBook, signer: Signer,
                      national_ids: list[str], from_year: int, to_year: int, as_of: str | None,
                      region: str | None = None) -> list[Answer | BatchError]:
    """One result per ID asked, in order, from one query for all of them."""
    if len(national_ids) > MAX_BATCH:
        raise TooLarge(f"At most {MAX_BATCH} ID numbers per batch; this one has {len(national_ids)}.")
    if not national_ids:
        raise Invalid.field("national_ids", "must list at least one ID number", code="empty_list")
    now = clock.now()
    instant = check_question(from_year, to_year, as_of, now)
    region = check_region(region, client)
    today: date = clock.today()
    errors = {n: national_id_error(n, today=today) for n in set(national_ids)}
    valid = sorted(n for n, message in errors.items() if message is None)
    rows = await _rows(conn, valid, from_year, to_year, instant) if valid else {}
    results: list[Answer | BatchError] = []
    for national_id in national_ids:
        if message := errors[national_id]:
            error = problem_of(Invalid.field("national_id", message, code="bad_national_id"))
            results.append(BatchError(mask_national_id(national_id), error))
        elif (row := rows.get(national_id)) is None or not _in_scope(client, row):
            results.append(BatchError(mask_national_id(national_id), problem_of(not_in_registry())))
        else:
            results.append(_answer(row, client, book, from_year, to_year, instant, now, signer, region))
    return results
