"""Benchmark of the compliance API against the ceiling of the same query in pgbench.

    python -m tests.benchmarks.compliance [--people 100000] [--records 1000000] [--seconds 15]

Loads the records (COPY), then in one run on the same database measures:
  (a) pgbench running the per-person query (prepared statements, 32 clients, a random person each time);
  (b) GET /api/v1/compliance/{id} over HTTP with wrk at 32 connections, `ce-service serve --workers 2`;
  (c) POST /api/v1/compliance/batch with 1,000 random people, one request after another;
and prints requests/s, p50 and p99 latency and the ratio of (b) to (a).
Needs wrk (apt-get install wrk); pgbench ships with pgserver.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import asyncpg
import httpx

from ce_service.auth.secrets import new_token, token_hash
from ce_service.compliance import queries
from ce_service.identity import make_national_id
from tests.benchmarks.common import percentile, run_pgbench, run_wrk, served, start_servers

REGIONS = ["522601", "520102", "520103", "522701", "522301", "520302"]
LEVELS = ["junior", "intermediate", "senior_associate", "senior_full"]
WORKPLACES = ["standard", "standard", "grassroots", "private"]
SERIES = ["engineering", "health", "school_teacher", "economics", "accounting", "agriculture"]
UNIT = "91522601700000000" + "3"
FROM_YEAR, TO_YEAR = 2019, 2023
NO_HASH = bytes(32)


def people(count: int) -> list[tuple[str, str, str]]:
    """(national_id, name, series) for `count` distinct people."""
    start = date(1960, 1, 1)
    return [(make_national_id(REGIONS[i % len(REGIONS)], start + timedelta(days=i // 1000), i % 1000),
             f"测试{i}", SERIES[i % len(SERIES)]) for i in range(count)]


async def load(database_url: str, n_people: int, n_records: int) -> list[str]:
    """COPY people, periods, records and one event per record; returns the ID numbers."""
    rng = random.Random(2026)
    conn = await asyncpg.connect(database_url)
    started = time.perf_counter()
    rows = people(n_people)
    await conn.copy_records_to_table("persons", records=rows, columns=["national_id", "name", "series"])
    ids = [r["id"] for r in await conn.fetch("select id from persons order by id")]
    # The hash chain is not what this measures: load events without it (the chain of this throwaway
    # database is therefore not valid; `ce-service audit verify` would say so).
    await conn.execute("alter table record_events disable trigger record_events_chain")
    periods = []
    for i, pid in enumerate(ids):
        region = REGIONS[i % len(REGIONS)]
        periods.append((pid, 2010, rng.choice(LEVELS), rng.choice(WORKPLACES), region, UNIT))
        if i % 3 == 0:
            periods.append((pid, 2021, rng.choice(LEVELS[1:]), rng.choice(WORKPLACES), region, UNIT))
    await conn.copy_records_to_table("person_periods", records=periods,
                                     columns=["person_id", "from_year", "level", "workplace", "region", "unit_code"])
    per_person = max(1, n_records // n_people)
    batch = 200_000
    records, events = [], []
    made = 0
    for pid in ids:
        for _ in range(per_person):
            year = rng.randint(2019, 2025)
            registered = rng.random() < 0.9
            at = datetime(year, 12, 1, tzinfo=timezone.utc)
            rid = uuid.UUID(int=rng.getrandbits(128), version=4)
            status = "registered" if registered else "submitted"
            records.append((rid, pid, year, rng.choice(("public", "professional", "professional")),
                            rng.randint(2, 60), "基准测试课程", date(year, 6, 1), "provider", status, at, at,
                            at if registered else None, at))
            events.append((rid, at, "system", "benchmark", "system", "create", None, status, made + 1,
                           NO_HASH, NO_HASH))
            made += 1
        if len(records) >= batch:
            await _flush(conn, records, events)
    await _flush(conn, records, events)
    await conn.execute("alter table record_events enable trigger record_events_chain")
    await conn.execute("analyze")
    print(f"loaded {n_people:,} people and {made:,} records in {time.perf_counter() - started:.1f} s")
    await conn.close()
    return [r[0] for r in rows]


async def _flush(conn: asyncpg.Connection, records: list, events: list) -> None:
    await conn.copy_records_to_table("records", records=records, columns=[
        "id", "person_id", "year", "category", "half_hours", "course_title", "completed_on", "source", "status",
        "created_at", "updated_at", "registered_at", "submitted_at"])
    await conn.copy_records_to_table("record_events", records=events, columns=[
        "record_id", "at", "actor_kind", "actor_name", "role", "action", "from_status", "to_status", "chain_seq",
        "prev_hash", "hash"])
    records.clear()
    events.clear()


async def make_token(database_url: str) -> str:
    """A review_system client for the benchmark, allowed far more requests per second than it can send."""
    token = new_token()
    conn = await asyncpg.connect(database_url)
    await conn.execute("insert into api_clients (name, kind, token_hash, token_hint, requests_per_second)"
                       " values ('bench', 'review_system', $1, 'bench', 1000000)", token_hash(token))
    await conn.close()
    return token


def pgbench_script(n_people: int) -> str:
    """The service's per-person query, with the person picked by row id at random (pgbench cannot pick strings)."""
    sql = queries.PERSON_NOW.replace("p.national_id = $1::bpchar", "p.id = :n")
    sql = sql.replace("$2", str(FROM_YEAR)).replace("$3", str(TO_YEAR))
    return f"\\set n random(1, {n_people})\n" + " ".join(sql.split()) + ";\n"


