"""Migration 0013 seals the records written before row hashes: afterwards every row has a last event to match."""

from __future__ import annotations

import shutil
import uuid

import asyncpg

from ce_service.audit.trail import verify_trail
from ce_service.migrate import MIGRATIONS_DIR, migrate
from tests.builders import national_id
from tests.conftest import database_url_for


async def test_records_from_before_row_hashes_are_sealed_and_verify(servers, tmp_path):
    name = f"ce_seal_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(servers.admin_url)
    await admin.execute(f"create database {name}")
    await admin.close()
    url = database_url_for(servers.admin_url, name)
    old = tmp_path / "migrations"
    old.mkdir()
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        if int(path.name[:4]) < 13:
            shutil.copy(path, old / path.name)
    conn = None
    try:
        await migrate(url, old)
        conn = await asyncpg.connect(url)
        pid = await conn.fetchval("insert into persons (national_id, name, series) values ($1, '张三', 'engineering')"
                                  " returning id", national_id(9))
        rid = await conn.fetchval("insert into records (person_id, year, category, half_hours, course_title,"
                                  " completed_on, source, status) values ($1, 2020, 'public', 8, '课程', '2020-03-01',"
                                  " 'self', 'draft') returning id", pid)
        await conn.execute("insert into record_events (record_id, actor_kind, actor_name, role, action, to_status)"
                           " values ($1, 'user', '张三', 'professional', 'create', 'draft')", rid)
        old_hash = await conn.fetchval("select hash from record_events where record_id = $1", rid)
        await conn.close()
        conn = None
        await migrate(url)              # 0013 and later
        conn = await asyncpg.connect(url)
        events = await conn.fetch("select action, row_hash, hash from record_events where record_id = $1 order by id", rid)
        assert [e["action"] for e in events] == ["create", "seal"]
        assert events[0]["row_hash"] is None and events[0]["hash"] == old_hash   # the old event hashes as before
        assert events[1]["row_hash"] is not None
        report = await verify_trail(conn, {})
        assert report.findings == [] and (report.events, report.records) == (2, 1)
    finally:
        if conn is not None:
            await conn.close()
        admin = await asyncpg.connect(servers.admin_url)
        await admin.execute(f"drop database {name} with (force)")
        await admin.close()
