"""Pulling results from a training platform: paging, retries, set-aside items, replays and exclusion."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
import respx

from ce_service.db import create_pool
from ce_service.platforms.fetch import RetryPolicy
from ce_service.platforms.service import add_platform, platform_status, pull, set_aside
from tests.builders import UNIT, api_client, national_id, person
from tests.platforms.fake import BASE, TOKEN, FakePlatform, result

FAST = RetryPolicy(attempts=4, base_seconds=0.001, cap_seconds=0.01, timeout_seconds=5)


class Sleeps(list):
    """Records the waits asked for instead of waiting."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on the test's database, as a worker has."""
    pool = await create_pool(database_url, 1, 4)
    yield pool
    await pool.close()


@pytest.fixture
async def platform(db) -> str:
    """A configured platform for Guizhou."""
    await add_platform(db, "gz", BASE, TOKEN, "520000", 3600)
    return "gz"


async def people(db, numbers) -> None:
    for n in numbers:
        await person(db, national_id(n), name=f"人员{n}")


async def run(pool, fake: FakePlatform, **kwargs):
    with respx.mock(assert_all_called=False) as mock:
        mock.get(f"{BASE}/api/v1/results").mock(side_effect=fake)
        kwargs.setdefault("policy", FAST)
        return await pull(pool, "gz", max_hours=200, **kwargs)


async def test_pages_to_the_end_and_a_replay_stores_nothing_twice(db, pool, platform):
    await people(db, range(1, 1201))
    fake = FakePlatform([result(n) for n in range(1, 1201)])
    report = await run(pool, fake)
    assert (report.pages, report.stored, report.caught_up, report.error) == (3, 1200, True, None)
    assert [r.url.params.get("since") for r in fake.requests] == [None, "500", "1000"]
    assert all(r.url.params["limit"] == "500" for r in fake.requests)
    rows = await db.fetch("select status, source, category, half_hours, region_earned from records")
    assert len(rows) == 1200
    assert {tuple(r) for r in rows} == {("registered", "platform", "public", 60, "520000")}
    status = await platform_status(db, "gz")
    assert (status.cursor, status.items_stored, status.pages_stored) == ("1000", 1200, 3)
    assert status.last_success_at is not None and status.last_error is None
    # The next run asks again from the last page (new results may have been added to it): no doubles.
    fake.items.append(result(1201))
    await people(db, [1201])
    again = await run(pool, fake)
    assert (again.stored, again.duplicates) == (1, 200)
    assert await db.fetchval("select count(*) from records") == 1201
    events = await db.fetchval("select count(*) from record_events where action = 'create' and to_status = 'registered'")
    assert events == 1201


async def test_429_waits_as_long_as_retry_after_says(db, pool, platform):
    await people(db, [1])
    fake = FakePlatform([result(1)])
    fake.faults = [httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(503, headers={"Retry-After": "2"})]
    sleeps = Sleeps()
    report = await run(pool, fake, sleep=sleeps)
    assert sleeps == [7.0, 2.0]
    assert report.stored == 1 and report.error is None


async def test_500_then_success_backs_off_with_jitter_and_stores_once(db, pool, platform):
    await people(db, [1, 2])
    fake = FakePlatform([result(1), result(2)])
    fake.faults = [httpx.Response(500), httpx.Response(502)]
    sleeps = Sleeps()
    report = await run(pool, fake, sleep=sleeps, policy=RetryPolicy(attempts=4, base_seconds=1, cap_seconds=60))
    assert len(sleeps) == 2 and 0 <= sleeps[0] <= 1 and 0 <= sleeps[1] <= 2
    assert report.stored == 2
    assert await db.fetchval("select count(*) from records") == 2


async def test_timeouts_and_dropped_connections_are_retried(db, pool, platform):
    await people(db, [1])
    fake = FakePlatform([result(1)])
    fake.faults = [httpx.ReadTimeout("slow"), httpx.ConnectError("refused")]
    report = await run(pool, fake, sleep=Sleeps())
    assert report.stored == 1 and len(fake.requests) == 3


