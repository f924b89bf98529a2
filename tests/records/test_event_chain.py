"""The hash chain of record events stays whole across statements, failed savepoints and concurrent writers."""

from __future__ import annotations

import asyncio

import asyncpg

from ce_service.audit.trail import verify_trail
from ce_service.db import init_connection
from tests.builders import person, record

EVENTS = """
insert into record_events (record_id, actor_kind, actor_name, role, action, from_status, to_status)
select $1, 'system', 'test', 'system', 'note', 'registered', 'registered' from generate_series(1, $2)
"""


async def test_statements_savepoints_and_concurrent_writers_keep_one_chain(db, database_url):
    pid = await person(db)
    rid = await record(db, pid, 2023, "public", 10)
    async with db.transaction():
        await db.execute(EVENTS, rid, 5)
        try:
            async with db.transaction():       # a savepoint whose rows are rolled back
                await db.execute(EVENTS, rid, 3)
                raise RuntimeError
        except RuntimeError:
            pass
        await db.execute(EVENTS, rid, 4)

    async def writer() -> None:
        conn = await asyncpg.connect(database_url)
        await init_connection(conn)
        for _ in range(10):
            await conn.execute(EVENTS, rid, 20)
        await conn.close()

    await asyncio.gather(*(writer() for _ in range(4)))
    report = await verify_trail(db, {})
    total = await db.fetchval("select count(*) from record_events")
    assert report.findings == [] and report.events == total == 1 + 5 + 4 + 800
    assert await db.fetchval("select seq from event_chain_head") == total
    assert await db.fetchval("select max(chain_seq) from record_events") == total
