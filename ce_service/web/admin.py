"""The administrator's page: platform pulls (and pulling one now), imports with their progress, uploading one."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from arq.jobs import Job, JobStatus
from litestar import Request, Response, get, post
from litestar.datastructures import State, UploadFile
from litestar.di import Provide

from ce_service.auth.guards import provide_user, signed_in
from ce_service.auth.models import User
from ce_service.errors import FieldError, Invalid, TooLarge, problem
from ce_service.identity.region import region_name
from ce_service.imports import service as imports
from ce_service.imports.controllers import UPLOAD_CEILING, queue_import
from ce_service.imports.tables import KINDS
from ce_service.jobs import pull_job_id
from ce_service.platforms import service as platforms
from ce_service.platforms.controllers import queue_pull
from ce_service.platforms.service import PlatformStatus
from ce_service.web.render import html
from ce_service.web.session import page_csrf, page_user
from ce_service.web.texts import PULL_ERROR_ZH, SET_ASIDE_ZH, ZH

WRITE = {"guards": [signed_in("admin")], "dependencies": {"user": Provide(provide_user, sync_to_thread=False)},
         "include_in_schema": False}
UPLOAD_FIELD = "import_file"
# A pull job in these states is on its way; the page keeps refreshing until it is done.
PULLING = (JobStatus.deferred, JobStatus.queued, JobStatus.in_progress)


@dataclass
class PlatformView:
    """One platform as the administrator reads it: names and errors in Chinese, the raw words kept apart."""

    status: PlatformStatus
    title: str                       # the display name, or one made from the region
    region: str                      # the region in words
    pulled_to: str                   # how far the pulls have got: latest, partly or nothing
    error: str | None                # the last error in Chinese, by its kind
    set_aside: list[tuple[str, int]]  # reasons in Chinese, with counts
    pulling: bool                    # a pull is queued or running now


def _set_aside_words(by_reason: dict[str, int]) -> list[tuple[str, int]]:
    """The set-aside counts by reason in words; reasons of the same words are added up."""
    counts: dict[str, int] = {}
    for reason, n in by_reason.items():
        words = SET_ASIDE_ZH.get(reason.strip(), "其他原因")
        counts[words] = counts.get(words, 0) + n
    return sorted(counts.items(), key=lambda item: -item[1])


def _pulled_to(p: PlatformStatus) -> str:
    """The cursor in plain words: latest (caught up, and no failure since), partly (stopped part of the way) or
    nothing (never stored a page)."""
    failed_since = p.last_error_at is not None and (p.last_success_at is None or p.last_error_at > p.last_success_at)
    if p.last_success_at is not None and not failed_since:
        return "latest"
    return "partly" if p.cursor or p.pages_stored else "nothing"


def platform_view(p: PlatformStatus, pulling: bool = False) -> PlatformView:
    """What the page shows of a platform."""
    region = region_name(p.region)
    title = p.display_name or f"{region}继续教育平台"
    error = None
    if p.last_error:
        error = PULL_ERROR_ZH.get(p.last_error_kind or "unknown", PULL_ERROR_ZH["unknown"]).format(
            tries=p.last_error_tries or 1)
    return PlatformView(p, title, region, _pulled_to(p), error, _set_aside_words(p.set_aside_by_reason), pulling)


async def _pulling(redis, name: str) -> bool:
    return await Job(pull_job_id(name), redis).status() in PULLING


async def _jobs(db: asyncpg.Connection, state: State, user: User) -> dict:
    """What the jobs part of the page needs: platforms and recent imports, and whether any is still moving."""
    views = [platform_view(p, await _pulling(state.redis, p.name)) for p in await platforms.list_platforms(db)]
    recent = await imports.list_imports(db, user, 20, 0)
    running = any(i.status in ("queued", "running") for i in recent.items) or any(v.pulling for v in views)
    return {"platforms": views, "imports": recent.items, "running": running}


def size_words(limit: int) -> str:
    """A byte limit as people read it, rounded down so that it never promises more: 33554432 → 32 MB."""
    return f"{limit >> 20} MB" if limit >= 1 << 20 else f"{max(1, limit >> 10)} KB"


def _upload_context(state: State) -> dict:
    return {"max_import_size": size_words(state.settings.max_import_bytes), "kinds": KINDS}


@get("/admin", include_in_schema=False)
async def admin(request: Request, db: asyncpg.Connection, state: State) -> Response:
    """Each platform's pulls and each recent import; refreshes itself while an import or a pull runs."""
    user = await page_user(request, "admin")
    template = "admin_jobs.html" if request.headers.get("hx-request") else "admin.html"
    return html(template, user=user, csrf=page_csrf(request), **await _jobs(db, state, user), **_upload_context(state))


def _refused(status: int, words: str) -> Response:
    # A problem document naming the form's file field, in the page's words (the page script shows it).
    return problem(status, "validation" if status == 422 else "too-large", "Validation failed" if status == 422
                   else "Request too large", f"{UPLOAD_FIELD}: {words}", [FieldError(UPLOAD_FIELD, words)])


@post("/admin/imports", **WRITE, request_max_body_size=UPLOAD_CEILING)
async def upload(request: Request, user: User, db: asyncpg.Connection, state: State) -> Response:
    """Queue an uploaded file as the import API does; answer with a fresh form, the jobs and a notice."""
    form = await request.form()
    file, kind = form.get(UPLOAD_FIELD), str(form.get("kind", "records"))
    if kind not in KINDS:
        return problem(422, "validation", "Validation failed", "kind: must be records or people",
                       [FieldError("kind", "must be one of records, people")])
    if not isinstance(file, UploadFile) or not file.filename:
        return _refused(422, ZH["import_no_file"])
    content = await file.read()
    if not content:
        return _refused(422, ZH["import_empty"])
    try:
        created = await queue_import(db, state, user, kind, file.filename, content)
    except TooLarge:
        return _refused(413, ZH["import_too_large"].format(size=size_words(state.settings.max_import_bytes)))
    except Invalid:
        return _refused(422, ZH["import_unreadable"])
    notice = ZH["import_queued"].format(name=created.filename)
    return html("admin_upload.html", user=user, csrf=page_csrf(request), notice=notice, jobs_oob=True,
                **await _jobs(db, state, user), **_upload_context(state))


@post("/admin/platforms/{name:str}/pull", **WRITE, request_max_body_size=1024)
async def pull_now(request: Request, name: str, user: User, db: asyncpg.Connection, state: State) -> Response:
    """Queue a pull of this platform now; answer with the jobs (refreshing until it is done) and a notice."""
    queued = await queue_pull(db, state, name)
    jobs = await _jobs(db, state, user)
    title = next((v.title for v in jobs["platforms"] if v.status.name == name), name)
    notice = ZH["pull_queued" if queued else "pull_busy"].format(name=title)
    return html("admin_jobs.html", user=user, csrf=page_csrf(request), notice=notice, **jobs)


ROUTES = [admin, upload, pull_now]
