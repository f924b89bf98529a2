"""Reviewers' JSON API: /api/v1/review/… (unit, HR and health reviewers, session cookie + CSRF)."""

from __future__ import annotations

import asyncpg
from litestar import Response, get, post
from litestar.datastructures import State
from litestar.di import Provide
from litestar.params import Parameter

from ce_service.auth.guards import provide_user, reviewer, signed_in
from ce_service.auth.models import User
from ce_service.review import service
from ce_service.review.schemas import (
    ApproveManyIn,
    ApproveManyOut,
    DuplicateFlag,
    DuplicatePage,
    QueuePage,
    ReasonIn,
    ReviewItem,
)
from ce_service.wire import json_body

# Which roles review is data (verifier_kinds): any reviewer role passes here, and the service checks
# the verifier kind the role works (scope, series) again.
REVIEWER = {"guards": [reviewer()], "dependencies": {"user": Provide(provide_user, sync_to_thread=False)}}
DEPARTMENT = {"guards": [reviewer(departments_only=True)],
              "dependencies": {"user": Provide(provide_user, sync_to_thread=False)}}


@get("/api/v1/review/queue", **REVIEWER)
async def queue(user: User, db: asyncpg.Connection, year: int | None = None, source: str | None = None,
                national_id: str | None = None, status: str | None = None,
                limit: int = Parameter(default=50), offset: int = Parameter(default=0)) -> QueuePage:
    """Records waiting for my decision, oldest first, filtered by year, source, person and status."""
    return await service.queue(db, user, year=year, source=source, national_id=national_id, status=status,
                               limit=limit, offset=offset)


@get("/api/v1/review/records/{record_id:str}", **REVIEWER)
async def record(record_id: str, user: User, db: asyncpg.Connection) -> ReviewItem:
    """A record in my scope with its evidence reference and whole history."""
    return await service.record(db, user, record_id)


@post("/api/v1/review/records/{record_id:str}/approve", **REVIEWER, status_code=200)
async def approve(record_id: str, user: User, db: asyncpg.Connection) -> ReviewItem:
    """Approve my step of this record."""
    return await service.approve(db, user, record_id)


@post("/api/v1/review/records/{record_id:str}/return", **REVIEWER, **json_body(ReasonIn), status_code=200)
async def return_record(record_id: str, data: ReasonIn, user: User, db: asyncpg.Connection) -> ReviewItem:
    """Send the record back to its owner with a reason."""
    return await service.return_record(db, user, record_id, data.reason)


@post("/api/v1/review/approve-many", **REVIEWER, **json_body(ApproveManyIn), status_code=200)
async def approve_many(data: ApproveManyIn, user: User, db: asyncpg.Connection) -> ApproveManyOut:
    """Approve up to 200 records, each checked and recorded on its own."""
    return await service.approve_many(db, user, data.record_ids)


@post("/api/v1/review/records/{record_id:str}/revoke", **DEPARTMENT, **json_body(ReasonIn), status_code=200)
async def revoke(record_id: str, data: ReasonIn, user: User, db: asyncpg.Connection) -> ReviewItem:
    """Revoke a registered record (HR and health reviewers) and note it in the integrity file."""
    return await service.revoke(db, user, record_id, data.reason)


@get("/api/v1/review/duplicates", **DEPARTMENT)
async def duplicates(user: User, db: asyncpg.Connection, open_only: bool = True,
                     limit: int = Parameter(default=50), offset: int = Parameter(default=0)) -> DuplicatePage:
    """Courses that seem registered twice in my region (a registered own record and a registered official one)."""
    return await service.duplicates(db, user, open_only, limit, offset)


@post("/api/v1/review/duplicates/{flag_id:int}/close", **DEPARTMENT, **json_body(ReasonIn), status_code=200)
async def close_duplicate(flag_id: int, data: ReasonIn, user: User, db: asyncpg.Connection) -> DuplicateFlag:
    """Close a duplicate flag with what was decided (revoke the extra record first, or say why both stand)."""
    return await service.close_duplicate(db, user, flag_id, data.reason)


async def _form(db: asyncpg.Connection, state: State, user: User, national_id: str | None, year: int,
                fmt: str) -> Response:
    book = await state.rules.current(db)
    content, media_type, name = await service.registration_form(db, user, book, national_id, year, fmt)
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@get("/api/v1/review/forms/{national_id:str}", **REVIEWER)
async def form(national_id: str, user: User, db: asyncpg.Connection, state: State, year: int,
               format: str = "pdf") -> Response[bytes]:
    """《继续教育学时审核登记表》 of a person in my scope for a year, as PDF or XLSX."""
    return await _form(db, state, user, national_id, year, format)


@get("/api/v1/me/form", guards=[signed_in("professional")],
     dependencies={"user": Provide(provide_user, sync_to_thread=False)})
async def my_form(user: User, db: asyncpg.Connection, state: State, year: int, format: str = "pdf") -> Response[bytes]:
    """My own registration form for a year, to bring to my unit."""
    return await _form(db, state, user, None, year, format)


ROUTES = [queue, record, approve, return_record, approve_many, revoke, duplicates, close_duplicate, form, my_form]
