"""Sign-in with a password, the session cookie, CSRF on writes, sign-out."""

from __future__ import annotations

import json

import pytest

from tests.builders import PASSWORD, national_id, person, sign_in, user


async def test_login_me_logout(api, db):
    pid = await person(db)
    await user(db, "zhangsan", "professional", person_id=pid)
    login = await api.post("/api/v1/auth/login", json={"username": "zhangsan", "password": PASSWORD})
    assert login.status_code == 200
    cookie = login.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax") and "Secure" in cookie
    me = await api.get("/api/v1/auth/me")
    assert me.status_code == 200
    assert me.json()["role"] == "professional" and me.json()["csrf_token"] == login.json()["csrf_token"]
    # Only the hash of the session token is stored.
    stored = await db.fetchval("select token_hash from sessions")
    assert len(stored) == 32 and api.cookies["ce_session"].encode() not in stored
    out = await api.post("/api/v1/auth/logout", headers={"X-CSRF-Token": me.json()["csrf_token"]})
    assert out.status_code == 200
    api.cookies.clear()
    assert (await api.get("/api/v1/auth/me")).status_code == 401
    assert await db.fetchval("select count(*) from sessions") == 0


async def test_professional_can_sign_in_with_id_number(api, db):
    nid = national_id(77)
    pid = await person(db, nid)
    await user(db, "lisi", "professional", person_id=pid)
    response = await api.post("/api/v1/auth/login", json={"username": nid, "password": PASSWORD})
    assert response.status_code == 200 and response.json()["username"] == "lisi"


