"""arq WorkerSettings: the registry of background jobs from the domains."""

from __future__ import annotations

import logging
from typing import Any

from arq import cron
from arq.connections import RedisSettings

from ce_service.auth import queries as auth_queries
from ce_service.db import create_pool

log = logging.getLogger("ce_service.jobs")


async def purge_expired_sessions(ctx: dict[str, Any]) -> int:
    """Delete sessions past their expiry; safe to run twice."""
    async with ctx["pool"].acquire() as conn:
        result = await conn.execute(auth_queries.DELETE_EXPIRED_SESSIONS)
    count = int(result.split()[-1])
    log.info("purged %d expired sessions", count)
    return count


async def startup(ctx: dict[str, Any]) -> None:
    """Open the worker's own database pool (unless the serving process lent one)."""
    if "pool" not in ctx:
        ctx["pool"] = await create_pool(ctx["database_url"], min_size=1, max_size=4)
        ctx["owns_pool"] = True


async def shutdown(ctx: dict[str, Any]) -> None:
    """Close what startup opened."""
    if ctx.get("owns_pool"):
        await ctx["pool"].close()


FUNCTIONS = [purge_expired_sessions]
CRON_JOBS = [cron(purge_expired_sessions, minute={7}, unique=True)]


def worker_settings(database_url: str, redis_url: str, pool: Any = None) -> dict[str, Any]:
    """Keyword arguments for arq.Worker, shared by `ce-service worker` and the in-process worker."""
    ctx: dict[str, Any] = {"database_url": database_url}
    if pool is not None:
        ctx["pool"] = pool
    return {
        "functions": FUNCTIONS,
        "cron_jobs": CRON_JOBS,
        "redis_settings": RedisSettings.from_dsn(redis_url),
        "on_startup": startup,
        "on_shutdown": shutdown,
        "ctx": ctx,
        "handle_signals": False,
        "max_jobs": 10,
        "job_timeout": 600,
    }
