"""`ce-service import FILE` with its progress bar, and the arq job that runs uploads."""

from __future__ import annotations

import asyncio
import csv
import io

import asyncpg
import pytest
from arq import Worker

from ce_service.cli import main
from ce_service.imports.tables import table_bytes
from ce_service.jobs import worker_settings
from tests.builders import UNIT, national_id, person, sign_in, user
from tests.imports.test_imports_api import HEADER, row, upload


def test_import_from_the_command_line(database_url, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("CE_DATABASE_URL", database_url)
    monkeypatch.setenv("CE_REDIS_URL", "redis://127.0.0.1:1")
    monkeypatch.setenv("CE_DATA_DIR", str(tmp_path))

    async def people() -> None:
        conn = await asyncpg.connect(database_url)
        for n in range(1, 1201):
            await person(conn, national_id(n), name=f"人员{n}")
        await conn.close()

    asyncio.run(people())
    path = tmp_path / "历史学时.xlsx"
    path.write_bytes(table_bytes("xlsx", HEADER, [row(n) for n in range(1, 1201)] + [row(5000, hours=-1)]))
    assert main(["import", str(path)]) == 0
    captured = capsys.readouterr()
    assert "1,000/1,201 rows" in captured.err and "1,201/1,201 rows" in captured.err
    assert "1201 rows: 1200 accepted, 0 duplicates, 0 held, 1 rejected" in captured.out
    report = list(csv.reader(io.StringIO((tmp_path / "历史学时.report.csv").read_text("utf-8-sig"))))
    assert len(report) == 1202 and report[-1][2] == "未通过"
    assert main(["import", str(path)]) == 0      # the same file again: duplicates, nothing new
    assert "0 accepted, 1200 duplicates" in capsys.readouterr().out
    assert main(["import", str(path), "--as", "nobody"]) == 1


async def test_an_upload_is_run_by_the_worker(api, db, servers, database_url):
    await user(db, "unit1", "unit_reviewer", unit_code=UNIT)
    headers = await sign_in(api, "unit1")
    await person(db, national_id(1), name="人员1")
    job = (await upload(api, headers, table_bytes("csv", HEADER, [row(1)]))).json()
    worker = Worker(**{**worker_settings(database_url, servers.redis_url), "burst": True, "poll_delay": 0.05})
    try:
        await asyncio.wait_for(worker.main(), timeout=60)
    finally:
        await worker.close()
    status = (await api.get(f"/api/v1/imports/{job['id']}")).json()
    assert (status["status"], status["accepted"]) == ("done", 1)


async def test_an_import_cut_short_goes_on_from_where_it_stopped(api, db, database_url):
    """A run stopped mid-way (its time is up: arq cancels it) keeps the chunks it committed; the next goes on.

    Each run here is cancelled as soon as it has committed one chunk, so where it stops does not depend
    on how fast the machine is."""
    from ce_service.db import create_pool
    from ce_service.imports.service import run_import

    await user(db, "unit1", "unit_reviewer", unit_code=UNIT)
    headers = await sign_in(api, "unit1")
    await db.copy_records_to_table("persons", records=[(national_id(n), f"人员{n}", "engineering") for n in range(1, 3001)],
                                   columns=["national_id", "name", "series"])
    await db.execute("insert into person_periods select id, 2015, 'intermediate', 'standard', '522601', $1 from persons",
                     UNIT)
    job = (await upload(api, headers, table_bytes("csv", HEADER, [row(n) for n in range(1, 3001)]))).json()

    def cut_after_one_chunk(done: int, total: int) -> None:
        if done < total:
            asyncio.current_task().cancel()   # as arq's timeout does, at the run's next await

    pool = await create_pool(database_url, 1, 2)
    done = []
    try:
        for _ in range(10):
            try:
                result = await asyncio.create_task(run_import(pool, job["id"], max_hours=200,
                                                              progress=cut_after_one_chunk))
                break
            except asyncio.CancelledError:
                done.append(await db.fetchval("select rows_done from imports"))
    finally:
        await pool.close()
    assert done == [1000, 2000]     # each run went on from where the last one stopped
    assert (result.status, result.rows_done, result.accepted) == ("done", 3000, 3000)
    assert await db.fetchval("select count(*) from records") == 3000
    assert await db.fetchval("select count(distinct external_id) from records") == 3000


async def test_an_import_job_that_waits_for_its_turn_pauses_and_runs_later(api, db, database_url, tmp_path):
    """Another file being read (the import process is busy) does not fail an import: the run's time ends
    while it waits, arq runs it again, and it is done once its turn comes."""
    from arq import Retry

    from ce_service.db import create_pool
    from ce_service.jobs import run_import
    from ce_service.rendering import off_loop
    from tests.test_rendering import wait_for_file

    await user(db, "unit1", "unit_reviewer", unit_code=UNIT)
    headers = await sign_in(api, "unit1")
    await person(db, national_id(1), name="人员1")
    job = (await upload(api, headers, table_bytes("csv", HEADER, [row(1)]))).json()
    gate = tmp_path / "gate"
    reading = asyncio.create_task(off_loop(wait_for_file, str(gate), timeout=300, pool="import"))   # another file
    pool = await create_pool(database_url, 1, 2)
    try:
        ctx = {"pool": pool, "max_hours": 200, "job_timeout": 11, "job_id": "t"}   # 1 s per run
        with pytest.raises(Retry):
            await run_import(ctx, job["id"])
        assert await db.fetchval("select status from imports") == "queued"   # not failed: waiting
        gate.touch()
        await reading
        # The cut run's connection was closed, which frees the import's lock once the server notices.
        for _ in range(300):
            if not await db.fetchval("select count(*) from pg_locks where locktype = 'advisory' and database ="
                                     " (select oid from pg_database where datname = current_database())"):
                break
            await asyncio.sleep(0.1)
        ctx["job_timeout"] = 120
        assert await run_import(ctx, job["id"]) == {"status": "done", "rows_done": 1}
    finally:
        gate.touch()
        await pool.close()


async def test_an_import_whose_job_redis_lost_is_queued_again_and_runs_once(api, db, servers, database_url):
    from arq import create_pool
    from arq.connections import RedisSettings

    from ce_service.db import create_pool as create_pg_pool
    from ce_service.jobs import requeue_unfinished_imports

    await user(db, "unit1", "unit_reviewer", unit_code=UNIT)
    headers = await sign_in(api, "unit1")
    await person(db, national_id(1), name="人员1")
    job = (await upload(api, headers, table_bytes("csv", HEADER, [row(1)]))).json()
    redis = await create_pool(RedisSettings.from_dsn(servers.redis_url))
    pg = await create_pg_pool(database_url, 1, 2)
    try:
        ctx = {"pool": pg, "redis": redis}
        assert await requeue_unfinished_imports(ctx) == []              # just uploaded: its job is still there
        await db.execute("update imports set created_at = now() - interval '5 minutes'")
        assert await requeue_unfinished_imports(ctx) == []              # queued: arq refuses the same job id
        await redis.flushdb()                                           # Redis lost the queue
        assert await requeue_unfinished_imports(ctx) == [job["id"]]
        assert await requeue_unfinished_imports(ctx) == []              # queued once, not twice
        worker = Worker(**{**worker_settings(database_url, servers.redis_url), "burst": True, "poll_delay": 0.05})
        try:
            await asyncio.wait_for(worker.main(), timeout=60)
        finally:
            await worker.close()
        assert await db.fetchval("select status from imports") == "done"
        assert await db.fetchval("select count(*) from records") == 1
        assert await requeue_unfinished_imports(ctx) == []              # done: nothing to queue
    finally:
        await pg.close()
        await redis.aclose()