async def test_wrong_password_and_unknown_user_look_the_same(api, db):
    await user(db, "admin", "admin")
    wrong = await api.post("/api/v1/auth/login", json={"username": "admin", "password": "nope-nope"})
    unknown = await api.post("/api/v1/auth/login", json={"username": "ghost", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


async def test_disabled_user_cannot_sign_in(api, db):
    await user(db, "gone", "admin")
    await db.execute("update users set disabled_at = now()")
    response = await api.post("/api/v1/auth/login", json={"username": "gone", "password": PASSWORD})
    assert response.status_code == 401


async def test_cookie_write_without_csrf_is_403(api, db):
    pid = await person(db)
    await user(db, "zhangsan", "professional", person_id=pid)
    await sign_in(api, "zhangsan")
    body = {"year": 2023, "category": "public", "hours": 3, "course_title": "专题", "completed_on": "2023-05-01"}
    assert (await api.post("/api/v1/me/records", json=body)).status_code == 403
    assert (await api.post("/api/v1/me/records", json=body, headers={"X-CSRF-Token": "0" * 64})).status_code == 403
    assert await db.fetchval("select count(*) from records") == 0


async def test_expired_session_is_401(api, db):
    pid = await person(db)
    await user(db, "zhangsan", "professional", person_id=pid)
    await sign_in(api, "zhangsan")
    await db.execute("update sessions set expires_at = now() - interval '1 second'")
    assert (await api.get("/api/v1/auth/me")).status_code == 401


async def test_login_body_is_validated(api):
    response = await api.post("/api/v1/auth/login", json={"username": "x"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body"
    assert "password" in response.json()["errors"][0]["message"]


async def test_failed_sign_ins_are_throttled(api, db):
    from ce_service.auth.service import LOGIN_FAILURES_PER_NAME

    await user(db, "admin", "admin")
    for _ in range(LOGIN_FAILURES_PER_NAME):
        response = await api.post("/api/v1/auth/login", json={"username": "admin", "password": "guess-guess"})
        assert response.status_code == 401
    blocked = await api.post("/api/v1/auth/login", json={"username": "admin", "password": PASSWORD})
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    assert blocked.json()["type"].endswith("too-many-requests")


async def test_nobody_elsewhere_can_lock_the_owner_out(db, servers):
    """Ten wrong passwords for someone's ID number from another address must not refuse the owner's right one;
    the username and the ID number are one account, counted once (no 20 guesses from one address)."""
    from redis.asyncio import Redis

    from ce_service.auth.service import LOGIN_FAILURES_PER_NAME, login
    from ce_service.errors import TooManyRequests, Unauthorized

    redis = Redis.from_url(servers.redis_url)
    await redis.flushdb()
    nid = national_id(88)
    pid = await person(db, nid)
    await user(db, "wangwu", "professional", person_id=pid)
    try:
        for i in range(LOGIN_FAILURES_PER_NAME):
            with pytest.raises(Unauthorized):
                await login(db, redis, nid if i % 2 else "wangwu", "guess-guess", "203.0.113.7", 8)
        # The attacker's address is slowed down for every alias of the account…
        for alias in ("wangwu", nid, nid.lower()):
            with pytest.raises(TooManyRequests):
                await login(db, redis, alias, PASSWORD, "203.0.113.7", 8)
        # …while the owner, from their own address, signs in with either.
        assert (await login(db, redis, nid, PASSWORD, "198.51.100.20", 8))[1].username == "wangwu"
        assert (await login(db, redis, "wangwu", PASSWORD, "198.51.100.21", 8))[1].username == "wangwu"
    finally:
        await redis.aclose()


async def test_users_can_be_disabled_enabled_reset_and_signed_out(api, db):
    from ce_service.auth.service import set_user_state
    from ce_service.errors import Invalid

    await user(db, "clerk", "admin")
    await sign_in(api, "clerk")
    assert (await api.get("/api/v1/auth/me")).status_code == 200
    assert "1 session(s) ended" in await set_user_state(db, "clerk", "disable")
    assert (await api.get("/api/v1/auth/me")).status_code == 401
    assert (await api.post("/api/v1/auth/login", json={"username": "clerk", "password": PASSWORD})).status_code == 401
    await set_user_state(db, "clerk", "enable")
    await sign_in(api, "clerk")
    await set_user_state(db, "clerk", "reset-password", "a-brand-new-secret")
    assert (await api.get("/api/v1/auth/me")).status_code == 401   # the reset ended the session
    assert (await api.post("/api/v1/auth/login", json={"username": "clerk", "password": PASSWORD})).status_code == 401
    assert (await api.post("/api/v1/auth/login", json={"username": "clerk",
                                                      "password": "a-brand-new-secret"})).status_code == 200
    assert "1 session(s) ended" in await set_user_state(db, "clerk", "end-sessions")
    with pytest.raises(Invalid):
        await set_user_state(db, "clerk", "reset-password", "short")
    with pytest.raises(Invalid):
        await set_user_state(db, "nobody", "disable")


async def test_a_success_clears_the_count(api, db):
    await user(db, "admin", "admin")
    for _ in range(5):
        await api.post("/api/v1/auth/login", json={"username": "admin", "password": "guess-guess"})
    assert (await api.post("/api/v1/auth/login", json={"username": "admin", "password": PASSWORD})).status_code == 200
    for _ in range(6):
        response = await api.post("/api/v1/auth/login", json={"username": "admin", "password": "guess-guess"})
    assert response.status_code == 401


async def test_rotating_a_token_keeps_the_client(db):
    from ce_service.auth.service import client_for_token, create_client, rotate_token
    from ce_service.errors import Invalid

    client_id, old = await create_client(db, "基地", "provider")
    new = await rotate_token(db, client_id)
    assert await client_for_token(db, old) is None
    assert (await client_for_token(db, new)).id == client_id
    with pytest.raises(Invalid):
        await rotate_token(db, 9999)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"])
async def test_sign_in_takes_json_only(api, db, content_type):
    """A form on another site can post text/plain or urlencoded bodies but not JSON: no login CSRF."""
    await user(db, "victim-of-csrf", "admin")
    body = json.dumps({"username": "victim-of-csrf", "password": PASSWORD})
    refused = await api.post("/api/v1/auth/login", content=body, headers={"Content-Type": content_type})
    assert refused.status_code in (400, 415) and "set-cookie" not in refused.headers
    assert refused.headers["content-type"].startswith("application/problem+json")
    accepted = await api.post("/api/v1/auth/login", content=body,
                              headers={"Content-Type": "application/json; charset=utf-8"})
    assert accepted.status_code == 200
