"""Configure platforms and pull their results: one run per platform at a time, one transaction per page."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
import httpx
import msgspec

from ce_service import clock
from ce_service.auth.models import ApiClient
from ce_service.auth.secrets import token_hash
from ce_service.errors import FieldError, Invalid, NotFound
from ce_service.identity import mask_national_id
from ce_service.identity.region import region_error
from ce_service.intake.schemas import MAX_BATCH
from ce_service.intake.service import PLATFORM, accept_batch
from ce_service.platforms import queries as q
from ce_service.platforms.fetch import FetchFailed, RetryPolicy, fetch_page
from ce_service.platforms.results import result_key, to_record

log = logging.getLogger("ce_service.platforms")


class PlatformStatus(msgspec.Struct):
    """What an operator sees of one platform (never its token)."""

    name: str
    display_name: str | None   # what people read; None: the page names it by its region
    base_url: str
    region: str
    interval_seconds: int
    enabled: bool
    cursor: str | None
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None            # as the log says it (English, for operators' tools)
    last_error_kind: str | None       # what went wrong: FetchFailed.kind, said in Chinese by the page
    last_error_tries: int | None
    last_error_at: datetime | None
    pages_stored: int
    items_stored: int
    items_duplicate: int
    items_held: int
    items_set_aside: int
    set_aside_by_reason: dict[str, int]


class SetAsideItem(msgspec.Struct):
    """A result the service could not use, with why (the ID number masked)."""

    id: int
    result_id: str
    reason: str
    item: Any
    at: datetime


class SetAsidePage(msgspec.Struct):
    """One page of set-aside results, oldest first; pass `next_after` as `after` for the next."""

    items: list[SetAsideItem]
    next_after: int | None


@dataclass
class PullReport:
    """What one run did."""

    platform: str
    ran: bool = True           # False: another run of this platform held the lock
    pages: int = 0
    stored: int = 0
    duplicates: int = 0
    held: int = 0
    set_aside: int = 0
    caught_up: bool = False
    error: str | None = None
    reasons: dict[str, int] = field(default_factory=dict)


def scope_of(region: str) -> str:
    """The client scope of a platform's region: 520000 → 52, 522600 → 5226, 522601 → 522601."""
    for cut in (2, 4):
        if region[cut:] == "0" * (6 - cut):
            return region[:cut]
    return region


MAX_DISPLAY_NAME = 100


def _display_name_error(display_name: str | None) -> FieldError | None:
    if display_name is not None and not 1 <= len(display_name.strip()) <= MAX_DISPLAY_NAME:
        code, params = ("too_long", {"max": MAX_DISPLAY_NAME}) if display_name.strip() else ("required", {})
        return FieldError("display_name", f"must be 1 to {MAX_DISPLAY_NAME} characters", code=code, params=params)
    if display_name is not None and any(ord(c) < 32 or ord(c) == 127 for c in display_name):
        return FieldError("display_name", "must not contain control characters", code="control_character")
    return None


def _settings_errors(name: str, base_url: str, region: str, interval_seconds: int) -> list[FieldError]:
    errors = []
    if not (name and len(name) <= 63 and name[0].isascii() and name[0].isalnum()
            and all(c.isascii() and (c.isalnum() and not c.isupper() or c in "-_") for c in name)):
        errors.append(FieldError("name", "must be 1 to 63 lower-case letters, digits, '-' or '_'", code="bad_value"))
    try:
        url = httpx.URL(base_url)
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError
    except (ValueError, httpx.InvalidURL):
        errors.append(FieldError("base_url", "must be an http:// or https:// URL", code="bad_value"))
    if message := region_error(region):
        errors.append(FieldError("region", message, code="bad_region"))
    if not 60 <= interval_seconds <= 604800:
        errors.append(FieldError("interval_seconds", "must be between 60 (a minute) and 604800 (a week)",
                                 code="out_of_range", params={"min": 60, "max": 604800}))
    return errors


