"""Imports over HTTP: /api/v1/imports/… (reviewers and administrators, session cookie + CSRF)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

import asyncpg
from litestar import Request, Response, get, post
from litestar.datastructures import State, UploadFile
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter

from ce_service.auth.guards import provide_user, staff
from ce_service.auth.models import User
from ce_service.errors import Invalid, NotFound
from ce_service.imports import service
from ce_service.imports.service import ImportPage, ImportStatus
from ce_service.imports.tables import KINDS, template
from ce_service.jobs import import_job_id
from ce_service.logs import REQUEST_ID

STAFF = {"guards": [staff()], "dependencies": {"user": Provide(provide_user, sync_to_thread=False)}}
# The hard ceiling of an upload; CE_MAX_IMPORT_BYTES (at most this) is the limit in force.
UPLOAD_CEILING = 64 * 1024 * 1024
MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@dataclass
class ImportForm:
    """A multipart form: the file, and what it holds."""

    file: UploadFile
    kind: str = "records"


def _download(filename: str, content: bytes, fmt: str) -> Response[bytes]:
    # Names stored before control characters were dropped on upload are made safe here too.
    filename = "".join(c for c in filename if c.isprintable()) or "import"
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_").replace("\\", "_")
    return Response(content, media_type=MEDIA[fmt], headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"})


@post("/api/v1/imports", **STAFF, status_code=202, request_max_body_size=UPLOAD_CEILING)
async def upload(data: Annotated[ImportForm, Body(media_type=RequestEncodingType.MULTI_PART)], user: User,
                 db: asyncpg.Connection, state: State) -> ImportStatus:
    """Queue a CSV or XLSX file of records (units, HR) or people (HR); watch its progress at its URL."""
    if not isinstance(data.file, UploadFile):
        raise Invalid.field("file", "must be a file field of the form", code="file_missing")
    return await queue_import(db, state, user, data.kind, data.file.filename, await data.file.read())


async def queue_import(db: asyncpg.Connection, state: State, user: User, kind: str, filename: str,
                       content: bytes) -> ImportStatus:
    """Store an uploaded file as an import and queue its job (the API and the administrator's page alike)."""
    created = await service.create_import(db, user, user.display_name, kind, filename, content,
                                          state.settings.max_import_bytes)
    await state.redis.enqueue_job("run_import", created.id, _job_id=import_job_id(str(created.id)),
                                  request_id=REQUEST_ID.get())
    return created


@get("/api/v1/imports", **STAFF)
async def imports(user: User, db: asyncpg.Connection, limit: int = Parameter(default=20),
                  offset: int = Parameter(default=0)) -> ImportPage:
    """My imports (administrators: everyone's), newest first."""
    return await service.list_imports(db, user, limit, offset)


@get("/api/v1/imports/templates/{name:str}", **STAFF)
async def import_template(name: str) -> Response[bytes]:
    """The template to fill in: records.csv, records.xlsx, people.csv or people.xlsx."""
    kind, _, fmt = name.partition(".")
    if kind not in KINDS or fmt not in MEDIA:
        raise NotFound("Templates: records.csv, records.xlsx, people.csv, people.xlsx.")
    label = {"records": "继续教育学时导入模板", "people": "人员信息导入模板"}[kind]
    return _download(f"{label}.{fmt}", template(kind, fmt), fmt)


@get("/api/v1/imports/{import_id:str}", **STAFF)
async def import_status(import_id: str, user: User, db: asyncpg.Connection) -> ImportStatus:
    """Where an import stands: rows done of rows total, counts so far."""
    return await service.status(db, user, import_id)


@get("/api/v1/imports/{import_id:str}/report", **STAFF)
async def import_report(import_id: str, user: User, db: asyncpg.Connection, request: Request,
                        format: str = Parameter(default="csv"), rejected: bool = False) -> Response[bytes]:
    """Every row's result, or (rejected=true) the rejected rows with their reasons, ready to fix and upload."""
    filename, content = await service.report(db, user, import_id, format, rejected)
    return _download(filename, content, format)


ROUTES = [upload, imports, import_template, import_status, import_report]
