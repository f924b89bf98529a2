"""A person's verdict for each year: a pure function of their data, the rules and an instant."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import NamedTuple

from ce_service.clock import CHINA
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
    """What the verdict needs of a record (or of several alike, summed): amount, origin and status over time."""

    year: int
    category: str                # "public" | "professional"
    half_hours: int
    region_earned: str | None    # None: the person's region in that year
    # (instant, status) in order; the status at an instant is that of the last entry at or before it.
    history: tuple[tuple[datetime, str], ...]
    source: str = "self"         # self | provider | platform | import | recognised | hr
    course_key: str | None = None  # "client:normalised course code" of a platform's or provider's course
    completed_on: date | None = None  # orders passes of the same course (None for summed records)


class Hours(NamedTuple):
    """Half-hours by category."""

    public: int = 0
    professional: int = 0

    @property
    def total(self) -> int:
        """Both categories together."""
        return self.public + self.professional


# Why hours a person has do not count in a year's verdict.
NOT_RECOGNISED = "not_recognised"   # earned in a region the declaring region's rule does not recognise
REPEATED_COURSE = "repeated_course"  # a course already counted for this person (in this year or an earlier one)
TEST_CREDIT = "test_credit"          # a platform reported more than the rule credits for passing its test
NOT_COUNTED_REASONS = (NOT_RECOGNISED, REPEATED_COURSE, TEST_CREDIT)


class NotCounted(NamedTuple):
    """Hours of one year that do not count, for one reason: registered by category, and pending."""

    reason: str
    registered: Hours
    pending: Hours


class YearVerdict(NamedTuple):
    """Everything the compliance answer says about one year."""

    year: int
    status: str                  # met | short | in_progress | exempt | not_applicable | no_rule
    rule: Rule | None
    level: str | None
    workplace: str | None
    region: str | None           # where the person was in that year (the period in force on 31 December)
    required: int                # half-hours
    required_professional: int   # half-hours
    registered: Hours            # registered hours that count
    pending: Hours               # pending hours that would count once registered
    not_counted: tuple[NotCounted, ...]
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


def _repeats(records: list[RecordFacts], statuses: list[str | None], periods: list[Period], rules: RuleBook,
             declaring_region: str | None) -> set[int]:
    """Indexes of passes of a course other than the one that counts: a course counts once per person.

    The pass that counts is the earliest registered one, else the earliest pending one; a pass
    earned where the declaring region's rule does not recognise it never counts, so it blocks none.
    """
    candidates = []
    for i, record in enumerate(records):
        if record.course_key is None or statuses[i] is None:
            continue
        period = period_for(periods, record.year)
        rule = rules.rule_for(declaring_region, record.year) if declaring_region and period else None
        earned = record.region_earned or (period.region if period else None)
        if rule is None or earned is None or rule.recognises(earned):
            candidates.append(i)
    candidates.sort(key=lambda i: (statuses[i] != "registered", records[i].year, records[i].completed_on or date.min, i))
    first: set[str] = set()
    repeats = set()
    for i in candidates:
        if records[i].course_key in first:
            repeats.add(i)
        else:
            first.add(records[i].course_key)
    return repeats


def _counting(status: str | None) -> str | None:
    """"registered" or "pending" for a status whose hours count now or may count; None for the rest."""
    if status == "registered":
        return "registered"
    return "pending" if status in PENDING else None


def evaluate(
    periods: list[Period], records: list[RecordFacts], exemptions: list[Exemption], rules: RuleBook,
    from_year: int, to_year: int, as_of: datetime, declaring_region: str | None = None,
) -> list[YearVerdict]:
    """The verdict for each year from from_year to to_year, as the registry stood at `as_of`.

    Every year is judged by the rule of the declaring region (default: the person's latest region)
    for that year, with the person's own level and workplace kind in that year. Records of years
    before from_year may be given: they are only looked at to tell a repeated course.
    """
    periods = sorted(periods, key=lambda p: p.from_year)
    if declaring_region is None and periods:
        declaring_region = periods[-1].region
    running_year = as_of.astimezone(CHINA).year
    statuses = [_counting(status_at(r.history, as_of)) for r in records]
    repeats = _repeats(records, statuses, periods, rules, declaring_region)
    by_year: dict[int, list[int]] = {}
    for i, record in enumerate(records):
        if statuses[i] is not None:
            by_year.setdefault(record.year, []).append(i)
    verdicts = []
    for year in range(from_year, to_year + 1):
        period = period_for(periods, year)
        # No rule is looked up before the person's first period: nobody was held to one then.
        rule = rules.rule_for(declaring_region, year) if declaring_region and period else None
        counted = {"registered": [0, 0], "pending": [0, 0]}
        dropped = {reason: {"registered": [0, 0], "pending": [0, 0]} for reason in NOT_COUNTED_REASONS}
        for i in by_year.get(year, ()):
            record, state = records[i], statuses[i]
            kind = record.category != "public"
            earned = record.region_earned or (period.region if period else None)
            if i in repeats:
                dropped[REPEATED_COURSE][state][kind] += record.half_hours
            elif rule is not None and earned is not None and not rule.recognises(earned):
                dropped[NOT_RECOGNISED][state][kind] += record.half_hours
            elif (record.source == "platform" and not kind and rule is not None
                  and rule.public_test_half_hours is not None):
                # 学习测试合格计30学时: a pass counts what the rule credits, whatever the platform says.
                credited = rule.public_test_half_hours
                counted[state][kind] += credited
                dropped[TEST_CREDIT][state][kind] += max(0, record.half_hours - credited)
            else:
                counted[state][kind] += record.half_hours
        registered, pending = Hours(*counted["registered"]), Hours(*counted["pending"])
        not_counted = tuple(NotCounted(reason, Hours(*d["registered"]), Hours(*d["pending"]))
                            for reason, d in dropped.items() if any(d["registered"]) or any(d["pending"]))
        if period is None:
            # Before the person's first period: not applicable (the hours are still reported).
            verdicts.append(YearVerdict(year, "not_applicable", None, None, None, None, 0, 0, registered, pending,
                                        not_counted, 0, 0, None))
            continue
        # The earliest-created covering exemption (ties broken by content), whatever the order of the list.
        exemption = min((e for e in exemptions if e.from_year <= year <= e.to_year and e.created_at <= as_of),
                        key=lambda e: (e.created_at, e.from_year, e.to_year, e.reason, e.note), default=None)
        if rule is None:
            verdicts.append(YearVerdict(
                year, "exempt" if exemption else "no_rule", None, period.level, period.workplace, period.region,
                0, 0, registered, pending, not_counted, 0, 0, exemption))
            continue
        required = required_half_hours(rule, period.level, period.workplace)
        required_professional = required_professional_half_hours(rule, required, registered.total)
        shortfall_total = max(0, required - registered.total)
        shortfall_professional = max(0, required_professional - registered.professional)
        if exemption is not None:
            status, shortfall_total, shortfall_professional = "exempt", 0, 0
        elif shortfall_total == 0 and shortfall_professional == 0:
            status = "met"
        elif year >= running_year:
            status = "in_progress"  # the year is not over at `as_of`: not met yet is not short
        else:
            status = "short"
        verdicts.append(YearVerdict(
            year, status, rule, period.level, period.workplace, period.region, required, required_professional,
            registered, pending, not_counted, shortfall_total, shortfall_professional, exemption))
    return verdicts


def barred_until(entries: list[tuple[date, bool, datetime]], rules: RuleBook, declaring_region: str | None,
                 as_of: datetime) -> date | None:
    """The last day a declaration is barred by integrity entries known at `as_of` (None: not barred then).

    An entry that bars declaration runs for the years the declaring region's rule sets (three in the
    notices), counted from its date: an entry of 2023-03-01 bars up to 2026-02-28.
    """
    today = as_of.astimezone(CHINA).date()
    last = None
    for entry_date, bars, recorded_at in entries:
        if not bars or recorded_at > as_of or declaring_region is None:
            continue
        years = rules.bar_years(declaring_region, entry_date.year)
        if years is None:
            continue
        try:
            end = entry_date.replace(year=entry_date.year + years)
        except ValueError:  # 29 February into a year without one
            end = date(entry_date.year + years, 3, 1)
        until = end - timedelta(days=1)
        if until >= today and (last is None or until > last):
            last = until
    return last
