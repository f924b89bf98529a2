"""Reviewers' pages: the queue (searched, exported), a record with its certificate and history, decisions,
duplicate flags, a person's integrity file."""

from __future__ import annotations

from collections import Counter
from datetime import date
from urllib.parse import urlencode

import asyncpg
from litestar import Request, Response, get, post
from litestar.di import Provide

from ce_service import clock
from ce_service.auth.guards import provide_user, signed_in
from ce_service.auth.models import User
from ce_service.errors import Invalid
from ce_service.identity import mask_national_id
from ce_service.integrity import service as integrity
from ce_service.integrity.schemas import KINDS
from ce_service.review import service as review
from ce_service.web.render import PAGE_HEADERS, html
from ce_service.web.session import REVIEWER_ROLES, page_csrf, page_user
from ce_service.web.texts import RETURN_REASONS_ZH, ZH

PAGE = 50
FORM_ROLES = ("hr_reviewer", "health_reviewer")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WRITE = {"guards": [signed_in(*REVIEWER_ROLES)], "dependencies": {"user": Provide(provide_user, sync_to_thread=False)},
         "include_in_schema": False, "request_max_body_size": 65_536}


def _int_or_none(value: str | None, low: int, high: int) -> int | None:
    """A query value as an int in [low, high], or None when absent or out of range."""
    try:
        number = int(value) if value else None
    except ValueError:
        return None
    return number if number is not None and low <= number <= high else None


def _filters(request: Request) -> tuple[int | None, str, str]:
    """The queue's filters from the query (year, search) and the same as a query string for links."""
    year = _int_or_none(request.query_params.get("year"), 1950, 2200)
    # A longer search can match no name or ID number: cut, not refused, since it came from a search box.
    search = request.query_params.get("q", "").replace("\x00", "").strip()[:review.MAX_SEARCH]
    return year, search, urlencode([(k, v) for k, v in (("year", year), ("q", search)) if v])


def _with(path: str, query: str) -> str:
    return f"{path}?{query}" if query else path


@get("/review", include_in_schema=False)
async def queue(request: Request, db: asyncpg.Connection) -> Response:
    """The records waiting for me, oldest first, a page at a time; searched by name or ID number."""
    user = await page_user(request, *REVIEWER_ROLES)
    year, search, filters = _filters(request)
    offset = _int_or_none(request.query_params.get("offset"), 0, review.MAX_OFFSET) or 0
    page = await review.queue(db, user, year=year, source=None, national_id=None, status=None, limit=PAGE,
                              offset=offset, search=search or None)
    return html("review_queue.html", user=user, csrf=page_csrf(request), page=page, year=year, search=search,
                filters=filters, page_size=PAGE, done=request.query_params.get("done"), mask=mask_national_id,
                export_cap=review.EXPORT_CAP, department=await review.is_department(db, user))


