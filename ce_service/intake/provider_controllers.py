"""Training providers: push results in batches, and list what they sent (provider clients)."""

from __future__ import annotations

import asyncpg
from litestar import get, post
from litestar.datastructures import State
from litestar.params import Parameter

from ce_service.auth.guards import for_clients
from ce_service.auth.models import ApiClient
from ce_service.intake import service
from ce_service.intake.schemas import BatchIn, BatchOut, SentPage
from ce_service.wire import json_body

PROVIDER = for_clients("provider")


@post("/api/v1/provider/records", **PROVIDER, **json_body(BatchIn, items_checked_for_nul=True), status_code=200)
async def push(data: BatchIn, client: ApiClient, db: asyncpg.Connection, state: State) -> BatchOut:
    """Up to 1,000 results; each accepted, duplicate, held or rejected on its own, routed to verification."""
    return await service.accept_batch(db, client, data.records, service.PROVIDER, state.settings.max_hours_per_record)


@get("/api/v1/provider/records", **PROVIDER)
async def sent(client: ApiClient, db: asyncpg.Connection, external_id: str | None = None,
               limit: int = Parameter(default=100), after: str | None = None) -> SentPage:
    """What this provider sent and where each record stands, by external_id, to reconcile."""
    return await service.sent_by(db, client, external_id=external_id, limit=limit, after=after)


ROUTES = [push, sent]
