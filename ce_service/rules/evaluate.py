"""A person's verdict for each year: a pure function of their data, the rules and an instant."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from ce_service.records.lifecycle import PENDING
from ce_service.rules.model import Rule, RuleBook


class Period(NamedTuple):
    """Level, workplace kind and region from from_year until the next period."""

    from_year: int
    level: str
    workplace: str
    region: str


class Exemption(NamedTuple):
    """Years in which hours are not required, known from created_at on."""

    from_year: int
    to_year: int
    reason: str
    note: str
    created_at: datetime


class RecordFacts(NamedTuple):
    """What the verdict needs of a record: its amount and where its status stood when."""

    year: int
    category: str                # "public" | "professional"
    half_hours: int
    region_earned: str | None    # None: the person's region in that year
    # (instant, status) in order; the status at an instant is that of the last entry at or before it.
    history: tuple[tuple[datetime, str], ...]


class Hours(NamedTuple):
    """Half-hours by category."""

    public: int = 0
    professional: int = 0

    @property
    def total(self) -> int:
        """Both categories together."""
        return self.public + self.professional


class YearVerdict(NamedTuple):
    """Everything the compliance answer says about one year."""

    year: int
    status: str                  # met | short | exempt | no_rule
    rule: Rule | None
    level: str | None
    workplace: str | None
    region: str | None
    required: int                # half-hours
    required_professional: int   # half-hours
    registered: Hours
    pending: Hours
    unrecognised: Hours          # registered, but earned where the rule does not recognise
    unrecognised_pending: Hours  # pending, and earned where the rule does not recognise
    shortfall_total: int         # 0 in an exempt year: nothing is required
    shortfall_professional: int
    exemption: Exemption | None


def status_at(history: tuple[tuple[datetime, str], ...], as_of: datetime) -> str | None:
    """The status a record had at `as_of` (None: it did not exist yet)."""
    current = None
    for at, status in history:
        if at > as_of:
            break
        current = status
    return current


def period_for(periods: list[Period], year: int) -> Period | None:
    """The period covering `year`: the last one starting in or before it."""
    found = None
    for period in periods:
        if period.from_year <= year:
            found = period
        else:
            break
    return found


def required_half_hours(rule: Rule, level: str, workplace: str) -> int:
    """The total a rule asks of a level and workplace kind."""
    return rule.workplace_required.get(workplace, rule.required[level])


def required_professional_half_hours(rule: Rule, required: int, registered_total: int) -> int:
    """The professional part, as the rule's share of the required (or the registered) total, in half-hours."""
    basis = required if rule.professional_share_of == "required" else registered_total
    share = rule.professional_share
    return -(-basis * share.numerator // share.denominator)  # the ceiling, in integers


def evaluate(
    periods: list[Period], records: list[RecordFacts], exemptions: list[Exemption], rules: RuleBook,
    from_year: int, to_year: int, as_of: datetime,
) -> list[YearVerdict]:
    """The verdict for each year from from_year to to_year, as the registry stood at `as_of`."""
    periods = sorted(periods, key=lambda p: p.from_year)
    by_year: dict[int, list[RecordFacts]] = {}
    for record in records:
        by_year.setdefault(record.year, []).append(record)
    verdicts = []
    for year in range(from_year, to_year + 1):
        period = period_for(periods, year)
        # The earliest-created covering exemption (ties broken by content), whatever the order of the list.
        exemption = min((e for e in exemptions if e.from_year <= year <= e.to_year and e.created_at <= as_of),
                        key=lambda e: (e.created_at, e.from_year, e.to_year, e.reason, e.note), default=None)
        rule = rules.rule_for(period.region, year) if period else None
        # [registered, pending, unrecognised registered, unrecognised pending] x [public, professional]
        sums = [0, 0, 0, 0, 0, 0, 0, 0]
        own_region = period.region if period else None
        for record in by_year.get(year, ()):
            status = status_at(record.history, as_of)
            if status == "registered":
                slot = 0
            elif status in PENDING:
                slot = 2
            else:
                continue
            earned = record.region_earned or own_region
            if rule is not None and earned is not None and not rule.recognises(earned):
                slot += 4
            sums[slot + (record.category != "public")] += record.half_hours
        registered, pending = Hours(sums[0], sums[1]), Hours(sums[2], sums[3])
        unrecognised, unrecognised_pending = Hours(sums[4], sums[5]), Hours(sums[6], sums[7])
        if rule is None or period is None:
            verdicts.append(YearVerdict(
                year, "exempt" if exemption else "no_rule", None, period.level if period else None,
                period.workplace if period else None, own_region, 0, 0,
                registered, pending, unrecognised, unrecognised_pending, 0, 0, exemption))
            continue
        required = required_half_hours(rule, period.level, period.workplace)
        required_professional = required_professional_half_hours(rule, required, registered.total)
        shortfall_total = max(0, required - registered.total)
        shortfall_professional = max(0, required_professional - registered.professional)
        if exemption is not None:
            status, shortfall_total, shortfall_professional = "exempt", 0, 0
        elif shortfall_total == 0 and shortfall_professional == 0:
            status = "met"
        else:
            status = "short"
        verdicts.append(YearVerdict(
            year, status, rule, period.level, period.workplace, period.region, required, required_professional,
            registered, pending, unrecognised, unrecognised_pending, shortfall_total, shortfall_professional, exemption))
    return verdicts
