"""The platform's pages and results, turned into records or reasons to set them aside: pure, no I/O."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any

import msgspec

from ce_service.clock import CHINA
from ce_service.intake.schemas import IncomingRecord
from ce_service.intake.validation import MAX_EXTERNAL_ID, parse_record

DEFAULT_TITLE = "公需科目考试"

# Our record fields named as the platform names them, so a reason points at the platform's field.
_PLATFORM_FIELD = {"external_id": "result_id", "year": "exam_year", "hours": "credited_hours",
                   "completed_on": "finished_at"}


class PageError(ValueError):
    """The platform answered something that is not a page of results."""


class Page(msgspec.Struct):
    """One page as the platform sends it; items are checked one by one."""

    items: list[Any]
    next_cursor: str | None


def parse_page(body: bytes) -> Page:
    """The page in a response body, or PageError saying what is wrong with it."""
    try:
        return msgspec.json.decode(body, type=Page)
    except msgspec.ValidationError as exc:  # a subclass of DecodeError: first
        raise PageError(f"not a page of results: {exc}") from None
    except msgspec.DecodeError as exc:
        raise PageError(f"malformed JSON from the platform: {exc}") from None


def result_key(item: Any) -> str:
    """The result_id, or (for an item without a usable one) a stable digest of the item."""
    if isinstance(item, dict) and isinstance(item.get("result_id"), str) and 0 < len(item["result_id"]) <= MAX_EXTERNAL_ID:
        return item["result_id"]
    return "sha256:" + hashlib.sha256(msgspec.json.encode(item, order="sorted")).hexdigest()


def _finished_on(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        return None
    # The day in China: a test finished at 23:30 on 31 December Beijing time belongs to that year.
    return (instant.replace(tzinfo=CHINA) if instant.tzinfo is None else instant.astimezone(CHINA)).date()


def to_record(item: Any, region: str, today: date, max_hours: int) -> tuple[IncomingRecord | None, str | None]:
    """A passed result as a public-subject record earned in `region`, or the reason it cannot be used."""
    if not isinstance(item, dict):
        return None, "not a JSON object"
    if item.get("passed") is not True:
        return None, "not passed" if item.get("passed") is False else "passed: must be true or false"
    finished_on = _finished_on(item.get("finished_at"))
    if finished_on is None:
        return None, "finished_at: must be an ISO 8601 date and time"
    title = item.get("course_title")
    raw = {
        "external_id": item.get("result_id"), "national_id": item.get("national_id"), "name": item.get("name"),
        "year": item.get("exam_year"), "category": "public", "hours": item.get("credited_hours"),
        "course_title": title if isinstance(title, str) and title.strip() else DEFAULT_TITLE,
        "course_code": item.get("course_code"), "completed_on": finished_on.isoformat(), "region_earned": region,
    }
    # The record belongs to exam_year even when the test was finished early the next year.
    record, errors = parse_record(raw, today, max_hours, may_finish_next_year=True)
    if record is None:
        return None, "; ".join(f"{_PLATFORM_FIELD.get(e.field, e.field)}: {e.message}" for e in errors)
    return record, None
