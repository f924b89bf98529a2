"""Hostile input, generated: schemathesis sends every operation of the service's own OpenAPI document
valid and invalid requests, as the right kind of caller, to a live server on a real database.

Expected: no server error, every response of a documented status matches its schema, and the
content type is the documented one. CE_FUZZ_EXAMPLES sets the examples per operation (default 15;
the standalone hostile run, `pytest tests/hostile` with CE_FUZZ_EXAMPLES=200, goes deeper).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid

import asyncpg
import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from ce_service.app import create_app
from ce_service.auth.secrets import new_token, token_hash
from ce_service.db import init_connection
from ce_service.settings import load_settings
from tests.builders import PASSWORD, UNIT, national_id, person, record, user
from tests.conftest import database_url_for
from tests.web.browsing import free_port


def _openapi() -> dict:
    """The OpenAPI document exactly as the service serves it at /schema/openapi.json."""
    app_settings = load_settings({"CE_SECRET_KEY": "openapi-only-" + "x" * 32, "CE_DATA_DIR": "/tmp/ce-openapi"})
    return create_app(app_settings, "postgresql://unused", "redis://unused").openapi_schema.to_schema()


SCHEMA = schemathesis.openapi.from_dict(_openapi())
EXAMPLES = int(os.environ.get("CE_FUZZ_EXAMPLES", "15"))
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
MACHINE = {"/api/v1/compliance/": "review_system", "/api/v1/provider/": "provider", "/api/v1/hr/": "hr_system",
           "/api/v1/persons/": "hr_system", "/api/v1/integrity/": "hr_system"}
SIGNED_IN = {"/api/v1/me/": "pro", "/api/v1/auth/": "pro", "/api/v1/review/": "hr", "/api/v1/imports": "hr",
             "/api/v1/admin/": "admin"}


class Live:
    """A live server with one caller of each kind: bearer tokens and signed-in sessions."""

    def __init__(self, base: str, tokens: dict[str, str], sessions: dict[str, dict[str, str]], redis_url: str) -> None:
        self.base, self.tokens, self.sessions, self.redis_url = base, tokens, sessions, redis_url

    def forget_failed_sign_ins(self) -> None:
        import redis

        client = redis.Redis.from_url(self.redis_url)
        try:
            for key in client.scan_iter("ce:login-failures:*"):
                client.delete(key)
        finally:
            client.close()

    def headers_for(self, path: str) -> dict[str, str]:
        if path == "/api/v1/compliance/keys":
            return {}
        for prefix, kind in MACHINE.items():
            if path.startswith(prefix):
                return {"Authorization": f"Bearer {self.tokens[kind]}"}
        if path == "/api/v1/auth/logout":
            # A session of its own, so logging out ends no other test's; the generated sign-ins may
            # have used up this address's failures, so forget them first.
            self.forget_failed_sign_ins()
            return sign_in(self.base, "pro")
        for prefix, who in SIGNED_IN.items():
            if path.startswith(prefix):
                return self.sessions[who]
        return {}


def sign_in(base: str, username: str) -> dict[str, str]:
    answer = httpx.post(f"{base}/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    answer.raise_for_status()
    return {"X-CSRF-Token": answer.json()["csrf_token"], "Cookie": f"ce_session={answer.cookies['ce_session']}"}


async def _seed(url: str) -> dict[str, str]:
    conn = await asyncpg.connect(url)
    await init_connection(conn)
    try:
        pid = await person(conn, national_id(1), name="张三", periods=[(2015, "intermediate", "standard", "522601", UNIT)])
        await record(conn, pid, 2023, "professional", 20)
        await user(conn, "pro", "professional", person_id=pid)
        await user(conn, "hr", "hr_reviewer", region_prefix="52")
        await user(conn, "admin", "admin")
        tokens = {}
        for kind in ("review_system", "provider", "hr_system"):
            tokens[kind] = new_token()
            await conn.execute("insert into api_clients (name, kind, token_hash, token_hint, requests_per_second)"
                               " values ($1, $2, $3, $4, 100000)", f"fuzz {kind}", kind, token_hash(tokens[kind]),
                               tokens[kind][:7])
        return tokens
    finally:
        await conn.close()


async def _admin(admin_url: str, sql: str) -> None:
    """Run one statement (create or drop a database) on the test server."""
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(sql)
    finally:
        await admin.close()


@pytest.fixture(scope="module")
def live(servers, tmp_path_factory):
    """A module's own database and server: the generated requests of every operation share them."""
    name = f"ce_fuzz_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(servers.admin_url, f"create database {name} template {servers.template}"))
    url = database_url_for(servers.admin_url, name)
    tokens = asyncio.run(_seed(url))
    port = free_port()
    env = {**os.environ, "CE_DATABASE_URL": url, "CE_REDIS_URL": servers.redis_url,
           "CE_DATA_DIR": str(tmp_path_factory.mktemp("fuzz")), "CE_ENV": "development", "CE_LOG_LEVEL": "ERROR",
           "CE_SECRET_KEY": "fuzz-test-secret-0123456789abcdef0123", "CE_DB_POOL_MIN": "1", "CE_DB_POOL_MAX": "4"}
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "ce_service.app:app_from_environment", "--factory",
                               "--host", "127.0.0.1", "--port", str(port), "--log-level", "error"], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            asyncio.run(asyncio.sleep(0.1))
        else:
            raise RuntimeError("the server did not start")
        yield Live(base, tokens, {who: sign_in(base, who) for who in ("pro", "hr", "admin")}, servers.redis_url)
    finally:
        server.terminate()
        server.wait(timeout=20)
        asyncio.run(_admin(servers.admin_url, f"drop database if exists {name} with (force)"))


@SCHEMA.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_every_operation_survives_generated_requests(case, live):
    case.call_and_validate(base_url=live.base, headers=live.headers_for(case.path), checks=CHECKS, timeout=30)
