"""HR master-data endpoints: PUT a person, POST an exemption (hr_system clients)."""

from __future__ import annotations

import asyncpg
from litestar import Response, post, put
from litestar.datastructures import State

from ce_service.auth.guards import for_clients
from ce_service.auth.models import ApiClient
from ce_service.people import service
from ce_service.people.schemas import ExemptionIn, ExemptionOut, PersonIn, PersonOut
from ce_service.wire import json_body

HR = for_clients("hr_system")


@put("/api/v1/persons/{national_id:str}", **HR, **json_body(PersonIn))
async def put_person(national_id: str, data: PersonIn, client: ApiClient, db: asyncpg.Connection,
                     state: State) -> Response[PersonOut]:
    """Create (201) or replace (200) a person and their periods; records held for them are attached."""
    person, created = await service.put_person(db, client, national_id, data, state.settings.max_hours_per_record)
    return Response(person, status_code=201 if created else 200)


@post("/api/v1/persons/{national_id:str}/exemptions", **HR, **json_body(ExemptionIn))
async def add_exemption(national_id: str, data: ExemptionIn, client: ApiClient, db: asyncpg.Connection) -> ExemptionOut:
    """Record an exemption (e.g. green channel) for a range of years."""
    return await service.add_exemption(db, client, national_id, data)


ROUTES = [put_person, add_exemption]
