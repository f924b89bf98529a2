"""0011: entries written before the integrity file was read get their date, kind name and actor kind."""

from __future__ import annotations

import shutil
from datetime import date, datetime, timezone
from pathlib import Path

import asyncpg

from ce_service.migrate import MIGRATIONS_DIR, migrate
from tests.builders import national_id
from tests.test_migrate import empty_database_url  # noqa: F401  (the fixture)


async def test_old_revocation_entries_are_backfilled(empty_database_url, tmp_path: Path):  # noqa: F811
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        if int(path.name[:4]) < 11:
            shutil.copy(path, tmp_path / path.name)
    await migrate(empty_database_url, tmp_path)
    conn = await asyncpg.connect(empty_database_url)
    try:
        pid = await conn.fetchval("insert into persons (national_id, name, series) values ($1, '张三', 'engineering')"
                                  " returning id", national_id(1))
        # 17:30 UTC on 31 December is already 1 January in China.
        await conn.execute("insert into integrity_entries (person_id, at, kind, reason, actor)"
                           " values ($1, $2, 'hours_revoked', '伪造证书', 'hr (hr_reviewer 52)')",
                           pid, datetime(2023, 12, 31, 17, 30, tzinfo=timezone.utc))
        shutil.copy(MIGRATIONS_DIR / "0011_integrity_file.sql", tmp_path)
        await migrate(empty_database_url, tmp_path)
        row = await conn.fetchrow("select kind, entry_date, document, bars_declaration, actor_kind from integrity_entries")
        assert dict(row) == {"kind": "revocation", "entry_date": date(2024, 1, 1), "document": "",
                             "bars_declaration": False, "actor_kind": "user"}
        # Still append-only after the backfill.
        try:
            await conn.execute("update integrity_entries set reason = 'x'")
            raise AssertionError("the update was allowed")
        except asyncpg.RaiseError as exc:
            assert "append-only" in str(exc)
    finally:
        await conn.close()
