"""Benchmark of intake: provider pushes over HTTP against the raw insert rate, and a platform pull.

    python -m tests.benchmarks.intake [--records 200000] [--people 50000] [--clients 4] [--pull 100000]

In one run, on the same database:
  (a) the raw limit: the same rows inserted with asyncpg alone, `clients` connections at once, 1,000 rows
      per statement (`unnest` insert joined to persons, upserting on the same unique constraint);
  (b) POST /api/v1/provider/records, 1,000 records per request, `clients` concurrent clients, against
      `ce-service serve --workers 2` (each record checked, routed, its event written, duplicates looked for);
  (c) a pull of `pull` results from a fake training platform served on 127.0.0.1 (its own process);
  (d) an import of `import_rows` rows from an XLSX file, run as the worker runs it (chunks of 1,000).
Prints records per second for each and the ratio (b)/(a).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import time
from datetime import date

import asyncpg
import httpx
import msgspec

from ce_service.auth.secrets import new_token, token_hash
from ce_service.db import create_pool
from ce_service.imports.service import create_import, run_import
from ce_service.imports.tables import COLUMNS, table_bytes
from ce_service.platforms.service import add_platform, pull
from tests.benchmarks.common import free_port, percentile, served, start_servers
from tests.benchmarks.compliance import REGIONS, UNIT, people

BATCH = 1000
LAST_YEAR = date.today().year - 1

RAW_INSERT = """
insert into records (person_id, year, category, half_hours, course_title, course_code, completed_on, region_earned,
    provider, source, source_client_id, external_id, content_hash, route, step, status, submitted_at)
select p.id, r.year, r.category, r.half_hours, r.course_title, r.course_code, r.completed_on, r.region_earned,
    'raw', 'provider', $10, r.external_id, h.content_hash, '{hr}', 0, 'submitted', now()
from unnest($1::text[], $2::smallint[], $3::text[], $4::int[], $5::text[], $6::text[], $7::date[], $8::text[],
            $9::text[]) as r (national_id, year, category, half_hours, course_title, course_code, completed_on,
                              region_earned, external_id)
    cross join lateral (select sha256(convert_to(r.external_id, 'UTF8')) as content_hash) h
    join persons p on p.national_id = r.national_id
order by r.external_id
on conflict (source_client_id, external_id) where external_id is not null do nothing
"""


def make_records(ids: list[tuple[str, str, str]], count: int, prefix: str) -> list[dict]:
    """`count` provider results spread over the people, as the contract's example."""
    rng = random.Random(7)
    out = []
    for i in range(count):
        nid, name, _ = ids[i % len(ids)]
        year = rng.randint(2019, LAST_YEAR)
        out.append({"external_id": f"{prefix}-{i:07d}", "national_id": nid, "name": name, "year": year,
                    "category": rng.choice(("public", "professional", "professional")),
                    "hours": rng.choice((4, 6, 8, 12.5, 16, 24)), "course_title": "建筑结构抗震设计新规范",
                    "course_code": f"JZ-{year}-{i % 97:02d}", "completed_on": f"{year}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
                    "region_earned": "520000"})
    return out


async def load_people(database_url: str, n_people: int) -> list[tuple[str, str, str]]:
    """COPY people with one period each; returns (national_id, name, series)."""
    rows = people(n_people)
    conn = await asyncpg.connect(database_url)
    await conn.copy_records_to_table("persons", records=rows, columns=["national_id", "name", "series"])
    ids = [r["id"] for r in await conn.fetch("select id from persons order by id")]
    await conn.copy_records_to_table(
        "person_periods", records=[(pid, 2010, "intermediate", "standard", REGIONS[i % len(REGIONS)], UNIT)
                                   for i, pid in enumerate(ids)],
        columns=["person_id", "from_year", "level", "workplace", "region", "unit_code"])
    await conn.execute("analyze")
    await conn.close()
    return rows


async def make_client(database_url: str, kind: str, name: str) -> tuple[int, str]:
    """A client of Guizhou, allowed far more requests per second than a benchmark sends."""
    token = new_token()
    conn = await asyncpg.connect(database_url)
    client_id = await conn.fetchval("insert into api_clients (name, kind, token_hash, token_hint, regions,"
                                    " requests_per_second) values ($1, $2, $3, $4, '{52}', 1000000) returning id",
                                    name, kind, token_hash(token),
                                    token[:7])
    await conn.close()
    return client_id, token


