"""Reviewers' pages: the queue, a record with its certificate and history, decisions, a person's integrity file."""

from __future__ import annotations

from datetime import date

import asyncpg
from litestar import Request, Response, get, post
from litestar.di import Provide

from ce_service import clock
from ce_service.auth.guards import provide_user, signed_in
from ce_service.auth.models import User
from ce_service.errors import Invalid
from ce_service.integrity import service as integrity
from ce_service.integrity.schemas import KINDS
from ce_service.review import service as review
from ce_service.web.render import html
from ce_service.web.session import REVIEWER_ROLES, page_csrf, page_user
from ce_service.web.texts import ZH

PAGE = 50
FORM_ROLES = ("hr_reviewer", "health_reviewer")
WRITE = {"guards": [signed_in(*REVIEWER_ROLES)], "dependencies": {"user": Provide(provide_user, sync_to_thread=False)},
         "include_in_schema": False, "request_max_body_size": 65_536}


def _int_or_none(value: str | None, low: int, high: int) -> int | None:
    """A query value as an int in [low, high], or None when absent or out of range."""
    try:
        number = int(value) if value else None
    except ValueError:
        return None
    return number if number is not None and low <= number <= high else None


@get("/review", include_in_schema=False)
async def queue(request: Request, db: asyncpg.Connection) -> Response:
    """The records waiting for me, oldest first, a page at a time."""
    user = await page_user(request, *REVIEWER_ROLES)
    year = _int_or_none(request.query_params.get("year"), 1950, 2200)
    offset = _int_or_none(request.query_params.get("offset"), 0, review.MAX_OFFSET) or 0
    page = await review.queue(db, user, year=year, source=None, national_id=None, status=None, limit=PAGE,
                              offset=offset)
    return html("review_queue.html", user=user, csrf=page_csrf(request), page=page, year=year, page_size=PAGE,
                done=request.query_params.get("done"))


@get("/review/records/{record_id:str}", include_in_schema=False)
async def record(request: Request, record_id: str, db: asyncpg.Connection) -> Response:
    """A record in my scope, with its certificate and its whole history."""
    user = await page_user(request, *REVIEWER_ROLES)
    item = await review.record(db, user, record_id)
    kind = request.app.state.evidence.kind(item.evidence_ref) if item.evidence_ref else None
    return html("review_record.html", user=user, csrf=page_csrf(request), item=item, evidence_kind=kind,
                can_decide=item.next_step is not None, can_download_form=user.role in FORM_ROLES)


@post("/review/records/{record_id:str}/approve", **WRITE)
async def approve(record_id: str, user: User, db: asyncpg.Connection) -> Response:
    """Approve (unit) or register (HR, health) one record, then back to the queue."""
    await review.approve(db, user, record_id)
    return Response("", headers={"HX-Redirect": "/review?done=1"})


@post("/review/records/{record_id:str}/return", **WRITE)
async def return_record(request: Request, record_id: str, user: User, db: asyncpg.Connection) -> Response:
    """Send a record back to its owner with a reason."""
    reason = str((await request.form()).get("reason", "")).strip()
    if not reason or len(reason) > 1000:
        raise Invalid.field("reason", ZH["return_reason_needed"])
    await review.return_record(db, user, record_id, reason)
    return Response("", headers={"HX-Redirect": "/review?done=1"})


@post("/review/approve-many", **WRITE)
async def approve_many(request: Request, user: User, db: asyncpg.Connection) -> Response:
    """Approve the ticked records, each on its own; show what passed and what did not."""
    ids = [str(v) for v in (await request.form()).getall("record_id", [])]
    if not ids or len(ids) > 200:
        raise Invalid.field("record_id", ZH["pick_records"])
    outcome = await review.approve_many(db, user, ids)
    failed = [(r.record_id, (r.error or {}).get("detail", "")) for r in outcome.results if r.status == "error"]
    message = ZH["approved_n"].format(n=outcome.approved)
    if failed:
        message += " " + ZH["failed_n"].format(n=len(failed)) + "；".join(f"{i[:8]}…：{d}" for i, d in failed)
    return html("flash.html", message=message, headers={"HX-Trigger": "queue-changed"})


@get("/review/persons/{national_id:str}/integrity", include_in_schema=False)
async def integrity_file(request: Request, national_id: str, db: asyncpg.Connection) -> Response:
    """A person's integrity file; HR and health reviewers also get the form to add an entry."""
    user = await page_user(request, *REVIEWER_ROLES)
    file = await integrity.file_for_user(db, user, national_id)
    return html("integrity.html", user=user, csrf=page_csrf(request), file=file, kinds=KINDS,
                can_write=user.role in FORM_ROLES, today=clock.today().isoformat(),
                done=request.query_params.get("done"))


def _date_or_none(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


@post("/review/persons/{national_id:str}/integrity", **{**WRITE, "guards": [signed_in(*FORM_ROLES)]})
async def add_integrity_entry(request: Request, national_id: str, user: User, db: asyncpg.Connection) -> Response:
    """Enter falsification, misconduct or a blacklisting (HR and health reviewers, the person in their region)."""
    form = await request.form()
    await integrity.add_by_reviewer(
        db, user, national_id, str(form.get("kind", "")), str(form.get("reason", "")),
        _date_or_none(str(form.get("date", ""))), str(form.get("document", "")),
        # Only the checkbox's own value means yes: "0", "false" or anything else sent by hand is no.
        str(form.get("bars_declaration", "")) in ("1", "on", "true"))
    return Response("", status_code=200, headers={"HX-Redirect": f"/review/persons/{national_id}/integrity?done=1"})


ROUTES = [queue, record, approve, return_record, approve_many, integrity_file, add_integrity_entry]