async def test_giving_up_keeps_the_cursor_and_says_why(db, pool, platform):
    await people(db, range(1, 601))
    fake = FakePlatform([result(n) for n in range(1, 601)])
    first = await run(pool, fake, max_pages=1)
    assert first.stored == 500 and not first.caught_up
    fake.faults = [httpx.Response(503)] * 4
    report = await run(pool, fake, sleep=Sleeps())
    assert report.error == "HTTP 503 (4 tries)" and report.stored == 0
    status = await platform_status(db, "gz")
    assert status.cursor == "500" and status.last_error == "HTTP 503 (4 tries)" and status.last_error_at
    assert await db.fetchval("select count(*) from records") == 500
    # Recovery: the next run goes on from the same cursor.
    assert (await run(pool, fake)).stored == 100
    assert (await platform_status(db, "gz")).last_error is None


async def test_a_refused_token_is_not_retried(db, pool, platform):
    fake = FakePlatform([])
    fake.faults = [httpx.Response(401, json={"detail": "bad token"})]
    report = await run(pool, fake, sleep=Sleeps())
    assert report.error.startswith("HTTP 401") and len(fake.requests) == 1


async def test_malformed_json_is_retried_then_reported(db, pool, platform):
    await people(db, [1])
    fake = FakePlatform([result(1)])
    fake.faults = [httpx.Response(200, content=b'{"items": [{"result_id": ')]
    assert (await run(pool, fake, sleep=Sleeps())).stored == 1
    fake.faults = [httpx.Response(200, content=b"<html>gateway</html>")] * 4
    report = await run(pool, fake, sleep=Sleeps())
    assert report.error.startswith("malformed JSON from the platform")
    fake.faults = [httpx.Response(200, json={"results": []})] * 4
    report = await run(pool, fake, sleep=Sleeps())
    assert report.error.startswith("not a page of results")


async def test_bad_items_are_set_aside_with_reasons_and_the_rest_stored(db, pool, platform, api):
    await people(db, [1, 2, 3, 4])
    unknown = national_id(900)
    bad_check = national_id(5)[:17] + ("0" if national_id(5)[17] != "0" else "1")
    items = [
        result(1),
        result(2, passed=False),
        result(3, credited_hours=0.3),
        result(4, name="李四"),
        result(5, national_id=bad_check),
        result(900, national_id=unknown),
        "not an object",
        result(6, result_id=""),
        result(1, result_id="R-late", finished_at="2999-01-01T00:00:00+08:00"),
    ]
    report = await run(pool, FakePlatform(items))
    assert (report.stored, report.held, report.set_aside) == (1, 1, 7)
    page = await set_aside(db, "gz", None, 100)
    reasons = {item.result_id: item.reason for item in page.items}
    year = items[0]["exam_year"]
    assert reasons[f"R-{year}-2"] == "not passed"
    assert reasons[f"R-{year}-3"].startswith("credited_hours:")
    assert reasons[f"R-{year}-4"] == "name: does not match the name registered for this ID number"
    assert reasons[f"R-{year}-5"].startswith("national_id:")
    assert reasons["R-late"].startswith("finished_at:") or reasons["R-late"].startswith("exam_year:")
    assert sum(1 for key in reasons if key.startswith("sha256:")) == 2   # no usable result_id
    masked = next(i for i in page.items if i.result_id == f"R-{year}-4").item["national_id"]
    assert "*" in masked
    status = await platform_status(db, "gz")
    assert status.items_set_aside == 7 and status.items_held == 1
    assert status.set_aside_by_reason["not passed"] == 1
    # A replay of the page sets nothing aside twice and stores nothing twice.
    again = await run(pool, FakePlatform(items))
    assert (again.stored, again.duplicates, again.set_aside) == (0, 1, 0)
    assert await db.fetchval("select count(*) from platform_set_aside") == 7
    # The unknown person is held, and attached (registered) when HR adds the person.
    assert await db.fetchval("select count(*) from held_records where national_id = $1", unknown) == 1
    hr = {"Authorization": "Bearer " + await api_client(db, "hr_system", "人社")}
    body = {"name": "人员900", "series": "engineering",
            "periods": [{"from_year": 2015, "level": "intermediate", "workplace": "standard", "region": "522601",
                         "unit": UNIT}]}
    response = await api.put(f"/api/v1/persons/{unknown}", json=body, headers=hr)
    assert response.status_code in (200, 201), response.text
    row = await db.fetchrow("select r.status, r.source from records r join persons p on p.id = r.person_id"
                            " where p.national_id = $1", unknown)
    assert tuple(row) == ("registered", "platform")