async def raw_limit(database_url: str, records: list[dict], clients: int, client_id: int) -> dict:
    """Rows per second inserting the same rows with asyncpg alone, `clients` connections at once."""
    batches = [records[i:i + BATCH] for i in range(0, len(records), BATCH)]
    pool = await asyncpg.create_pool(database_url, min_size=clients, max_size=clients)
    queue: asyncio.Queue = asyncio.Queue()
    for b in batches:
        queue.put_nowait(b)
    timings: list[float] = []

    async def client() -> None:
        async with pool.acquire() as conn:
            while not queue.empty():
                b = queue.get_nowait()
                started = time.perf_counter()
                await conn.execute(
                    RAW_INSERT, [r["national_id"] for r in b], [r["year"] for r in b], [r["category"] for r in b],
                    [int(r["hours"] * 2) for r in b], [r["course_title"] for r in b], [r["course_code"] for r in b],
                    [date.fromisoformat(r["completed_on"]) for r in b], [r["region_earned"] for r in b],
                    [r["external_id"] for r in b], client_id)
                timings.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    async with pool.acquire() as conn:
        stored = await conn.fetchval("select count(*) from records where source_client_id = $1", client_id)
        # Leave the table as the HTTP run will find it: without these rows.
        await conn.execute("delete from records where source_client_id = $1", client_id)
        await conn.execute("vacuum analyze records")
    await pool.close()
    return {"rate": len(records) / elapsed, "seconds": elapsed, "stored": stored,
            "p50_ms": percentile(timings, 50), "p99_ms": percentile(timings, 99)}


async def http_push(base: str, token: str, records: list[dict], clients: int) -> dict:
    """Records per second through POST /api/v1/provider/records, `clients` concurrent clients."""
    bodies = [msgspec.json.encode({"records": records[i:i + BATCH]}) for i in range(0, len(records), BATCH)]
    queue: asyncio.Queue = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    timings: list[float] = []
    counts = {"accepted": 0, "duplicates": 0, "held": 0, "rejected": 0, "errors": 0}
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=120) as http:
            while not queue.empty():
                body = queue.get_nowait()
                started = time.perf_counter()
                response = await http.post("/api/v1/provider/records", content=body, headers=headers)
                timings.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    counts["errors"] += 1
                    continue
                answer = response.json()
                for key in ("accepted", "duplicates", "held", "rejected"):
                    counts[key] += answer[key]

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    return {"rate": len(records) / elapsed, "seconds": elapsed, **counts,
            "p50_ms": percentile(timings, 50), "p99_ms": percentile(timings, 99)}


FAKE_PLATFORM = r'''
import json, sys
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
from urllib.parse import urlsplit, parse_qs
ids = [line.split("\t") for line in open(sys.argv[2], encoding="utf-8").read().splitlines()]
total, year = int(sys.argv[3]), int(sys.argv[4])
class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args): pass
    def do_GET(self):
        q = parse_qs(urlsplit(self.path).query)
        start = int(q.get("since", ["0"])[0]); limit = int(q["limit"][0]); end = min(start + limit, total)
        items = [{"result_id": f"R-{i:07d}", "national_id": ids[i % len(ids)][0], "name": ids[i % len(ids)][1],
                  "exam_year": year, "course_code": f"GX-{year}", "course_title": "公需科目专题", "passed": i % 20 != 0,
                  "score": 86, "credited_hours": 30, "finished_at": f"{year}-06-01T10:00:00+08:00"}
                 for i in range(start, end)]
        body = json.dumps({"items": items, "next_cursor": str(end) if end < total else None}).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
'''


async def platform_pull(database_url: str, ids: list[tuple[str, str, str]], total: int, work_dir) -> dict:
    """Results per second pulling `total` results (1 in 20 not passed) from a fake platform on 127.0.0.1."""
    port = free_port()
    ids_file = work_dir / "platform-people.tsv"
    ids_file.write_text("\n".join(f"{nid}\t{name}" for nid, name, _ in ids), encoding="utf-8")
    server = subprocess.Popen([sys.executable, "-c", FAKE_PLATFORM, str(port), str(ids_file), str(total),
                               str(LAST_YEAR)])
    try:
        for _ in range(100):
            try:
                httpx.get(f"http://127.0.0.1:{port}/api/v1/results?limit=1", timeout=1)
                break
            except httpx.HTTPError:
                await asyncio.sleep(0.1)
        pool = await create_pool(database_url, 1, 2)
        async with pool.acquire() as conn:
            await add_platform(conn, "bench", f"http://127.0.0.1:{port}", "bench-token", "520000", 3600)
        started = time.perf_counter()
        report = await pull(pool, "bench", max_hours=200)
        elapsed = time.perf_counter() - started
        await pool.close()
    finally:
        server.terminate()
        server.wait()
    return {"rate": total / elapsed, "seconds": elapsed, "pages": report.pages, "stored": report.stored,
            "set_aside": report.set_aside, "error": report.error}


