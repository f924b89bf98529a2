"""GET /api/v1/compliance/{id}, POST /api/v1/compliance/batch (review systems), GET …/keys (anyone)."""

from __future__ import annotations

import asyncpg
from litestar import Response, get, post
from litestar.datastructures import CacheControlHeader, State
from litestar.di import Provide

from ce_service.auth.guards import machine_client, provide_client
from ce_service.auth.models import ApiClient
from ce_service.compliance import queries as q
from ce_service.compliance import service
from ce_service.compliance.receipts import b64url
from ce_service.compliance.schemas import Answer, BatchIn, BatchOut, KeysOut, PublicKey
from ce_service.wire import json_body

REVIEW = {"guards": [machine_client("review_system")],
          "dependencies": {"client": Provide(provide_client, sync_to_thread=False)}}
# Answers hold personal data: no cache along the way may keep them.
NO_STORE = CacheControlHeader(no_store=True)


@get("/api/v1/compliance/{national_id:str}", **REVIEW, cache_control=NO_STORE)
async def compliance(national_id: str, from_year: int, to_year: int, client: ApiClient, state: State,
                     as_of: str | None = None) -> Answer:
    """Did this person meet the requirement in each year from from_year to to_year (as of an instant)."""
    # The hottest route borrows its connection directly: the `db` dependency's generator and
    # cleanup machinery cost more per request than the query's own Python work.
    async with state.pool.acquire() as db:
        book = await state.rules.current(db)
        return await service.answer_one(db, client, book, state.signer, national_id, from_year, to_year, as_of)


@post("/api/v1/compliance/batch", **REVIEW, **json_body(BatchIn), status_code=200, cache_control=NO_STORE)
async def compliance_batch(data: BatchIn, client: ApiClient, db: asyncpg.Connection, state: State) -> BatchOut:
    """The same answer for up to 1,000 people at once, in the order asked."""
    book = await state.rules.current(db)
    results = await service.answer_many(db, client, book, state.signer, data.national_ids, data.from_year,
                                        data.to_year, data.as_of)
    return BatchOut(results)


@get("/api/v1/compliance/keys")
async def keys(db: asyncpg.Connection) -> Response[KeysOut]:
    """The public keys that verify receipts, current and past (Ed25519, raw 32 bytes, base64url)."""
    rows = await db.fetch(q.KEYS)
    out = KeysOut([PublicKey(r["kid"], r["algorithm"], b64url(bytes(r["public_key"])),
                             r["first_used_at"].isoformat()) for r in rows])
    return Response(out, headers={"Cache-Control": "public, max-age=300"})


ROUTES = [keys, compliance, compliance_batch]
