"""Wire types of record batches (shared by the HR and provider endpoints)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec

from ce_service.errors import FieldError

MAX_BATCH = 1000


class BatchIn(msgspec.Struct, forbid_unknown_fields=True):
    """A batch: each record is checked on its own, so one bad record never rejects the others."""

    # Any JSON value per item: each is checked on its own, so `null` among good records rejects only itself.
    records: list[Any]


class IncomingRecord(msgspec.Struct, forbid_unknown_fields=True):
    """One record as a provider or HR system sends it."""

    external_id: str
    national_id: str
    name: str
    year: int
    category: str
    hours: float
    course_title: str
    completed_on: date
    course_code: str | None = None
    region_earned: str | None = None


class RecordResult(msgspec.Struct, omit_defaults=True):
    """What happened to one record of a batch."""

    external_id: str | None
    status: str  # accepted | duplicate | held | rejected
    record_id: str | None = None
    errors: list[FieldError] | None = None


class BatchOut(msgspec.Struct):
    """Counts, then one result per record in the order sent."""

    accepted: int
    duplicates: int
    held: int
    rejected: int
    results: list[RecordResult]


class RevokeIn(msgspec.Struct, forbid_unknown_fields=True):
    """Why a registered record no longer counts."""

    reason: str


class SentRecord(msgspec.Struct):
    """One record a client sent: stored (with its status) or still held (with the reason)."""

    external_id: str
    status: str               # the record's status, or "held"
    record_id: str | None
    reason: str | None        # why it is held, returned or revoked
    received_at: datetime


class SentPage(msgspec.Struct):
    """One page, in external_id order; pass `next_after` as `after` for the next."""

    items: list[SentRecord]
    next_after: str | None
