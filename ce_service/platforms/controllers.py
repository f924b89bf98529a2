"""Operators' view of the platform pulls: /api/v1/admin/platforms/… (administrators, session cookie + CSRF)."""

from __future__ import annotations

import asyncpg
from litestar import get, post
from litestar.datastructures import State
from litestar.di import Provide
from litestar.params import Parameter

from ce_service.auth.guards import provide_user, signed_in
from ce_service.jobs import pull_job_id
from ce_service.logs import REQUEST_ID
from ce_service.platforms import service
from ce_service.platforms.service import PlatformStatus, SetAsidePage

ADMIN = {"guards": [signed_in("admin")], "dependencies": {"user": Provide(provide_user, sync_to_thread=False)}}


@get("/api/v1/admin/platforms", **ADMIN)
async def platforms(db: asyncpg.Connection) -> list[PlatformStatus]:
    """Every platform: last success, cursor, items stored, held and set aside (by reason), last error."""
    return await service.list_platforms(db)


@get("/api/v1/admin/platforms/{name:str}", **ADMIN)
async def platform(name: str, db: asyncpg.Connection) -> PlatformStatus:
    """One platform's pull status."""
    return await service.platform_status(db, name)


@get("/api/v1/admin/platforms/{name:str}/set-aside", **ADMIN)
async def set_aside(name: str, db: asyncpg.Connection, after: int | None = None,
                    limit: int = Parameter(default=100)) -> SetAsidePage:
    """The results of this platform that could not be used, with the reasons, oldest first."""
    return await service.set_aside(db, name, after, limit)


@post("/api/v1/admin/platforms/{name:str}/pull", **ADMIN, status_code=202)
async def pull_now(name: str, db: asyncpg.Connection, state: State) -> dict[str, object]:
    """Queue a pull of this platform now (a pull already queued or running is not queued twice)."""
    queued = await queue_pull(db, state, name)
    return {"platform": name, "queued": queued,
            "detail": "queued" if queued else "a pull of this platform is already queued or running"}


async def queue_pull(db: asyncpg.Connection, state: State, name: str) -> bool:
    """Queue the pull job of a platform (404 if there is none); False when one is already queued or running."""
    await service.platform_status(db, name)
    job = await state.redis.enqueue_job("pull_platform", name, _job_id=pull_job_id(name), request_id=REQUEST_ID.get())
    return job is not None


ROUTES = [platforms, platform, set_aside, pull_now]
