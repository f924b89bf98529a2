"""Shared parts of the benchmarks: a database and Redis to run against, a served ce-service, wrk."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

from ce_service.db import init_connection
from ce_service.embedded import start_postgres, start_redis
from ce_service.migrate import migrate
from ce_service.rules.store import ensure_shipped_rule_sets


@dataclass
class Servers:
    """A fresh benchmark database and a Redis."""

    database_url: str
    redis_url: str
    work_dir: Path
    handles: tuple


def with_database(url: str, name: str) -> str:
    """The same server URL pointing at another database."""
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def start_servers(name: str = "ce_bench") -> Servers:
    """CE_BENCH_DATABASE_URL / CE_BENCH_REDIS_URL if set (a server where a database may be created), else embedded."""
    work_dir = Path(tempfile.mkdtemp(prefix="ce-bench-"))
    handles = []
    admin = os.environ.get("CE_BENCH_DATABASE_URL", "")
    if not admin:
        url, handle = start_postgres(work_dir)
        handles.append(handle)
        admin = with_database(url, "postgres")
    redis_url = os.environ.get("CE_BENCH_REDIS_URL", "")
    if not redis_url:
        redis_url, handle = start_redis(work_dir)
        handles.append(handle)

    async def create() -> str:
        conn = await asyncpg.connect(admin)
        await conn.execute(f"drop database if exists {name} with (force)")
        await conn.execute(f"create database {name}")
        await conn.close()
        url = with_database(admin, name)
        await migrate(url)
        conn = await asyncpg.connect(url)
        await init_connection(conn)
        await ensure_shipped_rule_sets(conn)
        await conn.close()
        return url

    return Servers(asyncio.run(create()), redis_url, work_dir, tuple(handles))


def free_port() -> int:
    """A TCP port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served(servers: Servers, workers: int, pool_max: int = 16):
    """`ce-service serve` as production runs it (several worker processes, no access log); yields its base URL."""
    port = free_port()
    env = {**os.environ, "CE_DATABASE_URL": servers.database_url, "CE_REDIS_URL": servers.redis_url,
           "CE_DATA_DIR": str(servers.work_dir / "data"), "CE_ENV": "production", "CE_LOG_LEVEL": "WARNING",
           "CE_SECRET_KEY": "benchmark-secret-key-benchmark-secret-key", "CE_DB_POOL_MIN": str(min(4, pool_max)),
           "CE_DB_POOL_MAX": str(pool_max)}
    # As an operator would: bring the schema up to date, then serve.
    subprocess.run([sys.executable, "-m", "ce_service", "migrate"], env=env, check=True, capture_output=True)
    process = subprocess.Popen([sys.executable, "-m", "ce_service", "serve", "--port", str(port), "--workers",
                                str(workers)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None:
                raise RuntimeError(f"ce-service serve exited: {process.stderr.read()}")
            time.sleep(0.1)
        else:
            raise RuntimeError("ce-service serve did not come up")
        yield base
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def require(tool: str, hint: str) -> str:
    """The path of a command-line tool, or exit with how to get it."""
    path = shutil.which(tool)
    if path is None:
        sys.exit(f"{tool} is needed for this benchmark: {hint}")
    return path


def pgbench_path() -> str:
    """pgbench from PATH, or the one shipped inside pgserver."""
    found = shutil.which("pgbench")
    if found:
        return found
    import pgserver

    return str(Path(pgserver.__file__).parent / "pginstall" / "bin" / "pgbench")


def run_pgbench(database_url: str, script: str, clients: int, seconds: int, variables: dict[str, int]) -> dict:
    """Run a custom pgbench script with prepared statements; returns tps and latency figures."""
    path = Path(tempfile.mkstemp(suffix=".sql")[1])
    path.write_text(script)
    parts = urlsplit(database_url)
    query = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p)
    env = {**os.environ, "PGDATABASE": parts.path.lstrip("/"), "PGUSER": parts.username or "postgres",
           "PGHOST": query.get("host") or parts.hostname or "127.0.0.1"}
    if parts.port:
        env["PGPORT"] = str(parts.port)
    if parts.password:
        env["PGPASSWORD"] = parts.password
    args = [pgbench_path(), "-n", "-M", "prepared", "-c", str(clients), "-j", "2", "-T", str(seconds),
            "--report-per-command", "-f", str(path)]
    for key, value in variables.items():
        args += ["-D", f"{key}={value}"]
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"pgbench failed: {done.stderr.strip()}")
    out = done.stdout
    tps = float(re.search(r"tps = ([\d.]+)", out).group(1))
    latency = float(re.search(r"latency average = ([\d.]+) ms", out).group(1))
    return {"tps": tps, "latency_avg_ms": latency, "raw": out}


def run_wrk(url: str, lua: str, connections: int, seconds: int, threads: int = 2) -> dict:
    """wrk against url with a request script; returns requests/s and p50/p99 latency in ms."""
    wrk = require("wrk", "apt-get install wrk")
    path = Path(tempfile.mkstemp(suffix=".lua")[1])
    path.write_text(lua)
    out = subprocess.run([wrk, "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency", "-s",
                          str(path), url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def ms(label: str) -> float:
        value, unit = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)\b", out).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50_ms": ms("50"), "p99_ms": ms("99"), "non_2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": errors.group(1) if errors else "", "raw": out}


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]
