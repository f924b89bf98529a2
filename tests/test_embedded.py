"""The command as an operator runs it: embedded PostgreSQL and Redis from an empty data dir and again."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from tests.builders import UNIT, national_id


def run(data_dir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run `ce-service ARGS` with only the data dir configured (no database or Redis URL)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CE_")}
    env["CE_DATA_DIR"] = str(data_dir)
    result = subprocess.run([sys.executable, "-m", "ce_service", *args], env=env, capture_output=True, text=True,
                            timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_starts_from_empty_then_from_existing_data_dir(tmp_path: Path):
    data = tmp_path / "data"
    first = run(data, "clients", "create", "--name", "人社系统", "--kind", "hr_system")
    token = first.stdout.strip().splitlines()[-1]
    assert token.startswith("ce_") and len(token) > 40
    assert "embedded PostgreSQL" in first.stderr and "embedded Redis" in first.stderr
    assert (data / "pg" / "PG_VERSION").exists()

    second = run(data, "clients", "list")
    assert "人社系统" in second.stdout and token not in second.stdout
    assert "applied migrations" not in second.stderr  # already up to date


def test_recovers_from_a_killed_database_server(tmp_path: Path):
    data = tmp_path / "data"
    run(data, "migrate")
    # Hold the server from a process that is then killed without cleaning up, then kill the server itself.
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from ce_service.embedded import start_postgres;"
        f"start_postgres(Path({str(data)!r})); print('up', flush=True); time.sleep(60)")], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "up"
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    pid = int((data / "pg" / "postmaster.pid").read_text().split()[0])
    os.kill(pid, signal.SIGKILL)
    psutil.Process(pid).wait(60)
    # A stale postmaster.pid is left behind; the next command starts the server again.
    result = run(data, "clients", "create", "--name", "after crash", "--kind", "provider")
    assert result.stdout.strip().splitlines()[-1].startswith("ce_")
    # The killed holder is no longer counted as a user of the server, so the command's exit stopped it.
    assert not (data / "pg" / "postmaster.pid").exists()


def test_bad_configuration_fails_fast_with_a_clear_message(tmp_path: Path):
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("CE_")}, "CE_PORT": "eighty"}
    result = subprocess.run([sys.executable, "-m", "ce_service", "migrate"], env=env, capture_output=True, text=True)
    assert result.returncode == 2 and "CE_PORT" in result.stderr and "Traceback" not in result.stderr


def test_cli_reports_bad_input_without_a_trace(tmp_path: Path):
    result = run(tmp_path / "data", "users", "create", "--username", "u", "--role", "unit_reviewer",
                 "--password", "long-enough-pw", "--unit", "91522601700000000X", check=False)
    assert result.returncode == 1 and "unit: check character" in result.stderr and "Traceback" not in result.stderr


def test_serve_with_commands_from_another_process(tmp_path: Path):
    data = tmp_path / "data"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CE_")}
    env["CE_DATA_DIR"] = str(data)
    server = subprocess.Popen([sys.executable, "-m", "ce_service", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            pytest.fail("serve did not come up")
        assert httpx.get(base + "/health").json() == {"status": "ok"}
        assert httpx.get(base + "/ready").json() == {"status": "ok", "database": "ok", "redis": "ok", "migrations": "ok"}
        token = run(data, "clients", "create", "--name", "hr", "--kind", "hr_system").stdout.strip().splitlines()[-1]
        nid = national_id(5)
        body = {"name": "王五", "series": "health", "periods": [
            {"from_year": 2018, "level": "intermediate", "workplace": "grassroots", "region": "522601", "unit": UNIT}]}
        response = httpx.put(f"{base}/api/v1/persons/{nid}", json=body, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 201, response.text
        env_pw = {**env, "CE_DATA_DIR": str(data)}
        created = subprocess.run(
            [sys.executable, "-m", "ce_service", "users", "create", "--username", "wangwu", "--role", "professional",
             "--national-id", nid, "--password-stdin"], input="a-long-password\n", env=env_pw, capture_output=True,
            text=True, timeout=60)
        assert created.returncode == 0, created.stderr
        login = httpx.post(base + "/api/v1/auth/login", json={"username": nid, "password": "a-long-password"})
        assert login.status_code == 200 and login.json()["role"] == "professional"
        schema = httpx.get(base + "/schema/openapi.json").json()
        assert "/api/v1/persons/{national_id}" in schema["paths"]
        page = httpx.get(base + "/", follow_redirects=True)
        assert page.status_code == 200 and "继续教育" in page.text and 'name="password"' in page.text
        home = httpx.get(base + "/", cookies={"ce_session": login.cookies["ce_session"]})
        assert home.status_code == 200 and "我的学时" in home.text and "data-year" in home.text
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def test_demo_is_refused_in_production(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CE_")}
    env.update({"CE_DATA_DIR": str(tmp_path / "data"), "CE_ENV": "production", "CE_SECRET_KEY": "p" * 40})
    result = subprocess.run([sys.executable, "-m", "ce_service", "demo"], env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 1 and "never loaded when CE_ENV=production" in result.stderr


def test_id_numbers_are_masked_in_logs():
    import logging

    from ce_service.logs import MaskingFormatter

    record = logging.LogRecord("x", logging.ERROR, "f", 1, "GET /api/v1/compliance/%s failed", ("522601198001011238",),
                               None)
    assert MaskingFormatter("%(message)s").format(record) == "GET /api/v1/compliance/5226**********1238 failed"
