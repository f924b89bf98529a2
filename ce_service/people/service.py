"""Replacing a person's master data and recording exemptions."""

from __future__ import annotations

import asyncpg
import msgspec

from ce_service import clock
from ce_service.auth.models import ApiClient
from ce_service.errors import Forbidden, Invalid, NotFound
from ce_service.identity import mask_national_id, national_id_error
from ce_service.intake import service as intake
from ce_service.people import queries as q
from ce_service.people.schemas import ExemptionIn, ExemptionOut, PersonIn, PersonOut
from ce_service.people.validation import exemption_errors, person_errors


def check_national_id(national_id: str) -> None:
    """Raise a 422 naming `national_id` when the ID is malformed or its check character is wrong."""
    if message := national_id_error(national_id):
        raise Invalid.field("national_id", message, code="bad_national_id")


async def put_person(conn: asyncpg.Connection, client: ApiClient, national_id: str, data: PersonIn,
                     max_hours: int) -> tuple[PersonOut, bool]:
    """Create or replace a person with their periods; returns the stored person and whether it was new."""
    check_national_id(national_id)
    series_known = await conn.fetchval(q.SERIES_EXISTS, data.series)
    codes = [p.agency for p in data.periods if p.agency is not None]
    agencies = {r["code"]: r["kind"] for r in await conn.fetch(q.AGENCIES, codes)} if codes else {}
    if errors := person_errors(data, series_known, clock.today().year, agencies):
        raise Invalid.of(errors)
    if not all(client.covers(p.region) for p in data.periods):
        raise Forbidden("Some periods are in regions this client may not manage.")
    async with conn.transaction():
        await intake.lock_people(conn, [national_id])
        person_id = await conn.fetchval(q.INSERT_PERSON, national_id, data.name.strip(), data.series)
        created = person_id is not None
        before = None
        if not created:
            person_id = await conn.fetchval(q.PERSON_FOR_UPDATE, national_id)
            before = await _snapshot(conn, person_id)
            if not all(client.covers(p["region"]) for p in before["periods"]):
                raise Forbidden("This person is registered in a region this client may not manage.")
            await conn.execute(q.UPDATE_PERSON, person_id, data.name.strip(), data.series)
            await conn.execute(q.DELETE_PERIODS, person_id)
        periods = data.periods
        await conn.execute(
            q.INSERT_PERIODS, person_id,
            [p.from_year for p in periods], [p.level for p in periods], [p.workplace for p in periods],
            [p.region for p in periods], [p.unit or p.agency for p in periods],
            [agencies[p.agency] if p.agency is not None else "unit" for p in periods],
        )
        await conn.execute(q.INSERT_HISTORY, person_id, f"client:{client.id}:{client.name}", before,
                           msgspec.to_builtins(data))
        # Records that arrived before the person did are attached now, in the same transaction.
        await intake.attach_held(conn, person_id, national_id, data.name.strip(), max_hours)
    return PersonOut(mask_national_id(national_id), data.name.strip(), data.series, list(periods)), created


async def add_exemption(conn: asyncpg.Connection, client: ApiClient, national_id: str, data: ExemptionIn) -> ExemptionOut:
    """Record years in which the requirement does not apply."""
    check_national_id(national_id)
    if errors := exemption_errors(data, clock.today().year):
        raise Invalid.of(errors)
    person = await conn.fetchrow(q.PERSON_ID_AND_REGION, national_id)
    if person is None or not client.covers(person["region"]):
        raise NotFound("No person with this ID number in the registry.")
    if person["first_year"] is not None and data.from_year < person["first_year"]:
        # Those years are not_applicable already: an exemption there would say something untrue.
        raise Invalid.field("from_year", f"must not be before the person's first period ({person['first_year']})",
                            code="before_first_period", params={"first_year": person["first_year"]})
    person_id = person["id"]
    exemption_id = await conn.fetchval(q.INSERT_EXEMPTION, person_id, data.from_year, data.to_year, data.reason,
                                       data.note, f"client:{client.id}:{client.name}")
    return ExemptionOut(exemption_id, mask_national_id(national_id), data.from_year, data.to_year, data.reason, data.note)


async def _snapshot(conn: asyncpg.Connection, person_id: int) -> dict:
    row = await conn.fetchrow(q.PERSON_NAME_SERIES, person_id)
    periods = [dict(r) for r in await conn.fetch(q.PERIODS, person_id)]
    return {"name": row["name"], "series": row["series"], "periods": periods}
