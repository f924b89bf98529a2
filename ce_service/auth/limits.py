"""Requests per second for each machine client, counted across every API process in Redis."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import redis.exceptions

from ce_service.errors import TooManyRequests
from ce_service.metrics import RATE_LIMITED

log = logging.getLogger("ce_service.auth")

# A process takes permits from Redis in blocks, so a busy client costs one Redis call per block,
# not per request. Permits a process took and did not use lapse with their second, so a client
# may get a little less than its limit across several processes, never more.
MAX_BLOCK = 50


def block_size(limit: int) -> int:
    """How many permits a process takes at a time for a client with this limit."""
    return max(1, min(MAX_BLOCK, limit // 20))


@dataclass
class _Window:
    """One client's second, as this process sees it."""

    second: int
    left: int = 0             # permits taken from Redis and not used yet
    local: int = 0            # requests counted here alone while Redis is away
    exhausted: bool = False   # Redis said the second is used up: refuse without asking again


class ClientRateLimiter:
    """Per client and second: at most its limit of requests, whatever the number of API processes.

    When Redis cannot be reached (or refuses writes) the process counts on its own for a second at a
    time (each process then admits up to the limit), so an outage of Redis does not stop review
    systems from getting answers.
    """

    def __init__(self, redis, default_limit: int) -> None:
        self.redis = redis
        self.default_limit = default_limit
        self._windows: dict[int, _Window] = {}   # client id -> its current second
        self._redis_away_until = 0.0

    def limit_for(self, client_limit: int | None) -> int:
        """The limit in force: the client's own, or the service default."""
        return client_limit or self.default_limit

    async def admit(self, client_id: int, client_limit: int | None) -> None:
        """Count one request of this client, or raise 429 with Retry-After when its second is used up."""
        limit = self.limit_for(client_limit)
        now = time.time()
        second = int(now)
        window = self._windows.get(client_id)
        if window is None or window.second != second:
            window = self._windows[client_id] = _Window(second)
        if window.left > 0:
            window.left -= 1
            return
        if window.exhausted:
            self._refuse(client_id, limit)
        if now < self._redis_away_until:
            self._count_locally(window, client_id, limit)
            return
        block = block_size(limit)
        key = f"ce:rate:{client_id}:{second}"
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.incrby(key, block)
                pipe.expire(key, 5)
                taken, _ = await pipe.execute()
        except (redis.exceptions.RedisError, OSError) as exc:
            # Unreachable, out of memory, read-only during a failover: count here, try again in a second.
            log.warning("rate limit counted in this process only for 1 s: Redis %s", exc.__class__.__name__)
            self._redis_away_until = time.time() + 1
            self._count_locally(window, client_id, limit)
            return
        granted = min(block, limit - (taken - block))
        if granted <= 0:
            window.exhausted = True
            self._refuse(client_id, limit)
        # Several requests may have fetched blocks at once: each adds what it got. A block that came
        # back after the second turned stays with its own (old) window and is not carried on.
        window.left += granted - 1

    def _count_locally(self, window: _Window, client_id: int, limit: int) -> None:
        """Count a request in this process alone (while Redis is away)."""
        window.local += 1
        if window.local > limit:
            self._refuse(client_id, limit)

    @staticmethod
    def _refuse(client_id: int, limit: int) -> None:
        RATE_LIMITED.labels(str(client_id)).inc()
        # Windows are whole seconds and Retry-After counts whole seconds: the next one is at most 1 s away.
        raise TooManyRequests(f"This client may send at most {limit} requests per second; slow down.",
                              headers={"Retry-After": "1"})
