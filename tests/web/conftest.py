"""The browser tests' fixtures: the service as `ce-service serve` runs it, and Debian's Chromium."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from playwright.async_api import async_playwright

from tests.web.browsing import CHROMIUM, FLAGS, free_port


@pytest.fixture
async def live_server(database_url, servers, tmp_path):
    """The service as `ce-service serve` runs it (uvicorn, one worker), on a free port of 127.0.0.1."""
    port = free_port()
    env = {**os.environ, "CE_DATABASE_URL": database_url, "CE_REDIS_URL": servers.redis_url,
           "CE_DATA_DIR": str(tmp_path), "CE_ENV": "development", "CE_SECRET_KEY": "browser-test-secret-0123456789abcdef",
           "CE_DB_POOL_MIN": "1", "CE_DB_POOL_MAX": "4", "CE_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "ce_service.app:app_from_environment", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(200):
                try:
                    if (await client.get(f"{base}/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError("the server did not start")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture
async def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run tests/install-tools (the README's test command does)")
    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield chromium
        await chromium.close()
