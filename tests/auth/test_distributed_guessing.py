"""Guessing one account's password from many addresses: slowed down for the account as a whole, while its
owner (a browser that signed in before, or an address they signed in from) still gets in."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from redis.asyncio import Redis

from ce_service import clock
from ce_service.auth.limits import KNOWN_DEVICE_SECONDS, LOGIN_FAILURES_PER_ACCOUNT, LOGIN_WINDOW_SECONDS
from ce_service.auth.secrets import remember_device
from ce_service.auth.service import set_user_state, sign_in
from ce_service.errors import TooManyRequests, Unauthorized
from tests.builders import PASSWORD, national_id, person, user

SECRET = "test-secret-key-0123456789abcdef"   # the `settings` fixture's CE_SECRET_KEY
HOME = "198.51.100.20"
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
async def redis(servers):
    client = Redis.from_url(servers.redis_url)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
async def owner(db) -> str:
    """An account (its password is PASSWORD)."""
    pid = await person(db, national_id(31))
    await user(db, "zhaoliu", "professional", person_id=pid)
    return "zhaoliu"


async def owner_device(db, redis, now=lambda: T0) -> str:
    """The known-device cookie the owner's browser got when signing in from home."""
    return (await sign_in(db, redis, "zhaoliu", PASSWORD, HOME, 8, secret_key=SECRET, now=now)).device


async def botnet(db, redis, alias: str = "zhaoliu", count: int = LOGIN_FAILURES_PER_ACCOUNT) -> None:
    """One wrong guess from each of `count` addresses: no address comes near its own limit."""
    for i in range(count):
        with pytest.raises(Unauthorized):
            await sign_in(db, redis, alias, f"guess-{i}", f"203.0.{i // 250}.{i % 250 + 1}", 8, secret_key=SECRET,
                          now=lambda: T0)


def waits(refused: TooManyRequests) -> int:
    """The minutes the message asks to wait, checked to be the same in Chinese and English and against Retry-After."""
    chinese = int(re.search(r"请 (\d+) 分钟后再试", refused.detail).group(1))
    english = int(re.search(r"try again in (\d+) minute\(s\)", refused.detail).group(1))
    seconds = int(refused.headers["Retry-After"])
    assert chinese == english and 0 < seconds <= LOGIN_WINDOW_SECONDS and chinese == (seconds + 59) // 60
    return seconds


async def test_many_addresses_exhaust_the_account_then_new_ones_wait_while_the_owner_signs_in(db, redis, owner):
    device = await owner_device(db, redis)
    await botnet(db, redis)
    # A new address, even with the right password, waits: the guesses could have come from anywhere.
    with pytest.raises(TooManyRequests) as refused:
        await sign_in(db, redis, "zhaoliu", PASSWORD, "192.0.2.99", 8, secret_key=SECRET, now=lambda: T0)
    waits(refused.value)
    assert "新设备" in refused.value.detail and "new devices" in refused.value.detail
    # The owner's browser, from a new address too (a phone on another network), signs in.
    signed = await sign_in(db, redis, "zhaoliu", PASSWORD, "192.0.2.100", 8, secret_key=SECRET, device=device,
                           now=lambda: T0 + timedelta(minutes=5))
    assert signed.user.username == "zhaoliu"
    # So does anyone at the address the owner signed in from before (their home network), without the cookie.
    assert (await sign_in(db, redis, "zhaoliu", PASSWORD, HOME, 8, secret_key=SECRET, now=lambda: T0)).token
    # More guesses from new addresses are refused before the password is even looked at.
    with pytest.raises(TooManyRequests):
        await sign_in(db, redis, "zhaoliu", "guess-again", "203.0.9.9", 8, secret_key=SECRET, now=lambda: T0)


