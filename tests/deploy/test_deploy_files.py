"""The deployment kit: its files pass the validators this machine has, and a backup restores into a working registry."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import pgserver

from tests.builders import api_client, national_id, person
from tests.conftest import database_url_for

DEPLOY = Path(__file__).parents[2] / "deploy"
PG_BIN = Path(pgserver.__file__).parent / "pginstall" / "bin"
VENV_BIN = Path(sys.executable).parent


def test_compose_nginx_and_systemd_files_validate():
    env = {**os.environ, "PATH": f"{VENV_BIN}:{os.environ['PATH']}"}
    result = subprocess.run([str(DEPLOY / "check")], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all checks passed" in result.stdout


async def test_backup_then_restore_gives_the_same_registry_with_an_intact_trail(api, db, servers, database_url, tmp_path):
    hr = await api_client(db, "hr_system")
    pid = await person(db, national_id(3))
    nid = await db.fetchval("select national_id from persons where id = $1", pid)
    batch = {"records": [{"external_id": f"HR-{i}", "national_id": nid, "name": "张三", "year": 2024, "category": "public",
                          "hours": 2, "course_title": f"课程{i}", "completed_on": "2024-03-01"}
                         for i in range(20)]}
    pushed = await api.post("/api/v1/hr/records", json=batch, headers={"Authorization": f"Bearer {hr}"})
    assert pushed.status_code == 200 and pushed.json()["accepted"] == 20, pushed.text
    evidence = tmp_path / "data" / "evidence"
    evidence.mkdir(parents=True)
    (evidence / "a-file").write_bytes(b"%PDF-1.4 certificate")

    env = {**os.environ, "PATH": f"{PG_BIN}:{os.environ['PATH']}"}
    backup = subprocess.run([str(DEPLOY / "backup.sh"), database_url, str(tmp_path / "backups"), str(tmp_path / "data")],
                            env=env, capture_output=True, text=True, timeout=120)
    assert backup.returncode == 0, backup.stderr
    dump = Path(backup.stdout.strip().splitlines()[-1])
    tarball = dump.with_name(dump.name.replace(".dump", ".data.tar.gz"))
    assert dump.stat().st_size > 0 and tarball.exists()

    target = f"ce_restored_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(servers.admin_url)
    await admin.execute(f"create database {target}")
    target_url = database_url_for(servers.admin_url, target)
    try:
        restored_dir = tmp_path / "restored"
        restore = subprocess.run([str(DEPLOY / "restore.sh"), str(dump), target_url, str(tarball), str(restored_dir)],
                                 env=env, capture_output=True, text=True, timeout=120)
        assert restore.returncode == 0, restore.stderr
        assert "records: 20" in restore.stdout
        assert (restored_dir / "evidence" / "a-file").read_bytes() == b"%PDF-1.4 certificate"
        # A second restore into the now non-empty database is refused before it touches anything.
        again = subprocess.run([str(DEPLOY / "restore.sh"), str(dump), target_url], env=env, capture_output=True,
                               text=True, timeout=60)
        assert again.returncode == 1 and "not empty" in again.stderr

        cli_env = {**env, "CE_DATABASE_URL": target_url, "CE_REDIS_URL": servers.redis_url,
                   "CE_DATA_DIR": str(tmp_path / "cli"), "CE_LOG_FORMAT": "text"}
        verify = subprocess.run([sys.executable, "-m", "ce_service", "audit", "verify"], env=cli_env,
                                capture_output=True, text=True, timeout=120)
        assert verify.returncode == 0 and "audit trail intact" in verify.stdout, verify.stderr
        migrate = subprocess.run([sys.executable, "-m", "ce_service", "migrate"], env=cli_env, capture_output=True,
                                 text=True, timeout=120)
        assert "up to date" in migrate.stdout, migrate.stderr
        conn = await asyncpg.connect(target_url)
        try:
            original = await db.fetch("select id, status, half_hours from records order by id")
            assert await conn.fetch("select id, status, half_hours from records order by id") == original
        finally:
            await conn.close()
    finally:
        await admin.execute(f"drop database if exists {target} with (force)")
        await admin.close()
