"""Requests per second for each machine client, and failed sign-ins, counted across every API process in Redis."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
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

    def __init__(self, redis, default_limit: int, clock: Callable[[], float] = time.time) -> None:
        self.redis = redis
        self.default_limit = default_limit
        self.clock = clock   # seconds since the epoch; the tests set the second instead of waiting for one
        self._windows: dict[int, _Window] = {}   # client id -> its current second
        self._redis_away_until = 0.0

    def limit_for(self, client_limit: int | None) -> int:
        """The limit in force: the client's own, or the service default."""
        return client_limit or self.default_limit

    async def admit(self, client_id: int, client_limit: int | None) -> None:
        """Count one request of this client, or raise 429 with Retry-After when its second is used up."""
        limit = self.limit_for(client_limit)
        now = self.clock()
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
            self._redis_away_until = self.clock() + 1
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


# Failed sign-ins, in a window that the first failure opens:
LOGIN_WINDOW_SECONDS = 15 * 60
LOGIN_FAILURES_PER_NAME = 10      # per account (its username and ID number alike) and address
LOGIN_FAILURES_PER_ADDRESS = 50   # per client address, whatever the accounts
# per account from all addresses together: past it, only browsers that signed in to the account
# before (the known-device cookie) and addresses it signed in from lately may try; others wait.
LOGIN_FAILURES_PER_ACCOUNT = 30
KNOWN_ADDRESS_SECONDS = 30 * 24 * 3600   # an address the account signed in from counts as its own this long
KNOWN_DEVICE_SECONDS = 90 * 24 * 3600    # a known-device cookie counts this long after the sign-in that gave it


def _minutes(seconds: int) -> int:
    return max(1, (seconds + 59) // 60)


class SignInPaused(TooManyRequests):
    """No attempt at this account from here now: `wait_seconds` is the real time left in the window that is full;
    `account_wide` when it is the account's own count (guesses from many addresses), not this address's."""

    def __init__(self, wait_seconds: int, account_wide: bool) -> None:
        minutes = _minutes(wait_seconds)
        if account_wide:
            detail = (f"该账号近期登录失败次数过多，暂停从新设备登录，请 {minutes} 分钟后再试；"
                      f"曾在本设备或本网络成功登录过该账号的可照常登录。"
                      f"This account has had too many failed sign-ins: sign-ins from new devices are paused; "
                      f"try again in {minutes} minute(s). A browser or network that signed in to it before "
                      f"can still sign in.")
        else:
            detail = (f"登录失败次数过多，请 {minutes} 分钟后再试。"
                      f"Too many failed sign-ins; try again in {minutes} minute(s).")
        super().__init__(detail, headers={"Retry-After": str(wait_seconds)})
        self.wait_seconds = wait_seconds
        self.wait_minutes = minutes
        self.account_wide = account_wide


@dataclass(frozen=True)
class AttemptsLeft:
    """After a failed sign-in: how many more this browser may make now, and (none left) the seconds until the
    first full window ends, read from the same counters and windows check_sign_in() reads."""

    attempts: int
    wait_seconds: int | None = None

    @property
    def wait_minutes(self) -> int | None:
        """The wait as the page says it, in whole minutes rounded up."""
        return None if self.wait_seconds is None else _minutes(self.wait_seconds)


@dataclass(frozen=True)
class SignInCounters:
    """The Redis keys of one sign-in attempt: account and address, address, account, and the account's known address."""

    pair: str
    address: str
    account: str
    known_address: str

    @classmethod
    def of(cls, account: str, address: str) -> SignInCounters:
        """`account` names the account whichever alias was typed; addresses are kept hashed with it."""
        pair = hashlib.sha256(f"{account}|{address}".encode()).hexdigest()[:32]
        return cls(f"ce:login-failures:account:{pair}", f"ce:login-failures:addr:{address}",
                   f"ce:login-failures:all:{hashlib.sha256(account.encode()).hexdigest()[:32]}",
                   f"ce:login-known:{pair}")

    def limits(self) -> tuple[tuple[str, int], ...]:
        """Each counter with the failures it allows in its window: (account, address), address, account."""
        return ((self.pair, LOGIN_FAILURES_PER_NAME), (self.address, LOGIN_FAILURES_PER_ADDRESS),
                (self.account, LOGIN_FAILURES_PER_ACCOUNT))


async def _over(redis, key: str, limit: int) -> int | None:
    """Seconds until the window of `key` ends when its count has reached `limit`; None below it."""
    if int(await redis.get(key) or 0) < limit:
        return None
    return max(1, await redis.ttl(key))


async def _owner_here(redis, counters: SignInCounters, known_device: bool) -> bool:
    """The owner's own browser or an address they signed in from: the account-wide slow-down is not for them."""
    return known_device or bool(await redis.exists(counters.known_address))


async def check_sign_in(redis, counters: SignInCounters, known_device: bool) -> None:
    """Raise SignInPaused (429 with Retry-After and a message in Chinese and English) when this attempt may not be
    made now."""
    for key, limit in counters.limits()[:2]:
        if (wait := await _over(redis, key, limit)) is not None:
            raise SignInPaused(wait, account_wide=False)
    key, limit = counters.limits()[2]
    if (wait := await _over(redis, key, limit)) is not None and not await _owner_here(redis, counters, known_device):
        raise SignInPaused(wait, account_wide=True)


async def count_sign_in_failure(redis, counters: SignInCounters, known_device: bool = False) -> AttemptsLeft:
    """One more failure for the account and address, the address and the account; what is left to this browser."""
    left, waits = [], []
    owner_here = await _owner_here(redis, counters, known_device)
    for key, limit in counters.limits():
        count = await redis.incr(key)
        if count == 1:  # the first failure opens the window (EXPIRE NX needs Redis 7)
            await redis.expire(key, LOGIN_WINDOW_SECONDS)
        if key == counters.account and owner_here:
            continue   # check_sign_in() lets the owner through past this one
        left.append(max(0, limit - count))
        if count >= limit:
            waits.append(max(1, await redis.ttl(key)))
    # Once any counter is full the next attempt waits for it; with several full, for the one that ends last.
    return AttemptsLeft(min(left), max(waits) if waits else None)


async def count_sign_in_success(redis, counters: SignInCounters) -> None:
    """The owner got in from here: this address's failures for the account are forgiven and it becomes a known one.

    The account-wide count stays: someone else may still be guessing from elsewhere."""
    await redis.delete(counters.pair)
    await redis.set(counters.known_address, 1, ex=KNOWN_ADDRESS_SECONDS)
