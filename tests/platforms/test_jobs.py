"""The scheduled pull through arq: due platforms queued once, pulled by whichever worker takes the job."""

from __future__ import annotations

import asyncio

import respx
from arq import Worker, create_pool
from arq.connections import RedisSettings
from redis.asyncio import Redis

from ce_service.db import create_pool as create_pg_pool
from ce_service.jobs import schedule_platform_pulls, worker_settings
from ce_service.platforms.service import add_platform, platform_status
from tests.builders import national_id, person
from tests.platforms.fake import BASE, TOKEN, FakePlatform, result


async def test_due_platforms_are_queued_once_and_two_workers_pull_each_once(servers, database_url, db):
    flush = Redis.from_url(servers.redis_url)
    await flush.flushdb()
    await flush.aclose()
    await add_platform(db, "gz", BASE, TOKEN, "520000", 3600)
    await add_platform(db, "gz-backup", BASE, TOKEN, "520000", 3600)
    await db.execute("update platforms set enabled = false where name = 'gz-backup'")
    for n in range(1, 601):
        await person(db, national_id(n), name=f"人员{n}")
    fake = FakePlatform([result(n) for n in range(1, 601)])
    redis = await create_pool(RedisSettings.from_dsn(servers.redis_url))
    workers = [Worker(**{**worker_settings(database_url, servers.redis_url), "burst": True, "poll_delay": 0.05})
               for _ in range(2)]
    try:
        async with respx.mock(assert_all_called=False) as mock:
            mock.get(f"{BASE}/api/v1/results").mock(side_effect=fake)
            pg = await create_pg_pool(database_url, 1, 2)
            try:
                ctx = {"pool": pg, "redis": redis}
                assert await schedule_platform_pulls(ctx) == ["gz"]       # the disabled one is not due
                assert await schedule_platform_pulls(ctx) == []           # already queued
            finally:
                await pg.close()
            await asyncio.wait_for(asyncio.gather(*(w.main() for w in workers)), timeout=60)
        assert await db.fetchval("select count(*) from records") == 600
        status = await platform_status(db, "gz")
        assert status.items_stored == 600 and status.last_attempt_at is not None
        assert [r.url.params.get("since") for r in fake.requests] == [None, "500"]
        # One pull ran (the workers' cron jobs may also run if a minute turns meanwhile): two pages, once.
        assert status.pages_stored == 2
        # Pulled a moment ago: not due again until its interval has passed.
        pg = await create_pg_pool(database_url, 1, 2)
        try:
            assert await schedule_platform_pulls({"pool": pg, "redis": redis}) == []
        finally:
            await pg.close()
    finally:
        for w in workers:
            await w.close()
        await redis.aclose()
