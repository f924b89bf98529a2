"""The arq worker that `serve` runs in-process, against the real Redis."""

from __future__ import annotations

import asyncio

from arq import create_pool
from arq.connections import RedisSettings
from litestar.testing import AsyncTestClient

from ce_service.app import create_app
from tests.builders import user


async def test_in_process_worker_runs_jobs(servers, database_url, settings, db):
    uid = await user(db, "admin", "admin")
    await db.execute("insert into sessions (token_hash, user_id, expires_at) values"
                     " ('\\x01', $1, now() - interval '1 hour'), ('\\x02', $1, now() + interval '1 hour')", uid)
    app = create_app(settings, database_url, servers.redis_url, run_worker=True)
    # The test client runs the app in a loop of its own, so enqueue through a pool of this loop.
    redis = await create_pool(RedisSettings.from_dsn(servers.redis_url))
    try:
        async with AsyncTestClient(app=app):
            job = await redis.enqueue_job("purge_expired_sessions")
            assert job is not None
            assert await asyncio.wait_for(job.result(poll_delay=0.1), timeout=20) == 1
    finally:
        await redis.aclose()
    assert await db.fetchval("select count(*) from sessions") == 1
