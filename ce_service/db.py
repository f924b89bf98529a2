"""The asyncpg pool and the per-request connection."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import asyncpg
from litestar.datastructures import State


async def init_connection(conn: asyncpg.Connection) -> None:
    """Decode json/jsonb columns to Python values on every pooled connection."""
    for name in ("json", "jsonb"):
        await conn.set_type_codec(name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Release a connection without asyncpg's reset round trip (RESET ALL, UNLISTEN *, …).

    Nothing here changes session state on pooled connections (no SET, LISTEN, advisory locks or
    cursors outside transactions), and the reset would cost a round trip on every request.
    """


async def create_pool(database_url: str, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool:
    """Open the pool every request and job borrows connections from."""
    return await asyncpg.create_pool(
        database_url,
        min_size=min_size,
        max_size=max_size,
        init=init_connection,
        reset=_keep_session,
        command_timeout=30,
        server_settings={"application_name": "ce-service", "timezone": "UTC"},
    )


async def provide_connection(state: State) -> AsyncIterator[asyncpg.Connection]:
    """Lend one pooled connection to a request for its whole duration."""
    async with state.pool.acquire() as conn:
        yield conn
