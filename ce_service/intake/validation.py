"""Checks of one incoming record, with every problem named by field: pure, no I/O."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

import msgspec

from ce_service.errors import FieldError, field_error_from_msgspec
from ce_service.hours import to_half_hours
from ce_service.identity import national_id_error
from ce_service.intake.schemas import IncomingRecord
from ce_service.records.validation import record_errors

MAX_EXTERNAL_ID = 100
MAX_NAME = 100
MAX_CODE = 64
_TEXT_FIELDS = ("external_id", "national_id", "name", "category", "course_title", "course_code", "region_earned")


def parse_record(raw: Any, today: date, max_hours: int,
                 may_finish_next_year: bool = False) -> tuple[IncomingRecord | None, list[FieldError]]:
    """The record if it is usable, else the reasons it is not (a platform's test may finish the next year)."""
    try:
        record = msgspec.convert(raw, IncomingRecord, strict=True)
    except msgspec.ValidationError as exc:
        return None, [field_error_from_msgspec(exc)]
    errors: list[FieldError] = [FieldError(name, "must not contain the NUL character (\\u0000)", code="nul_character")
                                for name in _TEXT_FIELDS if "\x00" in (getattr(record, name) or "")]
    if not record.external_id.strip() or len(record.external_id) > MAX_EXTERNAL_ID:
        errors.append(_length("external_id", MAX_EXTERNAL_ID, record.external_id))
    if message := national_id_error(record.national_id, today=today):
        errors.append(FieldError("national_id", message, code="bad_national_id"))
    if not record.name.strip() or len(record.name) > MAX_NAME:
        errors.append(_length("name", MAX_NAME, record.name))
    if record.course_code is not None and len(record.course_code) > MAX_CODE:
        errors.append(FieldError("course_code", f"must be at most {MAX_CODE} characters", code="too_long",
                                 params={"max": MAX_CODE}))
    errors.extend(record_errors(
        year=record.year, category=record.category, hours=record.hours, completed_on=record.completed_on,
        course_title=record.course_title, region_earned=record.region_earned, today=today, max_hours=max_hours,
        may_finish_next_year=may_finish_next_year,
    ))
    return (None, errors) if errors else (record, [])


def _length(field: str, maximum: int, value: str) -> FieldError:
    """A text that must be 1 to `maximum` characters: blank is required, long is too_long (one message for machines)."""
    code, params = ("required", {}) if not value.strip() else ("too_long", {"max": maximum})
    return FieldError(field, f"must be 1 to {maximum} characters", code=code, params=params)


def content_hash(record: IncomingRecord) -> bytes:
    """SHA-256 of what the record says, so a resend can be told from a change."""
    canonical = msgspec.json.encode({
        "external_id": record.external_id, "national_id": record.national_id, "name": record.name.strip(),
        "year": record.year, "category": record.category, "half_hours": to_half_hours(record.hours),
        "course_title": record.course_title.strip(), "course_code": record.course_code,
        "completed_on": record.completed_on.isoformat(), "region_earned": record.region_earned,
    }, order="sorted")
    return hashlib.sha256(canonical).digest()
