"""Migrations: applied once, in order, checksummed, under an advisory lock."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from pathlib import Path

import asyncpg
import pytest

from ce_service.migrate import MIGRATIONS_DIR, MigrationError, migrate, read_migrations
from tests.conftest import database_url_for


@pytest.fixture
async def empty_database_url(servers):
    """A database with nothing in it."""
    name = f"ce_empty_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(servers.admin_url)
    await admin.execute(f"create database {name}")
    await admin.close()
    yield database_url_for(servers.admin_url, name)
    admin = await asyncpg.connect(servers.admin_url)
    await admin.execute(f"drop database {name} with (force)")
    await admin.close()


def test_files_are_numbered_and_readable():
    migrations = read_migrations()
    assert [m.version for m in migrations] == sorted({m.version for m in migrations})
    assert migrations[0].filename.startswith("0001_")


async def test_applies_once(empty_database_url):
    first = await migrate(empty_database_url)
    assert first == [m.filename for m in read_migrations()]
    assert await migrate(empty_database_url) == []
    conn = await asyncpg.connect(empty_database_url)
    rows = await conn.fetch("select version, checksum from schema_migrations order by version")
    await conn.close()
    assert [(r["version"], r["checksum"]) for r in rows] == [(m.version, m.checksum) for m in read_migrations()]


async def test_two_concurrent_runs_apply_each_file_once(empty_database_url):
    results = await asyncio.gather(migrate(empty_database_url), migrate(empty_database_url), migrate(empty_database_url))
    applied = [f for result in results for f in result]
    assert sorted(applied) == sorted(m.filename for m in read_migrations())
    conn = await asyncpg.connect(empty_database_url)
    assert await conn.fetchval("select count(*) from schema_migrations") == len(read_migrations())
    await conn.close()


async def test_changed_applied_file_is_an_error_naming_it(empty_database_url, tmp_path: Path):
    folder = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, folder)
    await migrate(empty_database_url, folder)
    first = sorted(folder.glob("*.sql"))[0]
    first.write_text(first.read_text() + "\n-- an edit after the fact\n")
    with pytest.raises(MigrationError, match=first.name):
        await migrate(empty_database_url, folder)


async def test_missing_applied_file_is_an_error(empty_database_url, tmp_path: Path):
    folder = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, folder)
    (folder / "0999_extra.sql").write_text("create table extra_thing (id int);")
    await migrate(empty_database_url, folder)
    (folder / "0999_extra.sql").unlink()
    with pytest.raises(MigrationError, match="0999_extra.sql"):
        await migrate(empty_database_url, folder)


async def test_failing_migration_leaves_nothing_half_done(empty_database_url, tmp_path: Path):
    folder = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, folder)
    (folder / "0998_broken.sql").write_text("create table half_done (id int); select no_such_function();")
    with pytest.raises(asyncpg.PostgresError):
        await migrate(empty_database_url, folder)
    conn = await asyncpg.connect(empty_database_url)
    assert await conn.fetchval("select to_regclass('half_done')") is None
    assert await conn.fetchval("select max(version) from schema_migrations") < 998
    await conn.close()


@pytest.mark.parametrize("name", ["1_x.sql", "0001-x.sql", "0003_Upper.sql"])
def test_badly_named_file_is_an_error(tmp_path: Path, name):
    (tmp_path / name).write_text("select 1;")
    with pytest.raises(MigrationError, match=name):
        read_migrations(tmp_path)


async def test_history_is_append_only(db):
    pid = await db.fetchval("insert into persons (national_id, name, series) values ('522601198001011238', 'x', 'health') returning id")
    rid = await db.fetchval("insert into records (person_id, year, category, half_hours, course_title, completed_on, source, status)"
                            " values ($1, 2023, 'public', 2, 't', '2023-01-02', 'self', 'draft') returning id", pid)
    await db.execute("insert into record_events (record_id, actor_kind, actor_name, role, action, to_status)"
                     " values ($1, 'system', 'test', 'system', 'create', 'draft')", rid)
    for statement in ("update record_events set reason = 'edited'", "delete from record_events", "truncate record_events"):
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await db.execute(statement)


def test_a_missing_migrations_folder_says_how_to_install(tmp_path):
    with pytest.raises(MigrationError, match="pip install -e"):
        read_migrations(tmp_path / "nowhere")
