"""Machine clients are held to their requests per second, across every API process."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from ce_service.auth.limits import ClientRateLimiter, block_size
from ce_service.errors import TooManyRequests
from tests.builders import api_client, national_id, person


class Clock:
    """The limiter's clock, set by the test: a second lasts as long as the test wants, however slow the machine."""

    def __init__(self, at: float = 1_900_000_000.25) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at

    def next_second(self) -> None:
        self.at = float(int(self.at) + 1) + 0.25


async def test_a_client_past_its_limit_gets_429_with_retry_after(api, db):
    token = await api_client(db, "review_system")
    await db.execute("update api_clients set requests_per_second = 5")
    await person(db, national_id(1))
    headers = {"Authorization": f"Bearer {token}"}
    clock = api.app.state.limiter.clock = Clock()
    answers = [await api.get(f"/api/v1/compliance/{national_id(1)}?from_year=2021&to_year=2022", headers=headers)
               for _ in range(7)]
    codes = [a.status_code for a in answers]
    assert codes[:5] == [200] * 5 and codes[5:] == [429, 429], codes
    refused = answers[5]
    assert refused.headers["retry-after"] == "1"
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "5 requests per second" in refused.json()["detail"]
    # Counted for /metrics (read from the registry: a scrape here would fill its per-minute record counts).
    from prometheus_client import REGISTRY

    client_id = await db.fetchval("select id from api_clients")
    assert REGISTRY.get_sample_value("ce_client_rate_limited_total", {"client": str(client_id)}) >= 2
    clock.next_second()
    again = await api.get(f"/api/v1/compliance/{national_id(1)}?from_year=2021&to_year=2022", headers=headers)
    assert again.status_code == 200


async def test_clients_are_counted_apart(api, db):
    busy = await api_client(db, "review_system", "busy")
    calm = await api_client(db, "review_system", "calm")
    await db.execute("update api_clients set requests_per_second = 2")
    await person(db, national_id(2))
    url = f"/api/v1/compliance/{national_id(2)}?from_year=2021&to_year=2022"
    api.app.state.limiter.clock = Clock()
    codes = [(await api.get(url, headers={"Authorization": f"Bearer {busy}"})).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert (await api.get(url, headers={"Authorization": f"Bearer {calm}"})).status_code == 200


@pytest.fixture
async def redis(servers):
    """The test Redis, emptied."""
    client = Redis.from_url(servers.redis_url)
    await client.flushdb()
    yield client
    await client.aclose()


async def admitted(limiters: list[ClientRateLimiter], client_id: int, limit: int, tries: int) -> int:
    """How many of `tries` requests, spread over the limiters in turn, were let in."""
    count = 0
    for i in range(tries):
        try:
            await limiters[i % len(limiters)].admit(client_id, limit)
            count += 1
        except TooManyRequests:
            pass
    return count


async def admits_exactly(limiter: ClientRateLimiter, client_id: int, limit: int | None, count: int) -> None:
    """In one second, `count` requests get in and the next is refused; in the next second, again."""
    for _ in range(2):
        for _ in range(count):
            await limiter.admit(client_id, limit)
        with pytest.raises(TooManyRequests):
            await limiter.admit(client_id, limit)
        limiter.clock.next_second()


async def test_the_limit_holds_across_processes(redis):
    """Two limiters (two API processes) on one Redis admit the limit in all, never more."""
    limit = 200
    clock = Clock()    # two processes, one clock: the same second for both
    admitted_in_all = await admitted([ClientRateLimiter(redis, 1000, clock), ClientRateLimiter(redis, 1000, clock)],
                                     42, limit, 400)
    # At most the limit; permits one process took but did not use lapse, at most a block per process.
    assert limit - 2 * block_size(limit) <= admitted_in_all <= limit


async def test_concurrent_requests_lose_no_permits(redis):
    """Many requests of one client at once each fetch a block; what they fetched is all used, not dropped."""
    limiter = ClientRateLimiter(redis, 1000, Clock())
    limit = 1000
    outcomes = await asyncio.gather(*(limiter.admit(5, limit) for _ in range(40)), return_exceptions=True)
    at_once = sum(1 for o in outcomes if o is None)
    assert at_once + await admitted([limiter], 5, limit, limit) == limit


async def test_redis_refusing_writes_is_counted_locally(redis):
    """Out of memory (or read-only in a failover): answers go on, counted in this process."""
    await redis.config_set("maxmemory", "1")
    try:
        await admits_exactly(ClientRateLimiter(redis, 1000, Clock()), 11, 3, 3)
    finally:
        await redis.config_set("maxmemory", "0")


async def test_the_default_limit_applies_to_clients_without_their_own(redis):
    await admits_exactly(ClientRateLimiter(redis, 3, Clock()), 7, None, 3)


async def test_without_redis_each_process_counts_alone():
    """Redis away: answers go on, each process holding the client to the limit by itself."""
    redis = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    await admits_exactly(ClientRateLimiter(redis, 1000, Clock()), 9, 4, 4)
    await redis.aclose()


def test_operators_set_and_clear_a_clients_limit(database_url, monkeypatch, tmp_path, capsys):
    from ce_service.cli import main

    monkeypatch.setenv("CE_DATABASE_URL", database_url)
    monkeypatch.setenv("CE_REDIS_URL", "redis://127.0.0.1:1")   # not used by these commands
    monkeypatch.setenv("CE_DATA_DIR", str(tmp_path))
    assert main(["clients", "create", "--name", "评审系统", "--kind", "review_system", "--rate", "50"]) == 0
    client_id = int(capsys.readouterr().out.split("client ")[1].split()[0])
    assert main(["clients", "list"]) == 0
    assert "50/s" in capsys.readouterr().out
    assert main(["clients", "rate", str(client_id), "120"]) == 0
    assert "120 requests per second" in capsys.readouterr().out
    assert main(["clients", "rate", str(client_id), "default"]) == 0
    assert main(["clients", "list"]) == 0
    assert "1000/s (default)" in capsys.readouterr().out
    assert main(["clients", "rate", str(client_id), "0"]) == 1
    assert "positive" in capsys.readouterr().err
    assert main(["clients", "rate", "99999", "10"]) == 1
    assert "no active client" in capsys.readouterr().err
    assert main(["clients", "create", "--name", "x", "--kind", "provider", "--rate", "0"]) == 1
    assert "requests_per_second" in capsys.readouterr().err
