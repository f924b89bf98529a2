"""Wire types of the integrity file (诚信档案)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

# What an HR system may enter; revocations are entered by revoking a record.
Kind = Literal["falsification", "misconduct", "blacklist"]
KINDS = ("falsification", "misconduct", "blacklist")
MAX_TEXT = 1000


class EntryIn(msgspec.Struct, forbid_unknown_fields=True):
    """A new entry: what happened, on which day, the document it rests on, and whether it bars declaring."""

    kind: Kind
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_TEXT)]
    date: dt.date
    bars_declaration: bool
    document: Annotated[str, msgspec.Meta(max_length=MAX_TEXT)] = ""


class EntryOut(msgspec.Struct):
    """One entry of a person's integrity file (machine clients see the ID number masked)."""

    id: int
    national_id: str
    kind: str                 # falsification, misconduct, blacklist or revocation
    reason: str
    date: dt.date
    document: str
    bars_declaration: bool
    record_id: str | None     # the revoked record, for revocations
    recorded_at: dt.datetime
    recorded_by: str


class IntegrityFile(msgspec.Struct):
    """A person's entries, newest first (by date, then by when they were written)."""

    national_id: str
    entries: list[EntryOut]


class RevokedApproval(msgspec.Struct):
    """A unit whose approval of a record was later revoked, with who approved it and why it was revoked."""

    unit_code: str
    unit_name: str | None     # when the unit is in the registry
    record_id: str
    approved_by: str          # the unit reviewer of the last approval before the revocation
    approved_at: dt.datetime
    revoked_at: dt.datetime
    revocation_reason: str | None


class RevokedApprovalPage(msgspec.Struct):
    """One page, newest revocation first; pass `next_after` as `after` for the next."""

    items: list[RevokedApproval]
    next_after: int | None
