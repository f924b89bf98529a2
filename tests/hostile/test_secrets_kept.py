"""Tokens, passwords and session keys are never stored or logged in clear, whatever the caller sends."""

from __future__ import annotations

import logging

import asyncpg
from litestar.testing import AsyncTestClient

from ce_service.app import create_app
from ce_service.auth.service import create_client
from ce_service.logs import JsonFormatter
from ce_service.settings import load_settings
from tests.builders import PASSWORD, UNIT, national_id, person, user


async def _everything_stored(db: asyncpg.Connection) -> str:
    """Every row of every table, as text."""
    tables = [r["tablename"] for r in await db.fetch("select tablename from pg_tables where schemaname = 'public'")]
    return "\n".join([await db.fetchval(f'select coalesce(string_agg(t::text, E\'\\n\'), \'\') from "{name}" t')
                      for name in tables])


async def test_no_secret_is_stored_or_logged_in_clear(servers, database_url, db, caplog):
    settings = load_settings({"CE_DATA_DIR": str(servers.data_dir), "CE_SECRET_KEY": "test-secret-key-0123456789abcdef",
                              "CE_ENV": "test", "CE_ACCESS_LOG": "1", "CE_LOG_LEVEL": "DEBUG"})
    caplog.set_level(logging.DEBUG)
    pid = await person(db, national_id(3), periods=[(2015, "intermediate", "standard", "522601", UNIT)])
    await user(db, "pro", "professional", person_id=pid)
    _, provider_token = await create_client(db, "基地", "provider")
    wrong_password = "Wrong-Password-Typed-9"
    async with AsyncTestClient(app=create_app(settings, database_url, servers.redis_url)) as client:
        await client.post("/api/v1/auth/login", json={"username": "pro", "password": wrong_password})
        signed = await client.post("/api/v1/auth/login", json={"username": "pro", "password": PASSWORD})
        session = signed.cookies["ce_session"]
        csrf = signed.json()["csrf_token"]
        await client.get("/api/v1/me/records", headers={"X-CSRF-Token": csrf})
        await client.post("/api/v1/provider/records", headers={"Authorization": f"Bearer {provider_token}"},
                          json={"records": [{"external_id": "S-1", "national_id": national_id(3), "name": "张三",
                                             "year": 2024, "category": "public", "hours": 2, "course_title": "课",
                                             "completed_on": "2024-02-02"}]})
        await client.get("/api/v1/compliance/keys", headers={"Authorization": f"Bearer {provider_token}x"})
    stored = await _everything_stored(db)
    logged = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    assert caplog.records, "nothing was logged: the check would prove nothing"
    for secret in (provider_token, provider_token + "x", PASSWORD, wrong_password, session, csrf):
        assert secret not in stored, f"{secret[:6]}… is stored in clear"
        assert secret not in logged, f"{secret[:6]}… is logged in clear"
    # What is stored instead: hashes (argon2id for passwords, SHA-256 for tokens and session keys).
    assert "$argon2id$" in await db.fetchval("select password_hash from users where username = 'pro'")
    assert await db.fetchval("select count(*) from sessions") == 1
