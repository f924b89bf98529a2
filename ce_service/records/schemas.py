"""Wire types of the professional's records API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from ce_service.wire import Year

Category = Literal["public", "professional"]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Short = Annotated[str, msgspec.Meta(max_length=200)]
Code = Annotated[str, msgspec.Meta(max_length=64)]
# Evidence is referenced by the SHA-256 of its content.
EvidenceRef = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]


class RecordIn(msgspec.Struct, forbid_unknown_fields=True):
    """A new self-logged record (saved as a draft)."""

    year: Year
    category: Category
    hours: float
    course_title: Title
    completed_on: date
    provider: Short = ""
    course_code: Code | None = None
    region_earned: str | None = None
    evidence_ref: EvidenceRef | None = None
    # Made on the device (a UUID): sending the same record again returns the one made the first time.
    client_key: uuid.UUID | None = None


class RecordPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Changes to a draft or returned record; absent fields stay as they are."""

    year: Year | msgspec.UnsetType = msgspec.UNSET
    category: Category | msgspec.UnsetType = msgspec.UNSET
    hours: float | msgspec.UnsetType = msgspec.UNSET
    course_title: Title | msgspec.UnsetType = msgspec.UNSET
    completed_on: date | msgspec.UnsetType = msgspec.UNSET
    provider: Short | msgspec.UnsetType = msgspec.UNSET
    course_code: Code | None | msgspec.UnsetType = msgspec.UNSET
    region_earned: str | None | msgspec.UnsetType = msgspec.UNSET
    evidence_ref: EvidenceRef | None | msgspec.UnsetType = msgspec.UNSET


class EventOut(msgspec.Struct):
    """One entry of a record's history."""

    at: datetime
    action: str
    from_status: str | None
    to_status: str
    actor: str
    role: str
    reason: str | None


class RecordOut(msgspec.Struct):
    """A record as its owner sees it."""

    id: str
    year: int
    category: str
    hours: float | int
    course_title: str
    completed_on: date
    provider: str
    course_code: str | None
    region_earned: str | None
    source: str
    status: str
    status_reason: str | None
    evidence_ref: str | None
    created_at: datetime
    updated_at: datetime
    history: list[EventOut] | None = None
    superseded_by: str | None = None    # the official record that counts instead of this one
    next_step: str | None = None        # the office a waiting record waits for: unit, agency, industry, hr, health


class RecordWarning(msgspec.Struct):
    """Something about a saved record its owner should look at (it was saved all the same)."""

    code: str                 # "duplicate": other live records of the person with the same title, date and hours
    message: str
    record_ids: list[str]     # the records it concerns


class CreatedRecordOut(RecordOut):
    """A new record, with what its owner should look at (issue 15: a duplicate is kept, and said)."""

    warnings: list[RecordWarning] = []


class RecordPage(msgspec.Struct):
    """One page of records, newest year first."""

    items: list[RecordOut]
    total: int
    limit: int
    offset: int


class MachineRecordOut(msgspec.Struct):
    """A record as a machine client sees it (ID number masked)."""

    id: str
    external_id: str | None
    national_id: str
    year: int
    category: str
    hours: float | int
    course_title: str
    course_code: str | None
    completed_on: date
    region_earned: str | None
    source: str
    status: str
    status_reason: str | None
    registered_at: datetime | None
    revoked_at: datetime | None
