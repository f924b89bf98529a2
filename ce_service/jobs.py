"""arq WorkerSettings: the registry of background jobs from the domains."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
from arq import Retry, cron, func
from arq.connections import RedisSettings

from ce_service.audit.checkpoints import make_checkpoint
from ce_service.auth import queries as auth_queries
from ce_service.compliance.receipts import Signer
from ce_service.db import create_pool
from ce_service.imports import service as imports
from ce_service.logs import REQUEST_ID
from ce_service.metrics import count_job
from ce_service.platforms import service as platforms

log = logging.getLogger("ce_service.jobs")

# How often the audit chain's head is signed: what an insider could rewrite unseen is at most this old.
CHECKPOINT_MINUTES = 5


def observed(job: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """Run a job under the request ID that queued it (or its own), log how it ended and count it by outcome."""

    @functools.wraps(job)
    async def run(ctx: dict[str, Any], *args: Any, request_id: str | None = None, **kwargs: Any) -> Any:
        token = REQUEST_ID.set(request_id or f"job:{ctx.get('job_id', job.__name__)}")
        started, outcome = time.perf_counter(), "failed"
        try:
            result = await job(ctx, *args, **kwargs)
            outcome = "ok"
            return result
        except Retry:
            outcome = "retry"
            raise
        finally:
            extra = {"job": job.__name__, "job_id": ctx.get("job_id"), "outcome": outcome,
                     "seconds": round(time.perf_counter() - started, 3)}
            (log.info if outcome == "ok" else log.warning)("job %s %s", job.__name__, outcome, extra=extra)
            try:
                if "redis" in ctx:
                    await count_job(ctx["redis"], job.__name__, outcome)
            except Exception:  # a metric lost to a Redis blip must not fail the job
                log.warning("could not count job %s", job.__name__)
            REQUEST_ID.reset(token)

    return run


@observed
async def purge_expired_sessions(ctx: dict[str, Any]) -> int:
    """Delete sessions past their expiry; safe to run twice."""
    async with ctx["pool"].acquire() as conn:
        result = await conn.execute(auth_queries.DELETE_EXPIRED_SESSIONS)
    count = int(result.split()[-1])
    log.info("purged %d expired sessions", count)
    return count


@observed
async def schedule_platform_pulls(ctx: dict[str, Any]) -> list[str]:
    """Queue a pull of every platform whose interval has passed; a queued or running pull is not queued twice."""
    async with ctx["pool"].acquire() as conn:
        names = await platforms.due_platforms(conn)
    queued = [name for name in names
              if await ctx["redis"].enqueue_job("pull_platform", name, _job_id=pull_job_id(name),
                                               request_id=REQUEST_ID.get()) is not None]
    return queued


@observed
async def requeue_unfinished_imports(ctx: dict[str, Any]) -> list[str]:
    """Queue again every unfinished import whose job is gone (Redis lost it); a live job is left alone.

    arq refuses a job id that is queued, running or holds a result, so the queue never holds two runs of
    one import; and a run takes the import's advisory lock, so two runs never work on it at once (an import
    being run by `ce-service import` is finished by whichever holds it).
    """
    async with ctx["pool"].acquire() as conn:
        ids = await imports.unfinished_imports(conn, older_than_seconds=60)
    queued = [i for i in ids if await ctx["redis"].enqueue_job("run_import", i, _job_id=import_job_id(i)) is not None]
    if queued:
        log.warning("queued %d unfinished import(s) again whose jobs were gone: %s", len(queued), ", ".join(queued))
    return queued


def import_job_id(import_id: str) -> str:
    """One arq job id per import, so the queue holds at most one run of each."""
    return f"import:{import_id}"


def pull_job_id(name: str) -> str:
    """One arq job id per platform, so the queue holds at most one pull of each."""
    return f"pull-platform:{name}"


@observed
async def pull_platform(ctx: dict[str, Any], name: str) -> dict[str, Any]:
    """Pull one platform until it is caught up or its time is up (the next run goes on from the cursor)."""
    try:
        async with asyncio.timeout(_budget(ctx)):
            report = await platforms.pull(ctx["pool"], name, max_hours=ctx["max_hours"])
    except TimeoutError:
        log.warning("pull of %s stopped after %.0f s; the next run goes on from its cursor", name, _budget(ctx))
        return {"stopped": True}
    return vars(report)


def _budget(ctx: dict[str, Any]) -> float:
    """Seconds a run may work: a little less than arq's timeout, so it stops cleanly before being cut."""
    return max(0.1, ctx.get("job_timeout", 120) - 10)


