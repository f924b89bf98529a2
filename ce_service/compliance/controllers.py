"""GET /api/v1/compliance/{id}, POST /api/v1/compliance/batch (review systems), GET …/keys (anyone)."""

from __future__ import annotations

import asyncpg
from litestar import get, post
from litestar.datastructures import CacheControlHeader, State

from ce_service.auth.guards import for_clients
from ce_service.auth.models import ApiClient
from ce_service.compliance import service
from ce_service.compliance.schemas import Answer, BatchIn, BatchOut, KeysOut
from ce_service.wire import json_body

REVIEW = for_clients("review_system")
# Answers hold personal data: no cache along the way may keep them.
NO_STORE = CacheControlHeader(no_store=True)


@get("/api/v1/compliance/{national_id:str}", **REVIEW, cache_control=NO_STORE)
async def compliance(national_id: str, from_year: int, to_year: int, client: ApiClient, state: State,
                     as_of: str | None = None, region: str | None = None) -> Answer:
    """Did this person meet the requirement in each year from from_year to to_year (as of an instant, declaring in `region`)."""
    # The hottest route borrows its connection directly: the `db` dependency's generator and
    # cleanup machinery cost more per request than the query's own Python work.
    async with state.pool.acquire() as db:
        book = await state.rules.current(db)
        return await service.answer_one(db, client, book, state.signer, national_id, from_year, to_year, as_of,
                                          region)


@post("/api/v1/compliance/batch", **REVIEW, **json_body(BatchIn), status_code=200, cache_control=NO_STORE)
async def compliance_batch(data: BatchIn, client: ApiClient, db: asyncpg.Connection, state: State) -> BatchOut:
    """The same answer for up to 1,000 people at once, in the order asked."""
    book = await state.rules.current(db)
    results = await service.answer_many(db, client, book, state.signer, data.national_ids, data.from_year,
                                        data.to_year, data.as_of, data.region)
    return BatchOut(results)


@get("/api/v1/compliance/keys", cache_control=CacheControlHeader(public=True, max_age=300))
async def keys(db: asyncpg.Connection) -> KeysOut:
    """The public keys that verify receipts, current and past (Ed25519, raw 32 bytes, base64url)."""
    return await service.public_keys(db)


ROUTES = [keys, compliance, compliance_batch]
