"""HR systems: records registered at the source, and revocations (hr_system clients)."""

from __future__ import annotations

import asyncpg
from litestar import post
from litestar.datastructures import State

from ce_service.auth.guards import for_clients
from ce_service.auth.models import ApiClient
from ce_service.intake import service
from ce_service.intake.schemas import BatchIn, BatchOut, RevokeIn
from ce_service.records.revocation import revoke_by_client
from ce_service.records.schemas import MachineRecordOut
from ce_service.wire import json_body

HR = for_clients("hr_system")


@post("/api/v1/hr/records", **HR, **json_body(BatchIn, items_checked_for_nul=True), status_code=200)
async def push_registered(data: BatchIn, client: ApiClient, db: asyncpg.Connection, state: State) -> BatchOut:
    """Records an HR system already verified: registered on arrival (the health series waits for the health department)."""
    return await service.accept_batch(db, client, data.records, service.HR, state.settings.max_hours_per_record)


@post("/api/v1/hr/records/{record_id:str}/revoke", **HR, **json_body(RevokeIn), status_code=200)
async def revoke(record_id: str, data: RevokeIn, client: ApiClient, db: asyncpg.Connection) -> MachineRecordOut:
    """Revoke a registered record; it stops counting from now on."""
    return await revoke_by_client(db, client, record_id, data.reason)


ROUTES = [push_registered, revoke]
