"""GET /health (is the process alive) and GET /ready (can it serve: database, Redis, migrations up to date)."""

from __future__ import annotations

import asyncio

from litestar import Response, get
from litestar.datastructures import State

from ce_service.migrate import pending_migrations


async def _check(coro) -> str:
    try:
        await asyncio.wait_for(coro, timeout=2)
        return "ok"
    except Exception as exc:  # any failure is a fact to report here, not an error of the request
        return f"down: {type(exc).__name__}"


async def _database(state: State) -> None:
    async with state.pool.acquire() as conn:
        await conn.fetchval("select 1")


async def _migrations(state: State) -> str:
    try:
        async with state.pool.acquire() as conn:
            pending = await asyncio.wait_for(pending_migrations(conn), timeout=2)
    except Exception as exc:  # a changed or missing migration file is "not ready" too
        return f"down: {type(exc).__name__}"
    return f"pending: {len(pending)}" if pending else "ok"


@get("/health", include_in_schema=True)
async def health() -> dict[str, str]:
    """Liveness: 200 while the process answers (a load balancer restarts it otherwise)."""
    return {"status": "ok"}


@get("/ready", include_in_schema=True)
async def ready(state: State) -> Response[dict[str, str]]:
    """Readiness: 200 when PostgreSQL and Redis answer and every migration is applied, else 503 saying what is not."""
    database = await _check(_database(state))
    redis = await _check(state.redis.ping())
    migrations = await _migrations(state) if database == "ok" else "unknown"
    ok = database == redis == migrations == "ok"
    return Response({"status": "ok" if ok else "not ready", "database": database, "redis": redis,
                     "migrations": migrations}, status_code=200 if ok else 503, headers={"Cache-Control": "no-store"})
