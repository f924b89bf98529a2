"""GET /health: is the service up, and can it reach PostgreSQL and Redis."""

from __future__ import annotations

import asyncio

from litestar import Response, get
from litestar.datastructures import State


async def _check(coro) -> str:
    try:
        await asyncio.wait_for(coro, timeout=2)
        return "ok"
    except Exception as exc:  # any failure is a fact to report here, not an error of the request
        return f"down: {type(exc).__name__}"


async def _database(state: State) -> None:
    async with state.pool.acquire() as conn:
        await conn.fetchval("select 1")


@get("/health", include_in_schema=True)
async def health(state: State) -> Response[dict[str, str]]:
    """200 when the database and Redis answer, 503 otherwise."""
    database = await _check(_database(state))
    redis = await _check(state.redis.ping())
    ok = database == "ok" and redis == "ok"
    return Response({"status": "ok" if ok else "degraded", "database": database, "redis": redis},
                    status_code=200 if ok else 503)