async def test_a_run_killed_between_fetch_and_commit_leaves_the_page_for_the_next(db, pool, platform, database_url):
    await people(db, range(1, 1201))
    items = [result(n) for n in range(1, 1201)]
    items[700] = result(701, passed=False)
    fake = FakePlatform(items)
    assert (await run(pool, fake, max_pages=1)).stored == 500
    # Block the run while it stores page 2 (its records written, not committed) by holding the table
    # its one set-aside item goes to; then kill its connection, as when the worker process dies.
    blocker = await asyncpg.connect(database_url)
    tx = blocker.transaction()
    await tx.start()
    await blocker.execute("lock table platform_set_aside in exclusive mode")
    task = asyncio.create_task(run(pool, fake))
    pid = None
    for _ in range(500):
        pid = await db.fetchval("select pid from pg_stat_activity where wait_event_type = 'Lock'"
                                " and query like '%insert into platform_set_aside%'")
        if pid:
            break
        await asyncio.sleep(0.01)
    assert pid, "the run never reached the end of page 2"
    assert await db.fetchval("select count(*) from records") == 500   # page 2's rows are not visible
    await db.execute("select pg_terminate_backend($1)", pid)
    with pytest.raises((asyncpg.PostgresError, asyncpg.InterfaceError, ConnectionError)):
        await task
    await tx.rollback()
    await blocker.close()
    assert await db.fetchval("select count(*) from records") == 500
    assert (await platform_status(db, "gz")).cursor == "500"
    report = await run(pool, fake)
    assert (report.stored, report.duplicates, report.set_aside) == (699, 0, 1)
    assert await db.fetchval("select count(*) from records") == 1199
    assert await db.fetchval("select count(distinct external_id) from records") == 1199
    assert await db.fetchval("select count(*) from platform_set_aside") == 1


async def test_two_runs_at_once_one_runs_the_other_steps_aside(db, pool, platform, database_url):
    await people(db, range(1, 11))
    fake = FakePlatform([result(n) for n in range(1, 11)])
    blocker = await asyncpg.connect(database_url)
    tx = blocker.transaction()
    await tx.start()
    await blocker.execute("select 1 from platforms for update")
    first = asyncio.create_task(run(pool, fake))
    for _ in range(500):
        if await db.fetchval("select count(*) from pg_stat_activity where wait_event_type = 'Lock'"):
            break
        await asyncio.sleep(0.01)
    second = await run(pool, fake)
    assert second.ran is False and second.stored == 0
    await tx.rollback()
    await blocker.close()
    report = await first
    assert report.ran and report.stored == 10
    assert await db.fetchval("select count(*) from records") == 10


async def test_a_page_too_large_is_refused_without_reading_it_whole(db, pool, platform):
    """A platform (or something in its place) answering 400 MB must not take the worker's memory with it."""
    import httpx

    from ce_service.platforms import fetch

    sent = {"bytes": 0}

    async def endless():
        chunk = b" " * (1 << 20)
        for _ in range(400):
            sent["bytes"] += len(chunk)
            yield chunk

    with respx.mock(assert_all_called=False) as mock:
        mock.get(f"{BASE}/api/v1/results").mock(return_value=httpx.Response(200, stream=endless()))
        report = await pull(pool, "gz", max_hours=200, policy=FAST)
    assert report.stored == 0 and "larger than 16 MB" in (report.error or "")
    assert sent["bytes"] <= fetch.MAX_PAGE_BYTES + (2 << 20)   # stopped reading soon after the cap
