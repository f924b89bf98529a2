"""Wire types of the HR master-data API."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from ce_service.wire import Text2000, Year

Level = Literal["senior_full", "senior_associate", "intermediate", "junior"]
Workplace = Literal["standard", "grassroots", "private"]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]

EXEMPTION_REASONS = {"green_channel": "绿色通道", "other": "其他"}


class PeriodIn(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """From from_year until the next period: level, workplace kind, region, and the unit or the agency."""

    from_year: Year
    level: Level
    workplace: Workplace
    region: str
    unit: str | None = None     # the employer unit's credit code
    agency: str | None = None   # or, for people without a unit: a personnel agency's or industry department's


class PersonIn(msgspec.Struct, forbid_unknown_fields=True):
    """A person as the HR master-data system sends them."""

    name: Name
    series: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    periods: Annotated[list[PeriodIn], msgspec.Meta(min_length=1, max_length=60)]


class PersonOut(msgspec.Struct):
    """A stored person; the ID number is masked for machine clients."""

    national_id: str
    name: str
    series: str
    periods: list[PeriodIn]


class ExemptionIn(msgspec.Struct, forbid_unknown_fields=True):
    """Years in which the requirement does not apply, and why."""

    from_year: Year
    to_year: Year
    reason: str
    note: Text2000 = ""


class ExemptionOut(msgspec.Struct):
    """A stored exemption."""

    id: int
    national_id: str
    from_year: int
    to_year: int
    reason: str
    note: str