async def add_platform(conn: asyncpg.Connection, name: str, base_url: str, token: str, region: str,
                       interval_seconds: int, display_name: str | None = None) -> int:
    """Configure a platform to pull from; its records are registered by a client row of its own."""
    errors = _settings_errors(name, base_url, region, interval_seconds)
    if not token.strip():
        errors.append(FieldError("token", "must not be empty", code="required"))
    if error := _display_name_error(display_name):
        errors.append(error)
    if errors:
        raise Invalid.of(errors)
    async with conn.transaction():
        if await conn.fetchval("select 1 from platforms where name = $1", name):
            raise Invalid.field("name", f"a platform named {name} exists; change it with `platforms set`",
                                code="duplicate")
        client_id = await conn.fetchval(q.INSERT_CLIENT, f"platform:{name}", token_hash(secrets.token_urlsafe(32)),
                                        [scope_of(region)])
        return await conn.fetchval(q.INSERT_PLATFORM, name, base_url, token.strip(), region, interval_seconds, client_id,
                                   display_name.strip() if display_name else None)


async def change_platform(conn: asyncpg.Connection, name: str, *, base_url: str | None = None, token: str | None = None,
                          interval_seconds: int | None = None, enabled: bool | None = None,
                          display_name: str | None = None) -> None:
    """Change a platform's URL, token, interval, name for people, or whether it is pulled."""
    if error := _display_name_error(display_name):
        raise Invalid.of([error])
    if await conn.fetchval(q.UPDATE_PLATFORM, name, base_url, token, interval_seconds, enabled,
                           display_name.strip() if display_name else None) is None:
        raise NotFound(f"No platform named {name}.")


def _status(row: asyncpg.Record) -> PlatformStatus:
    values = dict(row)
    values.pop("id")
    values["set_aside_by_reason"] = msgspec.json.decode(values["set_aside_by_reason"])
    return PlatformStatus(**values)


async def list_platforms(conn: asyncpg.Connection) -> list[PlatformStatus]:
    """Every platform with its cursor, counters and last error."""
    return [_status(row) for row in await conn.fetch(q.LIST)]


async def platform_status(conn: asyncpg.Connection, name: str) -> PlatformStatus:
    """One platform's status, or 404."""
    # No platform's name holds a NUL (PostgreSQL text cannot): not found, without asking.
    row = None if "\x00" in name else await conn.fetchrow(q.ONE, name)
    if row is None:
        raise NotFound(f"No platform named {name!r}.")
    return _status(row)


MAX_SET_ASIDE_PAGE = 500


async def set_aside(conn: asyncpg.Connection, name: str, after: int | None, limit: int) -> SetAsidePage:
    """A page of what a platform sent that could not be used, with the reasons."""
    if not 1 <= limit <= MAX_SET_ASIDE_PAGE:
        raise Invalid.field("limit", f"must be between 1 and {MAX_SET_ASIDE_PAGE}", code="out_of_range",
                            params={"min": 1, "max": MAX_SET_ASIDE_PAGE})
    await platform_status(conn, name)
    rows = await conn.fetch(q.SET_ASIDE_PAGE, name, after, limit + 1)
    items = []
    for row in rows[:limit]:
        item = msgspec.json.decode(row["payload"])
        if isinstance(item, dict) and isinstance(item.get("national_id"), str) and len(item["national_id"]) == 18:
            item["national_id"] = mask_national_id(item["national_id"])
        items.append(SetAsideItem(row["id"], row["result_id"], row["reason"], item, row["at"]))
    return SetAsidePage(items, items[-1].id if len(rows) > limit else None)


async def due_platforms(conn: asyncpg.Connection) -> list[str]:
    """Names of the enabled platforms whose interval has passed since their last run."""
    return [row["name"] for row in await conn.fetch(q.DUE)]


