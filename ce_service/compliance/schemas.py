"""Wire types of the compliance API, as the interface agreement fixes them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from ce_service.wire import Year

MAX_BATCH = 1000
MAX_YEARS = 10

Number = float | int


class HoursOut(msgspec.Struct):
    """Hours by category and in total."""

    public: Number
    professional: Number
    total: Number


class ShortfallOut(msgspec.Struct):
    """How many hours are missing, in total and of professional subjects."""

    total: Number
    professional: Number


class ExemptionOut(msgspec.Struct):
    """Why a year is exempt."""

    reason: str
    note: str


class NotCountedOut(msgspec.Struct):
    """Hours that do not count under the year's rule, for one reason: registered ones by category, and pending ones."""

    reason: Literal["not_recognised", "repeated_course", "test_credit"]
    detail: str
    public: Number
    professional: Number
    total: Number
    pending: Number


class IntegrityOut(msgspec.Struct):
    """The person's integrity file as the answer sees it: how many entries, and until when declaring is barred."""

    entries: int
    barred_until: str | None  # the last barred day, YYYY-MM-DD; None: not barred at `as_of`


# What each year's status means, for the OpenAPI document (and so /schema) and the README.
STATUS_MEANING = {
    "met": ("the registered hours that count meet the rule", "达标"),
    "short": ("a past year whose counted registered hours fall short of the rule", "未达标"),
    "in_progress": ("the year was still running at as_of and is not met yet", "年度进行中"),
    "exempt": ("hours are not required in this year (e.g. green channel); see exemption", "免修"),
    "not_applicable": ("a year before the person's first period in the registry", "不适用"),
    "no_rule": ("no rule of the declaring region (nor the national floor) covers this year; never counts as met",
                "无适用规则"),
}
Status = Annotated[
    Literal["met", "short", "in_progress", "exempt", "not_applicable", "no_rule"],
    msgspec.Meta(description="; ".join(f"{k} ({zh}): {en}" for k, (en, zh) in STATUS_MEANING.items())
                 + ". compliant is true when every year is met, exempt or not_applicable."),
]


class YearOut(msgspec.Struct, omit_defaults=True):
    """The verdict of one year."""

    year: int
    status: Status
    rule: str | None
    level: str | None
    workplace: str | None
    required_hours: Number
    required_professional_hours: Number
    registered: HoursOut
    pending: HoursOut
    shortfall: ShortfallOut
    region: str | None = None
    rule_set: str | None = None
    exemption: ExemptionOut | None = None
    not_counted: list[NotCountedOut] = msgspec.field(default_factory=list)


class PersonRef(msgspec.Struct):
    """Who the answer is about (the ID number masked)."""

    national_id: str
    name: str
    series: str


class Receipt(msgspec.Struct):
    """An Ed25519 signature over the canonical encoding of the answer without this field."""

    alg: str
    kid: str
    signature: str


class Answer(msgspec.Struct, omit_defaults=True):
    """Did this person meet the requirement in each of these years."""

    person: PersonRef
    from_year: int
    to_year: int
    as_of: str
    answered_at: str
    answer_id: str            # unique per answer (UUID)
    client_id: int            # the review system that asked
    subject_digest: str       # base64url(SHA-256(salt bytes + the full ID number)): who the answer is about
    salt: str                 # base64url of 16 random bytes, new for each answer
    declaring_region: str | None
    compliant: bool
    years: list[YearOut]
    integrity: IntegrityOut
    receipt: Receipt | None = None


class BatchIn(msgspec.Struct, forbid_unknown_fields=True):
    """Up to 1,000 people, one range of years, one instant, one declaring region."""

    national_ids: list[Annotated[str, msgspec.Meta(max_length=64)]]
    from_year: Year
    to_year: Year
    as_of: str | None = None
    region: Annotated[str, msgspec.Meta(max_length=64)] | None = None


class BatchError(msgspec.Struct):
    """One person the batch could not answer for, with the problem document a single query would get."""

    national_id: str
    error: dict


class BatchOut(msgspec.Struct):
    """One result per ID asked, in order: an Answer, or a BatchError for that ID."""

    # Typed loosely because msgspec (and so the OpenAPI generator) cannot express an untagged union
    # of two object types; each item is an Answer or a BatchError.
    results: list[Any]


class PublicKey(msgspec.Struct):
    """A key that signed (or signs) compliance answers."""

    kid: str
    alg: str
    public_key: str
    first_used_at: str


class KeysOut(msgspec.Struct):
    """Every key a receipt may name."""

    keys: list[PublicKey]