def wrk_script(ids_file: Path, token: str) -> str:
    """wrk: a random person per request."""
    return f"""
local ids = {{}}
for line in io.lines("{ids_file}") do ids[#ids + 1] = line end
math.randomseed(os.time() + math.floor(os.clock() * 1000000))
request = function()
  local id = ids[math.random(#ids)]
  return wrk.format("GET", "/api/v1/compliance/" .. id .. "?from_year={FROM_YEAR}&to_year={TO_YEAR}",
                    {{["Authorization"] = "Bearer {token}"}})
end
"""


def batches(base: str, token: str, ids: list[str], rounds: int) -> dict:
    """Time `rounds` batch requests of 1,000 random people."""
    rng = random.Random(7)
    timings = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        for i in range(rounds + 2):
            body = {"national_ids": rng.sample(ids, 1000), "from_year": FROM_YEAR, "to_year": TO_YEAR}
            started = time.perf_counter()
            response = client.post("/api/v1/compliance/batch", json=body)
            elapsed = (time.perf_counter() - started) * 1000
            response.raise_for_status()
            assert len(response.json()["results"]) == 1000
            if i >= 2:  # the first two warm the caches
                timings.append(elapsed)
    return {"p50_ms": percentile(timings, 50), "p99_ms": percentile(timings, 99), "max_ms": max(timings)}


def main() -> None:
    """Load, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-rounds", type=int, default=20)
    args = parser.parse_args()

    servers = start_servers()
    ids = asyncio.run(load(servers.database_url, args.people, args.records))
    token = asyncio.run(make_token(servers.database_url))
    ids_file = Path(tempfile.mkstemp(suffix=".txt")[1])
    ids_file.write_text("\n".join(ids) + "\n")

    ceiling = run_pgbench(servers.database_url, pgbench_script(args.people), args.connections, args.seconds, {})
    with served(servers, args.workers) as base:
        run_wrk(base, wrk_script(ids_file, token), args.connections, 3)  # warm-up
        http = run_wrk(base, wrk_script(ids_file, token), args.connections, args.seconds)
        batch = batches(base, token, ids, args.batch_rounds)

    print()
    print(f"compliance benchmark: {args.people:,} people, {args.records:,} records, {args.connections} connections, "
          f"{args.seconds} s each, service with {args.workers} worker processes")
    print(f"(a) ceiling, pgbench, same query        {ceiling['tps']:>9,.0f} queries/s   avg {ceiling['latency_avg_ms']:.2f} ms")
    print(f"(b) GET /api/v1/compliance/{{id}} (wrk)   {http['rps']:>9,.0f} requests/s  p50 {http['p50_ms']:.2f} ms"
          f"  p99 {http['p99_ms']:.2f} ms  non-2xx {http['non_2xx']}")
    print(f"    ratio (b)/(a)                       {http['rps'] / ceiling['tps']:>9.1%}")
    print(f"(c) POST /api/v1/compliance/batch x1000  p50 {batch['p50_ms']:.0f} ms  p99 {batch['p99_ms']:.0f} ms"
          f"  max {batch['max_ms']:.0f} ms ({args.batch_rounds} batches)")
    if http["non_2xx"] or http["socket_errors"]:
        print(f"    errors: non-2xx {http['non_2xx']} socket {http['socket_errors']}")


if __name__ == "__main__":
    main()