async def file_import(database_url: str, ids: list[tuple[str, str, str]], count: int) -> dict:
    """Rows per second importing an XLSX file of `count` records (its reading included)."""
    header = [c.label for c in COLUMNS["records"]]
    rows = [[r["external_id"], r["national_id"], r["name"], r["year"], "专业" if r["category"] == "professional" else "公需",
             r["hours"], r["course_title"], r["course_code"], r["completed_on"], r["region_earned"]]
            for r in make_records(ids, count, "IMP")]
    content = table_bytes("xlsx", header, rows)
    pool = await create_pool(database_url, 1, 2)
    async with pool.acquire() as conn:
        created = await create_import(conn, None, "benchmark", "records", "import.xlsx", content, len(content))
    steps: list[int] = []
    started = time.perf_counter()
    done = await run_import(pool, created.id, max_hours=200, progress=lambda d, t: steps.append(d))
    elapsed = time.perf_counter() - started
    await pool.close()
    return {"rate": count / elapsed, "seconds": elapsed, "accepted": done.accepted, "rejected": done.rejected,
            "progress_steps": len(steps), "bytes": len(content)}


def main() -> None:
    """Load, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pull", type=int, default=100_000)
    parser.add_argument("--import-rows", type=int, default=100_000)
    args = parser.parse_args()

    servers = start_servers("ce_bench_intake")
    ids = asyncio.run(load_people(servers.database_url, args.people))
    raw_client, _ = asyncio.run(make_client(servers.database_url, "provider", "raw"))
    provider, token = asyncio.run(make_client(servers.database_url, "provider", "基准测试机构"))
    records = make_records(ids, args.records, "B")

    raw = asyncio.run(raw_limit(servers.database_url, records, args.clients, raw_client))
    with served(servers, args.workers) as base:
        http = asyncio.run(http_push(base, token, records, args.clients))
    pulled = asyncio.run(platform_pull(servers.database_url, ids, args.pull, servers.work_dir))
    imported = asyncio.run(file_import(servers.database_url, ids, args.import_rows))

    print()
    print(f"intake benchmark: {args.records:,} records for {args.people:,} people, batches of {BATCH}, "
          f"{args.clients} concurrent clients, service with {args.workers} worker processes, {os.cpu_count()} cores")
    print(f"(a) raw limit, asyncpg unnest insert   {raw['rate']:>9,.0f} records/s  ({raw['seconds']:.1f} s;"
          f" batch p50 {raw['p50_ms']:.0f} ms p99 {raw['p99_ms']:.0f} ms; {raw['stored']:,} stored)")
    print(f"(b) POST /api/v1/provider/records      {http['rate']:>9,.0f} records/s  ({http['seconds']:.1f} s;"
          f" batch p50 {http['p50_ms']:.0f} ms p99 {http['p99_ms']:.0f} ms)")
    print(f"    accepted {http['accepted']:,} duplicates {http['duplicates']} held {http['held']}"
          f" rejected {http['rejected']} failed requests {http['errors']}")
    print(f"    ratio (b)/(a)                      {http['rate'] / raw['rate']:>9.1%}")
    print(f"(c) platform pull from 127.0.0.1       {pulled['rate']:>9,.0f} results/s  ({pulled['seconds']:.1f} s,"
          f" {pulled['pages']} pages, {pulled['stored']:,} stored, {pulled['set_aside']:,} set aside"
          f"{', error: ' + pulled['error'] if pulled['error'] else ''})")
    print(f"(d) XLSX import, {args.import_rows:,} rows          {imported['rate']:>9,.0f} rows/s     ({imported['seconds']:.1f} s,"
          f" {imported['bytes'] / 1e6:.1f} MB, {imported['progress_steps']} progress steps, {imported['accepted']:,} accepted,"
          f" {imported['rejected']} rejected)")


if __name__ == "__main__":
    main()