async def pull(pool: asyncpg.Pool, name: str, *, max_hours: int, policy: RetryPolicy = RetryPolicy(),
               http: httpx.AsyncClient | None = None, max_pages: int | None = None,
               sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> PullReport:
    """Pull pages until the platform is caught up, storing each page and its cursor in one transaction.

    Only one run per platform at a time, across every process: a session advisory lock, released
    when the run ends or its connection dies. A run killed before a page commits leaves the cursor
    where it was, so the next run fetches that page again; its records are found by their
    (client, result_id) and its set-aside items by (platform, result_id), so nothing is doubled.
    """
    report = PullReport(name)
    async with pool.acquire() as conn:
        row = await conn.fetchrow(q.FOR_PULL, name)
        if row is None:
            raise NotFound(f"No platform named {name}.")
        if not await conn.fetchval(q.TRY_LOCK, row["id"]):
            report.ran = False
            return report
        released = False
        try:
            await conn.execute(q.ATTEMPTED, row["id"])
            client = ApiClient(row["client_id"], row["client_name"], "platform", list(row["client_regions"]))
            owns_http = http is None
            http = http or httpx.AsyncClient()
            try:
                await _pull_pages(conn, row, client, http, policy, sleep, max_hours, max_pages, report)
            finally:
                if owns_http:
                    await http.aclose()
            await conn.execute(q.UNLOCK, row["id"])
            released = True
        finally:
            if not released:
                # Cancelled or failed mid-run: the lock must not stay on a pooled connection.
                with contextlib.suppress(asyncpg.InterfaceError):  # already gone with its lock
                    conn.terminate()
    return report


async def _pull_pages(conn: asyncpg.Connection, platform: asyncpg.Record, client: ApiClient, http: httpx.AsyncClient,
                      policy: RetryPolicy, sleep: Callable[[float], Awaitable[None]], max_hours: int,
                      max_pages: int | None, report: PullReport) -> None:
    cursor = await conn.fetchval("select cursor from platforms where id = $1", platform["id"])
    while True:
        try:
            page = await fetch_page(http, platform["base_url"], platform["token"], cursor, policy, sleep)
        except FetchFailed as exc:
            report.error = str(exc)
            await conn.execute(q.FAILED, platform["id"], report.error, exc.kind, exc.tries)
            log.error("platform %s: pull stopped at cursor %r: %s", platform["name"], cursor, report.error)
            return
        await _store_page(conn, platform, client, cursor, page.items, page.next_cursor, max_hours, report)
        report.pages += 1
        if page.next_cursor is None or page.next_cursor == cursor:
            report.caught_up = True
            log.info("platform %s: caught up (%d pages, %d stored, %d set aside)", platform["name"],
                     report.pages, report.stored, report.set_aside)
            return
        cursor = page.next_cursor
        if max_pages is not None and report.pages >= max_pages:
            return


async def _store_page(conn: asyncpg.Connection, platform: asyncpg.Record, client: ApiClient, cursor: str | None,
                      items: list[Any], next_cursor: str | None, max_hours: int, report: PullReport) -> None:
    today = clock.today()
    usable, aside = [], {}
    for item in items:
        record, reason = to_record(item, platform["region"], today, max_hours)
        if record is None:
            aside.setdefault(result_key(item), (reason, item))
        else:
            usable.append(record)
    async with conn.transaction():
        stored = duplicates = held = 0
        for start in range(0, len(usable), MAX_BATCH):  # a platform may send more than it was asked for
            chunk = [msgspec.to_builtins(r) for r in usable[start:start + MAX_BATCH]]
            outcome = await accept_batch(conn, client, chunk, PLATFORM, max_hours)
            stored, duplicates, held = stored + outcome.accepted, duplicates + outcome.duplicates, held + outcome.held
            for result in outcome.results:
                if result.status == "rejected":
                    reason = "; ".join(f"{e.field}: {e.message}" for e in result.errors or [])
                    original = next(i for i in items if isinstance(i, dict) and i.get("result_id") == result.external_id)
                    aside.setdefault(result.external_id, (reason, original))
        new_aside = 0
        if aside:
            keys = list(aside)
            new_aside = len(await conn.fetch(q.INSERT_SET_ASIDE, platform["id"], keys, [aside[k][0] for k in keys],
                                             [msgspec.json.encode(aside[k][1]).decode() for k in keys]))
        if await conn.fetchval(q.PAGE_STORED, platform["id"], next_cursor if next_cursor != cursor else None,
                               stored, duplicates, held, new_aside, cursor) is None:
            raise RuntimeError("the cursor moved under a run that holds the platform's lock")
    report.stored += stored
    report.duplicates += duplicates
    report.held += held
    report.set_aside += new_aside
    for reason, _ in aside.values():
        short = reason.split(":", 1)[0]
        report.reasons[short] = report.reasons.get(short, 0) + 1