@get("/review/export.xlsx", include_in_schema=False)
async def export(request: Request, db: asyncpg.Connection) -> Response:
    """The queue with the page's filters as an XLSX file (at most EXPORT_CAP rows, the cap said in the file)."""
    user = await page_user(request, *REVIEWER_ROLES)
    year, search, _ = _filters(request)
    content, name, _ = await review.queue_export(db, user, year=year, search=search or None)
    return Response(content, media_type=XLSX, headers={
        **PAGE_HEADERS, "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@get("/review/records/{record_id:str}", include_in_schema=False)
async def record(request: Request, record_id: str, db: asyncpg.Connection) -> Response:
    """A record in my scope: what to read, its certificate, then the decision, then its history."""
    user = await page_user(request, *REVIEWER_ROLES)
    year, search, filters = _filters(request)
    item = await review.record(db, user, record_id)
    kind = request.app.state.evidence.kind(item.evidence_ref) if item.evidence_ref else None
    following = await review.next_waiting(db, user, item.id, year=year, search=search or None)
    return html("review_record.html", user=user, csrf=page_csrf(request), item=item, evidence_kind=kind,
                can_decide=item.next_step is not None, can_download_form=user.role in FORM_ROLES,
                filters=filters, back=_with("/review", filters), following=following and _with(
                    f"/review/records/{following}", filters), done=request.query_params.get("done"),
                return_reasons=RETURN_REASONS_ZH)


async def _onwards(request: Request, db: asyncpg.Connection, user: User, record_id: str, done: str) -> Response:
    """After a decision: the next record waiting in the same (filtered) queue, or the queue when none is left."""
    year, search, filters = _filters(request)
    following = await review.next_waiting(db, user, record_id, year=year, search=search or None)
    query = urlencode([("done", done)]) + (f"&{filters}" if filters else "")
    target = f"/review/records/{following}?{query}" if following else _with("/review", f"done=1&{filters}".rstrip("&"))
    return Response("", headers={"HX-Redirect": target})


@post("/review/records/{record_id:str}/approve", **WRITE)
async def approve(request: Request, record_id: str, user: User, db: asyncpg.Connection) -> Response:
    """Approve (unit) or register (HR, health) one record, then on to the next one waiting."""
    await review.approve(db, user, record_id)
    return await _onwards(request, db, user, record_id, "approved")


async def _reason(request: Request, needed: str) -> str:
    """The form's reason: 1 to 1000 characters, without NUL (PostgreSQL text cannot hold it); 422 naming it."""
    reason = str((await request.form()).get("reason", "")).strip()
    if "\x00" in reason:
        raise Invalid.field("reason", "must not contain the NUL character", code="nul_character")
    if not reason or len(reason) > 1000:
        raise Invalid.field("reason", ZH[needed])
    return reason


@post("/review/records/{record_id:str}/return", **WRITE)
async def return_record(request: Request, record_id: str, user: User, db: asyncpg.Connection) -> Response:
    """Send a record back to its owner with a reason, then on to the next one waiting."""
    reason = await _reason(request, "return_reason_needed")
    await review.return_record(db, user, record_id, reason)
    return await _onwards(request, db, user, record_id, "returned")


# Why a record of a bulk approval did not pass, by the status of its refusal (the API's detail is for machines).
_FAILED = {409: "failed_conflict", 404: "failed_not_found"}


@post("/review/approve-many", **WRITE)
async def approve_many(request: Request, user: User, db: asyncpg.Connection) -> Response:
    """Approve the ticked records, each on its own; say how many passed and why the others did not."""
    ids = list(dict.fromkeys(str(v) for v in (await request.form()).getall("record_id", [])))
    if not ids:
        raise Invalid.field("record_id", ZH["pick_records"])
    if len(ids) > 200:
        raise Invalid.field("record_id", ZH["too_many_records"])
    outcome = await review.approve_many(db, user, ids)
    why = Counter(_FAILED.get((r.error or {}).get("status"), "failed_other")
                  for r in outcome.results if r.status == "error")
    message = ZH["approved_n"].format(n=outcome.approved)
    if why:
        message += " " + "；".join(ZH[key].format(n=n) for key, n in why.items()) + "。"
    return html("flash.html", message=message, headers={"HX-Trigger": "queue-changed"})


@get("/review/duplicates", include_in_schema=False)
async def duplicates(request: Request, db: asyncpg.Connection) -> Response:
    """Open duplicate flags in my region (departments only), with both records and a way to close each."""
    user = await page_user(request, *FORM_ROLES)
    offset = _int_or_none(request.query_params.get("offset"), 0, review.MAX_OFFSET) or 0
    page = await review.duplicates(db, user, True, PAGE, offset)
    return html("review_duplicates.html", user=user, csrf=page_csrf(request), page=page, page_size=PAGE,
                done=request.query_params.get("done"), mask=mask_national_id)


@post("/review/duplicates/{flag_id:int}/close", **{**WRITE, "guards": [signed_in(*FORM_ROLES)]})
async def close_duplicate(request: Request, flag_id: int, user: User, db: asyncpg.Connection) -> Response:
    """Close a duplicate flag with what was decided."""
    reason = await _reason(request, "dup_close_reason_needed")
    await review.close_duplicate(db, user, flag_id, reason)
    return Response("", headers={"HX-Redirect": "/review/duplicates?done=1"})


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


ROUTES = [queue, export, record, approve, return_record, approve_many, duplicates, close_duplicate, integrity_file,
          add_integrity_entry]