async def test_every_alias_of_the_account_counts_together(db, redis, owner):
    await botnet(db, redis, national_id(31), LOGIN_FAILURES_PER_ACCOUNT // 2)
    await botnet(db, redis, national_id(31).lower(), LOGIN_FAILURES_PER_ACCOUNT - LOGIN_FAILURES_PER_ACCOUNT // 2)
    with pytest.raises(TooManyRequests):
        await sign_in(db, redis, "zhaoliu", PASSWORD, "192.0.2.99", 8, secret_key=SECRET, now=lambda: T0)


async def test_a_known_device_is_still_limited_per_address(db, redis, owner):
    """The cookie lifts the account-wide slow-down only: a stolen one still gives ten guesses per address."""
    from ce_service.auth.limits import LOGIN_FAILURES_PER_NAME

    device = await owner_device(db, redis)
    for _ in range(LOGIN_FAILURES_PER_NAME):
        with pytest.raises(Unauthorized):
            await sign_in(db, redis, "zhaoliu", "guess", "192.0.2.7", 8, secret_key=SECRET, device=device,
                          now=lambda: T0)
    with pytest.raises(TooManyRequests) as refused:
        await sign_in(db, redis, "zhaoliu", PASSWORD, "192.0.2.7", 8, secret_key=SECRET, device=device, now=lambda: T0)
    waits(refused.value)


async def test_cookies_that_do_not_count(db, redis, owner):
    device = await owner_device(db, redis)
    other_pid = await person(db, national_id(32))
    await user(db, "qianqi", "professional", person_id=other_pid)
    others = (await sign_in(db, redis, "qianqi", PASSWORD, HOME, 8, secret_key=SECRET, now=lambda: T0)).device
    await botnet(db, redis)
    user_id, issued, proof = device.split("~")[1].split(".")
    password_hash = await db.fetchval("select password_hash from users where username = 'zhaoliu'")
    refused_cookies = {
        "another account's": others,
        "made with another secret": remember_device("x" * 32, None, int(user_id), password_hash, int(issued),
                                                    KNOWN_DEVICE_SECONDS),
        "tampered": device.replace(proof, proof[::-1]),
        "re-dated": device.replace(f".{issued}.", f".{int(issued) + 60}."),
        "garbage": "d1~" + "9" * 2000,
    }
    for what, cookie in refused_cookies.items():
        with pytest.raises(TooManyRequests):
            await sign_in(db, redis, "zhaoliu", PASSWORD, "192.0.2.99", 8, secret_key=SECRET, device=cookie,
                          now=lambda: T0)
            pytest.fail(f"a cookie {what} let the sign-in through")
    # Too old (the clock is the service's, injected here): no longer counts.
    later = T0 + timedelta(seconds=KNOWN_DEVICE_SECONDS + 60)
    with pytest.raises(TooManyRequests):
        await sign_in(db, redis, "zhaoliu", PASSWORD, "192.0.2.99", 8, secret_key=SECRET, device=device,
                      now=lambda: later)
    # A new password forgets the devices that knew the old one.
    await set_user_state(db, "zhaoliu", "reset-password", "a-brand-new-secret")
    with pytest.raises(TooManyRequests):
        await sign_in(db, redis, "zhaoliu", "a-brand-new-secret", "192.0.2.99", 8, secret_key=SECRET, device=device,
                      now=lambda: T0)


async def test_one_cookie_remembers_several_accounts(db, redis, owner):
    device = await owner_device(db, redis)
    pid = await person(db, national_id(33))
    await user(db, "sunba", "professional", person_id=pid)
    both = (await sign_in(db, redis, "sunba", PASSWORD, HOME, 8, secret_key=SECRET, device=device,
                          now=lambda: T0)).device
    await botnet(db, redis)
    await botnet(db, redis, "sunba")
    for name in ("zhaoliu", "sunba"):
        assert (await sign_in(db, redis, name, PASSWORD, "192.0.2.50", 8, secret_key=SECRET, device=both,
                              now=lambda: T0)).user.username == name


async def test_over_http_the_known_device_cookie_is_given_and_honoured(api, db, servers, owner):
    """The sign-in sets an HttpOnly, Secure, SameSite=Strict cookie; past the account's limit, a browser without it
    gets 429 saying how long to wait, and the browser with it signs in."""
    redis = Redis.from_url(servers.redis_url)
    try:
        device = await owner_device(db, redis, clock.now)   # signed in from home, earlier (the app's clock: now)
        await botnet(db, redis)
    finally:
        await redis.aclose()
    body = {"username": "zhaoliu", "password": PASSWORD}
    refused = await api.post("/api/v1/auth/login", json=body)
    assert refused.status_code == 429 and 0 < int(refused.headers["retry-after"]) <= LOGIN_WINDOW_SECONDS
    assert re.search(r"请 \d+ 分钟后再试", refused.json()["detail"]) and "minute(s)" in refused.json()["detail"]
    assert "set-cookie" not in refused.headers
    api.cookies.set("ce_device", device)
    signed = await api.post("/api/v1/auth/login", json=body)
    assert signed.status_code == 200, signed.text
    given = [c for c in signed.headers.get_list("set-cookie") if c.startswith("ce_device=")]
    assert len(given) == 1
    assert "HttpOnly" in given[0] and "Secure" in given[0] and "samesite=strict" in given[0].lower()
    assert "zhaoliu" not in given[0] and PASSWORD not in given[0]