@observed
async def run_import(ctx: dict[str, Any], import_id: str) -> dict[str, Any] | None:
    """Process an uploaded file from where it stopped (a killed run is resumed by the retry)."""
    try:
        async with asyncio.timeout(_budget(ctx)):
            # Reading the file must end (and fail the import, saying why) before the run's own limit cuts it,
            # or a file too slow to read would be retried for ever.
            status = await imports.run_import(ctx["pool"], import_id, max_hours=ctx["max_hours"],
                                              read_seconds=max(1.0, _budget(ctx) - 5))
    except TimeoutError as exc:
        # A long file: the chunks done are committed; the next try goes on from there.
        log.info("import %s paused after %.0f s; continuing in a new run", import_id, _budget(ctx))
        raise Retry(defer=1) from exc
    except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError) as exc:
        # The database went away mid-run: the committed chunks stay, the rest is done on the next try.
        log.warning("import %s interrupted (%s); retrying", import_id, exc.__class__.__name__)
        raise Retry(defer=min(300, 10 * ctx.get("job_try", 1))) from exc
    return None if status is None else {"status": status.status, "rows_done": status.rows_done}


@observed
async def sign_checkpoint(ctx: dict[str, Any]) -> dict[str, Any] | None:
    """Sign the audit chain's head (every few minutes), so an insider's rewrite of the past shows."""
    if ctx.get("signer") is None:
        return None
    async with ctx["pool"].acquire() as conn:
        made = await make_checkpoint(conn, ctx["signer"], ctx.get("checkpoint_file"))
    return None if made is None else {"seq": made.seq, "hash": made.hash}


async def startup(ctx: dict[str, Any]) -> None:
    """Open the worker's own database pool (unless the serving process lent one)."""
    if "pool" not in ctx:
        ctx["pool"] = await create_pool(ctx["database_url"], min_size=1, max_size=4)
        ctx["owns_pool"] = True


async def shutdown(ctx: dict[str, Any]) -> None:
    """Close what startup opened."""
    if ctx.get("owns_pool"):
        await ctx["pool"].close()


def functions(job_timeout: int) -> list:
    """The jobs, with the time a run may take before arq cancels it (and retries, where that is safe).

    arq re-runs a job whose worker died only after the longest timeout (+10 s) has passed, so the
    timeouts are kept short: imports and pulls commit as they go and carry on where a cut run stopped.
    """
    return [
        purge_expired_sessions,
        schedule_platform_pulls,
        requeue_unfinished_imports,
        sign_checkpoint,
        # keep_result=0: a finished pull must not keep its job id, or the next one could not be queued.
        func(pull_platform, keep_result=0, timeout=job_timeout, max_tries=1),
        func(run_import, timeout=job_timeout, max_tries=20),
    ]


CRON_JOBS = [
    cron(purge_expired_sessions, minute={7}, unique=True),
    cron(schedule_platform_pulls, second={0}, unique=True),
    cron(requeue_unfinished_imports, second={30}, unique=True),
    cron(sign_checkpoint, minute=set(range(0, 60, CHECKPOINT_MINUTES)), second={15}, unique=True),
]


def worker_settings(database_url: str, redis_url: str, pool: Any = None, max_hours: int = 200,
                    job_timeout: int = 120, signer: Signer | None = None,
                    checkpoint_file: Path | None = None) -> dict[str, Any]:
    """Keyword arguments for arq.Worker, shared by `ce-service worker` and the in-process worker."""
    ctx: dict[str, Any] = {"database_url": database_url, "max_hours": max_hours, "job_timeout": job_timeout,
                           "signer": signer, "checkpoint_file": checkpoint_file}
    if pool is not None:
        ctx["pool"] = pool
    return {
        "functions": functions(job_timeout),
        "cron_jobs": CRON_JOBS,
        "redis_settings": RedisSettings.from_dsn(redis_url),
        "on_startup": startup,
        "on_shutdown": shutdown,
        "ctx": ctx,
        "handle_signals": False,
        "max_jobs": 10,
        "job_timeout": job_timeout,
    }
