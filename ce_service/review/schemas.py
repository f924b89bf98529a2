"""Wire types of the reviewers' API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec

from ce_service.records.schemas import EventOut

Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]


class ReviewItem(msgspec.Struct):
    """A record as a reviewer in scope sees it (the full ID number: they verify this person)."""

    id: str
    national_id: str
    name: str
    series: str
    unit: str | None
    region: str | None
    year: int
    category: str
    hours: float | int
    course_title: str
    course_code: str | None
    completed_on: date
    provider: str
    source: str
    status: str
    next_step: str | None
    status_reason: str | None
    submitted_at: datetime | None
    evidence_ref: str | None
    history: list[EventOut] | None = None
    unit_name: str | None = None    # the unit's (or agency's) name, where the registry has it


class QueuePage(msgspec.Struct):
    """One page of a reviewer's queue, oldest first."""

    items: list[ReviewItem]
    total: int
    limit: int
    offset: int


class DuplicateFlag(msgspec.Struct):
    """A course that seems registered twice: the person's own record and an official one, both counting."""

    id: int
    reason: str
    created_at: datetime
    closed_at: datetime | None
    closed_by: str | None
    own: ReviewItem
    official: ReviewItem


class DuplicatePage(msgspec.Struct):
    """One page of duplicate flags in the reviewer's region, oldest first."""

    items: list[DuplicateFlag]
    total: int
    limit: int
    offset: int


class ReasonIn(msgspec.Struct, forbid_unknown_fields=True):
    """A required reason (returning or revoking)."""

    reason: Reason


class ApproveManyIn(msgspec.Struct, forbid_unknown_fields=True):
    """Up to 200 records to approve, each checked and recorded on its own."""

    record_ids: Annotated[list[str], msgspec.Meta(min_length=1, max_length=200)]


class Outcome(msgspec.Struct, omit_defaults=True):
    """What happened to one record of a bulk approval."""

    record_id: str
    status: str               # the record's status afterwards, or "error"
    error: dict | None = None


class ApproveManyOut(msgspec.Struct):
    """One outcome per record, in the order given."""

    approved: int
    failed: int
    results: list[Outcome]
