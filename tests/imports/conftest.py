"""What the import tests share: a pool of the test database, as the import job uses one."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from ce_service.db import create_pool


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_url, 1, 4)
    yield pool
    await pool.close()
