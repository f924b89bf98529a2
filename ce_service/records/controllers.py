"""The professional's own records over JSON (session cookie + CSRF header)."""

from __future__ import annotations

import asyncpg
from litestar import Response, get, patch, post
from litestar.datastructures import State
from litestar.di import Provide
from litestar.params import Parameter

from ce_service.auth.guards import provide_user, signed_in
from ce_service.auth.models import User
from ce_service.errors import Invalid
from ce_service.records import service
from ce_service.records.schemas import CreatedRecordOut, RecordIn, RecordOut, RecordPage, RecordPatch
from ce_service.wire import json_body

OWNER = {"guards": [signed_in("professional")], "dependencies": {"user": Provide(provide_user, sync_to_thread=False)}}


@post("/api/v1/me/records", **OWNER, **json_body(RecordIn))
async def create_record(data: RecordIn, user: User, db: asyncpg.Connection,
                        state: State) -> Response[CreatedRecordOut]:
    """Save a new record as a draft (201, with warnings: e.g. a duplicate); the same client_key again: the first (200)."""
    if data.evidence_ref is not None and not state.evidence.exists(data.evidence_ref):
        raise Invalid.field("evidence_ref", "no file with this reference was uploaded; upload it first",
                            code="evidence_missing")
    record, created = await service.create_draft(db, user, data, state.settings.max_hours_per_record)
    return Response(record, status_code=201 if created else 200)


@get("/api/v1/me/records", **OWNER)
async def list_records(
    user: User, db: asyncpg.Connection, year: int | None = None, status: str | None = None,
    limit: int = Parameter(default=50), offset: int = Parameter(default=0),
) -> RecordPage:
    """One's own records, newest first, filtered by year and status."""
    return await service.list_own(db, user, year, status, limit, offset)


@get("/api/v1/me/records/{record_id:str}", **OWNER)
async def get_record(record_id: str, user: User, db: asyncpg.Connection) -> RecordOut:
    """One record with its whole history."""
    return await service.get_own(db, user, record_id)


@patch("/api/v1/me/records/{record_id:str}", **OWNER, **json_body(RecordPatch))
async def edit_record(record_id: str, data: RecordPatch, user: User, db: asyncpg.Connection, state: State) -> RecordOut:
    """Change a draft or a returned record."""
    return await service.edit(db, user, record_id, data, state.settings.max_hours_per_record)


@post("/api/v1/me/records/{record_id:str}/submit", **OWNER, status_code=200)
async def submit_record(record_id: str, user: User, db: asyncpg.Connection) -> RecordOut:
    """Send a draft or returned record for verification."""
    return await service.act(db, user, record_id, "submit")


@post("/api/v1/me/records/{record_id:str}/withdraw", **OWNER, status_code=200)
async def withdraw_record(record_id: str, user: User, db: asyncpg.Connection) -> RecordOut:
    """Take a record back before any reviewer approved it."""
    return await service.act(db, user, record_id, "withdraw")


ROUTES = [create_record, list_records, get_record, edit_record, submit_record, withdraw_record]
