"""The pure evaluation of a person's years against the shipped rule sets (Guizhou, Hubei).

Amounts inside the engine are half-hours; the tables below are written in hours as the notices are.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ce_service.rules.evaluate import NOT_RECOGNISED, Exemption, Hours, Period, RecordFacts, YearVerdict, evaluate
from ce_service.rules.loader import parse_rule_set
from ce_service.rules.model import LEVELS, WORKPLACES, Rule, RuleBook

DATA = Path(__file__).resolve().parents[2] / "ce_service" / "rules" / "data"
UTC = timezone.utc
CST = timezone(timedelta(hours=8))
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
LATER = datetime(2027, 1, 1, tzinfo=UTC)  # every year these tests ask about is over
US = timedelta(microseconds=1)


def _book() -> RuleBook:
    rules: list[Rule] = []
    for name in ("guizhou", "hubei", "national"):
        parsed = parse_rule_set((DATA / f"{name}.toml").read_text("utf-8"), 1, tuple(rules))
        rules.extend(parsed.rules)
    return RuleBook(tuple(rules), {"guizhou": 1, "hubei": 1, "national": 1})


BOOK = _book()


def half(hours: float) -> int:
    assert hours * 2 == int(hours * 2)
    return int(hours * 2)


def registered(year: int, category: str, hours: float, region_earned: str | None = None,
               at: datetime = T0) -> RecordFacts:
    """A record that went draft -> submitted -> unit_approved -> registered, registered at `at`."""
    history = ((at - timedelta(days=3), "draft"), (at - timedelta(days=2), "submitted"),
               (at - timedelta(days=1), "unit_approved"), (at, "registered"))
    return RecordFacts(year, category, half(hours), region_earned, history)


def hours_of(year: int, public: float, professional: float, region_earned: str | None = None) -> list[RecordFacts]:
    out = []
    if public:
        out.append(registered(year, "public", public, region_earned))
    if professional:
        out.append(registered(year, "professional", professional, region_earned))
    return out


def unrecognised(v: YearVerdict) -> Hours:
    """Registered hours of the year that the declaring region's rule does not recognise."""
    return next((n.registered for n in v.not_counted if n.reason == NOT_RECOGNISED), Hours())


def one(periods: list[Period], records: list[RecordFacts], year: int, exemptions: list[Exemption] = (),
        as_of: datetime = LATER) -> YearVerdict:
    [verdict] = evaluate(periods, records, list(exemptions), BOOK, year, year, as_of)
    assert verdict.year == year
    return verdict


# --------------------------------------------------------------------------------------------------------------------
# Every fact of the notices, one case a line.
# region, year, level, workplace, public h, professional h ->
#     status, rule, required h, required professional h, shortfall total h, shortfall professional h
GZ_OLD, GZ_2020, GZ_NEW, HB, CN = "GZ-2019-AND-EARLIER", "GZ-2020", "GZ-2021-ON", "HB-2016-ON", "CN-2016-ON"
CASES = [
    # Guizhou, 2019 and earlier: senior and intermediate 72 h, junior 32 h, no professional share.
    ("520102", 2017, "senior_full", "standard", 72, 0, "met", GZ_OLD, 72, 0, 0, 0),
    ("520102", 2017, "senior_full", "standard", 71.5, 0, "short", GZ_OLD, 72, 0, 0.5, 0),
    ("520102", 2017, "senior_associate", "standard", 72, 0, "met", GZ_OLD, 72, 0, 0, 0),
    ("520102", 2017, "senior_associate", "standard", 71.5, 0, "short", GZ_OLD, 72, 0, 0.5, 0),
    ("520102", 2017, "intermediate", "standard", 72, 0, "met", GZ_OLD, 72, 0, 0, 0),
    ("520102", 2017, "intermediate", "standard", 71.5, 0, "short", GZ_OLD, 72, 0, 0.5, 0),
    ("520102", 2017, "junior", "standard", 32, 0, "met", GZ_OLD, 32, 0, 0, 0),
    ("520102", 2017, "junior", "standard", 31.5, 0, "short", GZ_OLD, 32, 0, 0.5, 0),
    ("520102", 2018, "senior_full", "standard", 72, 0, "met", GZ_OLD, 72, 0, 0, 0),
    ("520102", 2018, "senior_full", "standard", 71.5, 0, "short", GZ_OLD, 72, 0, 0.5, 0),
    ("520102", 2018, "senior_associate", "standard", 36, 36, "met", GZ_OLD, 72, 0, 0, 0),
    ("520102", 2018, "senior_associate", "standard", 35.5, 36, "short", GZ_OLD, 72, 0, 0.5, 0),
    ("520102", 2018, "intermediate", "standard", 0, 72, "met", GZ_OLD, 72, 0, 0, 0),
    ("520102", 2018, "intermediate", "standard", 0, 71.5, "short", GZ_OLD, 72, 0, 0.5, 0),
    ("520102", 2018, "junior", "standard", 32, 0, "met", GZ_OLD, 32, 0, 0, 0),
    ("520102", 2018, "junior", "standard", 0, 0, "short", GZ_OLD, 32, 0, 32, 0),
    ("520102", 2019, "senior_full", "standard", 72, 0, "met", GZ_OLD, 72, 0, 0, 0),
    ("520102", 2019, "senior_full", "standard", 71.5, 0, "short", GZ_OLD, 72, 0, 0.5, 0),
    ("520102", 2019, "senior_associate", "standard", 72, 0, "met", GZ_OLD, 72, 0, 0, 0),
    ("520102", 2019, "senior_associate", "standard", 71.5, 0, "short", GZ_OLD, 72, 0, 0.5, 0),
    ("520102", 2019, "intermediate", "standard", 72, 0, "met", GZ_OLD, 72, 0, 0, 0),
    ("520102", 2019, "intermediate", "standard", 71.5, 0, "short", GZ_OLD, 72, 0, 0.5, 0),
    ("520102", 2019, "junior", "standard", 32, 0, "met", GZ_OLD, 32, 0, 0, 0),
    ("520102", 2019, "junior", "standard", 31.5, 0, "short", GZ_OLD, 32, 0, 0.5, 0),
    # The 45 h of grassroots and private workplaces starts in 2021: before, they owe the full amount.
    ("520102", 2019, "intermediate", "grassroots", 45, 0, "short", GZ_OLD, 72, 0, 27, 0),
    ("520102", 2019, "junior", "private", 32, 0, "met", GZ_OLD, 32, 0, 0, 0),
    # Guizhou 2020: at least 60 h in total, every level, no professional share.
    ("520102", 2020, "senior_full", "standard", 60, 0, "met", GZ_2020, 60, 0, 0, 0),
    ("520102", 2020, "senior_full", "standard", 59.5, 0, "short", GZ_2020, 60, 0, 0.5, 0),
    ("520102", 2020, "senior_associate", "standard", 60, 0, "met", GZ_2020, 60, 0, 0, 0),
    ("520102", 2020, "senior_associate", "standard", 0, 59.5, "short", GZ_2020, 60, 0, 0.5, 0),
    ("520102", 2020, "intermediate", "standard", 60, 0, "met", GZ_2020, 60, 0, 0, 0),
    ("520102", 2020, "intermediate", "standard", 59.5, 0, "short", GZ_2020, 60, 0, 0.5, 0),
    ("520102", 2020, "junior", "standard", 60, 0, "met", GZ_2020, 60, 0, 0, 0),
    ("520102", 2020, "junior", "standard", 32, 0, "short", GZ_2020, 60, 0, 28, 0),
    ("520102", 2020, "intermediate", "grassroots", 45, 0, "short", GZ_2020, 60, 0, 15, 0),
    ("520102", 2020, "intermediate", "private", 60, 0, "met", GZ_2020, 60, 0, 0, 0),
    # Guizhou 2021 on: 90 h a year, professional at least two thirds of the REQUIRED total (60 of 90).
    ("520102", 2021, "intermediate", "standard", 30, 60, "met", GZ_NEW, 90, 60, 0, 0),
    ("520102", 2021, "intermediate", "standard", 90, 0, "short", GZ_NEW, 90, 60, 0, 60),
    ("520102", 2021, "intermediate", "standard", 0, 90, "met", GZ_NEW, 90, 60, 0, 0),
    ("520102", 2021, "intermediate", "standard", 29.5, 60, "short", GZ_NEW, 90, 60, 0.5, 0),
    ("520102", 2021, "intermediate", "standard", 30, 59.5, "short", GZ_NEW, 90, 60, 0.5, 0.5),
    ("520102", 2021, "senior_full", "standard", 120, 60, "met", GZ_NEW, 90, 60, 0, 0),
    ("520102", 2021, "junior", "standard", 32, 0, "short", GZ_NEW, 90, 60, 58, 60),
    ("520102", 2022, "senior_full", "standard", 30, 60, "met", GZ_NEW, 90, 60, 0, 0),
    ("520102", 2022, "senior_associate", "standard", 90, 0, "short", GZ_NEW, 90, 60, 0, 60),
    ("520102", 2022, "junior", "standard", 0, 90, "met", GZ_NEW, 90, 60, 0, 0),
    ("520102", 2022, "intermediate", "standard", 0, 89.5, "short", GZ_NEW, 90, 60, 0.5, 0),
    ("520102", 2023, "intermediate", "standard", 30, 60, "met", GZ_NEW, 90, 60, 0, 0),
    ("520102", 2023, "intermediate", "standard", 90, 0, "short", GZ_NEW, 90, 60, 0, 60),
    ("520102", 2023, "senior_full", "standard", 45, 44.5, "short", GZ_NEW, 90, 60, 0.5, 15.5),
    ("520102", 2025, "intermediate", "standard", 30, 60, "met", GZ_NEW, 90, 60, 0, 0),
    ("520102", 2026, "junior", "standard", 90, 0, "short", GZ_NEW, 90, 60, 0, 60),
    # Grassroots and private workplaces from 2021: 45 h, professional 30 of them.
    ("520102", 2021, "intermediate", "grassroots", 15, 30, "met", GZ_NEW, 45, 30, 0, 0),
    ("520102", 2021, "intermediate", "grassroots", 16, 29, "short", GZ_NEW, 45, 30, 0, 1),
    ("520102", 2021, "junior", "private", 15, 30, "met", GZ_NEW, 45, 30, 0, 0),
    ("520102", 2022, "senior_full", "grassroots", 0, 45, "met", GZ_NEW, 45, 30, 0, 0),
    ("520102", 2022, "senior_associate", "private", 45, 0, "short", GZ_NEW, 45, 30, 0, 30),
    ("520102", 2023, "intermediate", "grassroots", 15, 29.5, "short", GZ_NEW, 45, 30, 0.5, 0.5),
    ("520102", 2023, "junior", "private", 14.5, 30, "short", GZ_NEW, 45, 30, 0.5, 0),
    ("520102", 2025, "intermediate", "grassroots", 16, 29, "short", GZ_NEW, 45, 30, 0, 1),
    ("520102", 2025, "intermediate", "private", 0, 90, "met", GZ_NEW, 45, 30, 0, 0),
    # Kaili (黔东南州) and Guiyang both fall under the province-wide rule.
    ("522601", 2019, "junior", "standard", 32, 0, "met", GZ_OLD, 32, 0, 0, 0),
    ("522601", 2020, "intermediate", "standard", 60, 0, "met", GZ_2020, 60, 0, 0, 0),
    ("522601", 2023, "intermediate", "standard", 30, 60, "met", GZ_NEW, 90, 60, 0, 0),
    ("522601", 2023, "intermediate", "grassroots", 16, 29, "short", GZ_NEW, 45, 30, 0, 1),
    ("520102", 2023, "intermediate", "standard", 30, 59.5, "short", GZ_NEW, 90, 60, 0.5, 0.5),
    # Hubei: 90 h a year from 2016 (人社部令第25号), two thirds professional, no 45 h for grassroots.
    ("420106", 2023, "intermediate", "standard", 30, 60, "met", HB, 90, 60, 0, 0),
    ("420106", 2023, "intermediate", "standard", 90, 0, "short", HB, 90, 60, 0, 60),
    ("420106", 2023, "intermediate", "grassroots", 15, 30, "short", HB, 90, 60, 45, 30),
    ("420106", 2016, "junior", "standard", 30, 60, "met", HB, 90, 60, 0, 0),
    ("420106", 2019, "senior_full", "standard", 72, 0, "short", HB, 90, 60, 18, 60),
    # A region without a rule of its own (Beijing, Yunnan) is held to the national floor from 2016 on
    # (人社部令第25号: 每年累计应不少于90学时，其中，专业科目一般不少于总学时的三分之二).
    ("110105", 2023, "intermediate", "standard", 30, 60, "met", CN, 90, 60, 0, 0),
    ("110105", 2019, "junior", "standard", 0, 0, "short", CN, 90, 60, 90, 60),
    ("532930", 2023, "intermediate", "grassroots", 90, 0, "short", CN, 90, 60, 0, 60),
    ("530000", 2016, "senior_full", "standard", 30, 60, "met", CN, 90, 60, 0, 0),
    # Before 2016, the first full year of the order, no rule covers Hubei or Beijing: never met.
    ("420106", 2015, "intermediate", "standard", 30, 60, "no_rule", None, 0, 0, 0, 0),
    ("110105", 2015, "intermediate", "standard", 30, 60, "no_rule", None, 0, 0, 0, 0),
]


@pytest.mark.parametrize(
    "region, year, level, workplace, public, professional, status, rule, required, required_professional, "
    "short_total, short_professional",
    CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}-{c[3]}-{c[4]}+{c[5]}" for c in CASES])
def test_rule_facts(region, year, level, workplace, public, professional, status, rule, required,
                    required_professional, short_total, short_professional):
    periods = [Period(2010, level, workplace, region)]
    v = one(periods, hours_of(year, public, professional), year)
    assert v.status == status
    assert (v.rule.name if v.rule else None) == rule
    assert v.required == half(required)
    assert v.required_professional == half(required_professional)
    assert v.shortfall_total == half(short_total)
    assert v.shortfall_professional == half(short_professional)
    assert v.registered == Hours(half(public), half(professional))
    assert v.pending == Hours() and unrecognised(v) == Hours()
    assert (v.level, v.workplace, v.region) == (level, workplace, region)
    assert v.exemption is None
    if rule is not None:
        assert v.rule.set_version == 1
        assert v.rule.set_name == {"42": "hubei", "52": "guizhou"}.get(region[:2], "national")


def test_year_before_the_first_period_is_not_applicable():
    periods = [Period(2021, "intermediate", "standard", "520102")]
    records = hours_of(2020, 30, 60) + hours_of(2021, 30, 60)
    v2020, v2021 = evaluate(periods, records, [], BOOK, 2020, 2021, LATER)
    assert v2020.status == "not_applicable"
    assert (v2020.rule, v2020.level, v2020.workplace, v2020.region) == (None, None, None, None)
    assert (v2020.required, v2020.shortfall_total, v2020.shortfall_professional) == (0, 0, 0)
    assert v2020.registered == Hours(60, 120)  # still reported
    assert v2021.status == "met"


def test_no_periods_at_all():
    verdicts = evaluate([], hours_of(2023, 30, 60), [], BOOK, 2021, 2023, LATER)
    assert [v.status for v in verdicts] == ["not_applicable"] * 3
    assert [v.year for v in verdicts] == [2021, 2022, 2023]


def test_one_verdict_per_year_in_order():
    periods = [Period(2015, "intermediate", "standard", "520102")]
    verdicts = evaluate(periods, [], [], BOOK, 2018, 2023, LATER)
    assert [v.year for v in verdicts] == list(range(2018, 2024))
    assert [v.rule.name for v in verdicts] == [GZ_OLD, GZ_OLD, GZ_2020, GZ_NEW, GZ_NEW, GZ_NEW]
    assert [v.required for v in verdicts] == [144, 144, 120, 180, 180, 180]


def test_records_of_other_years_do_not_count():
    periods = [Period(2015, "intermediate", "standard", "520102")]
    v = one(periods, hours_of(2022, 30, 60) + hours_of(2024, 30, 60), 2023)
    assert v.status == "short" and v.registered == Hours()


def test_several_records_add_up_in_half_hours():
    periods = [Period(2015, "intermediate", "standard", "520102")]
    records = [registered(2023, "professional", 0.5) for _ in range(119)] + hours_of(2023, 30.5, 0)
    v = one(periods, records, 2023)
    assert v.registered == Hours(61, 119)
    assert v.status == "short" and v.shortfall_total == 0 and v.shortfall_professional == 1
    v = one(periods, records + [registered(2023, "professional", 0.5)], 2023)
    assert v.status == "met"


# --------------------------------------------------------------------------------------------------------------------
# Where hours were earned (Hubei recognises the ten Yangtze River Economic Belt provinces, 湖北省 六(三)).
BELT = ["420000", "310000", "320000", "330000", "340000", "360000", "430000", "500000", "510000", "530000", "520000"]
ELSEWHERE = ["110000", "440000", "120000", "370000", "540000"]


def test_hubei_recognises_guizhou_but_not_beijing():
    periods = [Period(2015, "intermediate", "standard", "420106")]
    records = [registered(2023, "public", 30, "520000"), registered(2023, "professional", 60, "110000")]
    v = one(periods, records, 2023)
    assert v.status == "short"
    assert v.rule.name == HB
    assert v.registered == Hours(60, 0)
    assert unrecognised(v) == Hours(0, 120)
    assert v.shortfall_total == 120 and v.shortfall_professional == 120  # 60 h and 60 h


@pytest.mark.parametrize("earned", BELT)
def test_hubei_counts_hours_from_the_belt(earned):
    periods = [Period(2015, "intermediate", "standard", "420106")]
    v = one(periods, hours_of(2023, 30, 60, earned), 2023)
    assert v.status == "met" and v.registered == Hours(60, 120) and unrecognised(v) == Hours()


@pytest.mark.parametrize("earned", ELSEWHERE)
def test_hubei_does_not_count_hours_from_elsewhere(earned):
    periods = [Period(2015, "intermediate", "standard", "420106")]
    v = one(periods, hours_of(2023, 30, 60, earned), 2023)
    assert v.status == "short" and v.registered == Hours() and unrecognised(v) == Hours(60, 120)
    assert v.shortfall_total == 180 and v.shortfall_professional == 120


def test_region_earned_none_means_the_persons_own_region():
    hubei = [Period(2015, "intermediate", "standard", "420106")]
    v = one(hubei, hours_of(2023, 30, 60, None), 2023)
    assert v.status == "met" and unrecognised(v) == Hours()
    # The person's region is the one of the period covering the year: hours of a Beijing year were
    # earned in Beijing, which Hubei (where the person declares now) does not recognise.
    moved = [Period(2015, "intermediate", "standard", "110105"), Period(2023, "intermediate", "standard", "420106")]
    v2022, v2023 = evaluate(moved, hours_of(2022, 30, 60) + hours_of(2023, 30, 60), [], BOOK, 2022, 2023, LATER)
    assert v2022.status == "short" and v2022.rule.name == HB and unrecognised(v2022) == Hours(60, 120)
    assert v2023.status == "met" and unrecognised(v2023) == Hours()


def test_guizhou_recognises_hours_from_anywhere():
    periods = [Period(2015, "intermediate", "standard", "522601")]
    v = one(periods, hours_of(2023, 30, 60, "110000"), 2023)
    assert v.status == "met" and v.registered == Hours(60, 120) and unrecognised(v) == Hours()


def test_unrecognised_hours_do_not_show_as_pending_either():
    periods = [Period(2015, "intermediate", "standard", "420106")]
    submitted = RecordFacts(2023, "public", 60, "110000", ((T0, "draft"), (T0 + US, "submitted")))
    v = one(periods, [submitted], 2023)
    assert v.pending == Hours() and v.registered == Hours() and unrecognised(v) == Hours()


# --------------------------------------------------------------------------------------------------------------------
# as_of: the registry as it stood at an instant.
GZ = [Period(2015, "intermediate", "standard", "520102")]


def history(*steps: tuple[datetime, str]) -> tuple[tuple[datetime, str], ...]:
    return tuple(steps)


def test_registered_counts_from_the_instant_of_registration():
    t = datetime(2024, 2, 1, 8, 0, tzinfo=UTC)
    rec = RecordFacts(2023, "professional", 180, None, history(
        (t - timedelta(days=5), "draft"), (t - timedelta(days=4), "submitted"), (t - timedelta(days=1), "unit_approved"),
        (t, "registered")))
    before = one(GZ, [rec], 2023, as_of=t - US)
    assert before.registered == Hours() and before.pending == Hours(0, 180) and before.status == "short"
    at = one(GZ, [rec], 2023, as_of=t)
    assert at.registered == Hours(0, 180) and at.pending == Hours() and at.status == "met"
    after = one(GZ, [rec], 2023, as_of=t + timedelta(days=400))
    assert after.status == "met"
    # The same instant written with another offset.
    assert one(GZ, [rec], 2023, as_of=t.astimezone(CST)).status == "met"
    assert one(GZ, [rec], 2023, as_of=(t - US).astimezone(CST)).status == "short"


def test_revoked_stops_counting_at_the_instant_of_revocation():
    t1 = datetime(2024, 2, 1, tzinfo=UTC)
    t2 = datetime(2024, 6, 1, tzinfo=UTC)
    rec = RecordFacts(2023, "professional", 180, None, history((t1 - US, "submitted"), (t1, "registered"),
                                                                  (t2, "revoked")))
    assert one(GZ, [rec], 2023, as_of=t1 - US).status == "short"
    assert one(GZ, [rec], 2023, as_of=t1).status == "met"
    assert one(GZ, [rec], 2023, as_of=t2 - US).status == "met"
    gone = one(GZ, [rec], 2023, as_of=t2)
    assert gone.status == "short" and gone.registered == Hours() and gone.pending == Hours()
    assert unrecognised(gone) == Hours()
    assert one(GZ, [rec], 2023, as_of=t2 + timedelta(days=1000)).status == "short"


@pytest.mark.parametrize("status", ["submitted", "unit_approved"])
def test_waiting_records_are_pending_not_counted(status):
    rec = RecordFacts(2023, "public", 60, None, history((T0 - timedelta(days=1), "draft"), (T0, status)))
    v = one(GZ, [rec] + hours_of(2023, 0, 60), 2023, as_of=T0)
    assert v.pending == Hours(60, 0)
    assert v.registered == Hours(0, 120)
    assert v.status == "short" and v.shortfall_total == 60
    # Still pending later when nothing happened since.
    assert one(GZ, [rec], 2023, as_of=LATER).pending == Hours(60, 0)


@pytest.mark.parametrize("status", ["returned", "withdrawn", "draft"])
def test_returned_withdrawn_and_draft_records_are_neither(status):
    steps = [(T0 - timedelta(days=2), "draft")]
    if status != "draft":
        steps += [(T0 - timedelta(days=1), "submitted"), (T0, status)]
    rec = RecordFacts(2023, "professional", 180, None, tuple(steps))
    v = one(GZ, [rec], 2023, as_of=T0)
    assert v.registered == Hours() and v.pending == Hours() and unrecognised(v) == Hours()
    assert v.status == "short"


def test_returned_then_registered_counts_from_registration():
    t = T0
    rec = RecordFacts(2023, "professional", 180, None, history(
        (t, "draft"), (t + timedelta(hours=1), "submitted"), (t + timedelta(hours=2), "returned"),
        (t + timedelta(hours=3), "submitted"), (t + timedelta(hours=4), "unit_approved"),
        (t + timedelta(hours=5), "registered")))
    assert one(GZ, [rec], 2023, as_of=t + timedelta(hours=2)).pending == Hours()
    assert one(GZ, [rec], 2023, as_of=t + timedelta(hours=3)).pending == Hours(0, 180)
    assert one(GZ, [rec], 2023, as_of=t + timedelta(hours=5)).status == "met"


def test_a_record_created_after_as_of_is_not_seen():
    rec = RecordFacts(2023, "professional", 180, None, history((T0, "registered")))
    v = one(GZ, [rec], 2023, as_of=T0 - US)
    assert v.registered == Hours() and v.pending == Hours() and unrecognised(v) == Hours()
    rec = RecordFacts(2023, "professional", 180, None, history((T0, "draft"), (T0 + US, "submitted")))
    assert one(GZ, [rec], 2023, as_of=T0 - US).pending == Hours()


def test_a_record_with_no_history_is_not_seen():
    rec = RecordFacts(2023, "professional", 180, None, ())
    v = one(GZ, [rec], 2023, as_of=LATER)
    assert v.registered == Hours() and v.pending == Hours()


# --------------------------------------------------------------------------------------------------------------------
# Exemptions (绿色通道: 继续教育学时不作硬性要求).
GREEN_AT = datetime(2024, 5, 1, tzinfo=UTC)
GREEN = Exemption(2022, 2024, "green_channel", "绿色通道职称评审，继续教育学时不作硬性要求", GREEN_AT)


def test_green_channel_exempts_the_years_it_covers_from_when_it_was_created():
    v = one(GZ, [], 2023, [GREEN], as_of=GREEN_AT)
    assert v.status == "exempt" and v.exemption == GREEN
    assert v.exemption.reason == "green_channel"
    assert v.rule.name == GZ_NEW and v.required == 180  # still said what would have been required
    assert one(GZ, [], 2023, [GREEN], as_of=LATER).status == "exempt"
    for year in (2022, 2024):
        assert one(GZ, [], year, [GREEN], as_of=GREEN_AT).status == "exempt"


def test_green_channel_created_after_as_of_does_not_count():
    v = one(GZ, [], 2023, [GREEN], as_of=GREEN_AT - US)
    assert v.status == "short" and v.exemption is None


def test_green_channel_not_covering_the_year_does_not_count():
    for year in (2021, 2025):
        v = one(GZ, [], year, [GREEN], as_of=LATER)
        assert v.status == "short" and v.exemption is None
    v = one(GZ, hours_of(2021, 30, 60), 2021, [GREEN], as_of=LATER)
    assert v.status == "met" and v.exemption is None


def test_exemption_wins_over_met_hours_and_keeps_the_hours_reported():
    v = one(GZ, hours_of(2023, 30, 60), 2023, [GREEN], as_of=LATER)
    assert v.status == "exempt" and v.registered == Hours(60, 120)


def test_exemption_without_a_rule():
    old = Exemption(2014, 2015, "green_channel", "", GREEN_AT)
    v = one([Period(2010, "intermediate", "standard", "110105")], [], 2015, [old], as_of=LATER)
    assert v.status == "exempt" and v.exemption == old and v.rule is None


def test_exemptions_over_several_years_in_one_question():
    verdicts = evaluate(GZ, hours_of(2021, 30, 60), [GREEN], BOOK, 2021, 2025, LATER)
    assert [v.status for v in verdicts] == ["met", "exempt", "exempt", "exempt", "short"]


# --------------------------------------------------------------------------------------------------------------------
# Periods: level, workplace and region of the year come from the period covering it.
def test_promotion_from_junior_to_intermediate():
    periods = [Period(2015, "junior", "standard", "520102"), Period(2019, "intermediate", "standard", "520102")]
    records = hours_of(2018, 32, 0) + hours_of(2019, 32, 0)
    v2018, v2019 = evaluate(periods, records, [], BOOK, 2018, 2019, LATER)
    assert (v2018.level, v2018.required, v2018.status) == ("junior", 64, "met")
    assert (v2019.level, v2019.required, v2019.status, v2019.shortfall_total) == ("intermediate", 144, "short", 80)


def test_moving_to_grassroots():
    periods = [Period(2021, "intermediate", "standard", "522601"), Period(2022, "intermediate", "grassroots", "522601")]
    records = hours_of(2021, 15, 30) + hours_of(2022, 15, 30) + hours_of(2023, 15, 30)
    v2021, v2022, v2023 = evaluate(periods, records, [], BOOK, 2021, 2023, LATER)
    assert (v2021.workplace, v2021.required, v2021.status) == ("standard", 180, "short")
    assert (v2022.workplace, v2022.required, v2022.status) == ("grassroots", 90, "met")
    assert (v2023.workplace, v2023.required, v2023.status) == ("grassroots", 90, "met")


def test_periods_in_any_order_and_moving_province():
    periods = [Period(2023, "intermediate", "grassroots", "420106"), Period(2015, "intermediate", "grassroots", "520102")]
    records = hours_of(2022, 15, 30) + hours_of(2023, 15, 30)
    # Declaring where the latest period is (Hubei): every year by Hubei's rule, which has no 45 h.
    v2022, v2023 = evaluate(periods, records, [], BOOK, 2022, 2023, LATER)
    assert (v2022.region, v2022.rule.name, v2022.status) == ("520102", HB, "short")
    assert (v2023.region, v2023.rule.name, v2023.status) == ("420106", HB, "short")
    # Declaring in Guizhou: every year by Guizhou's rule, with the grassroots 45 h.
    v2022, v2023 = evaluate(periods, records, [], BOOK, 2022, 2023, LATER, "520000")
    assert (v2022.region, v2022.rule.name, v2022.status, v2022.required) == ("520102", GZ_NEW, "met", 90)
    assert (v2023.region, v2023.rule.name, v2023.status, v2023.required) == ("420106", GZ_NEW, "met", 90)


# --------------------------------------------------------------------------------------------------------------------
# Properties.
BASE = datetime(2024, 1, 1, tzinfo=UTC)
YEARS = (2018, 2023)  # old, 2020 and new Guizhou rules; few years so that records pile up and years are met
REGIONS = ["520102", "522601", "420106", "520102", "110105"]
EARNED = [None, None, None, "520000", "420000", "310000", "110000", "440000"]
HALF_HOURS = st.one_of(st.sampled_from([60, 64, 90, 120, 144, 180]), st.integers(1, 200))
PATHS = [
    ("draft",), ("draft", "submitted"), ("draft", "submitted", "unit_approved"),
    ("draft", "submitted", "unit_approved", "registered"), ("registered",), ("registered",),
    ("draft", "submitted", "unit_approved", "registered"),
    ("draft", "submitted", "returned"), ("draft", "submitted", "withdrawn"), ("draft", "withdrawn"),
    ("draft", "submitted", "returned", "submitted", "unit_approved", "registered"),
    ("draft", "submitted", "unit_approved", "registered", "revoked"), ("registered", "revoked"),
]


def at_hour(h: int) -> datetime:
    return BASE + timedelta(hours=h)


@st.composite
def histories(draw, path=st.sampled_from(PATHS)):
    steps = draw(path)
    start = draw(st.integers(0, 120))
    gaps = draw(st.lists(st.integers(1, 24), min_size=len(steps), max_size=len(steps)))
    instants, h = [], start
    for gap in gaps:
        instants.append(at_hour(h))
        h += gap
    return tuple(zip(instants, steps))


records_st = st.builds(
    RecordFacts,
    year=st.integers(*YEARS),
    category=st.sampled_from(["public", "professional"]),
    half_hours=HALF_HOURS,
    region_earned=st.sampled_from(EARNED),
    history=histories(),
    # Records without a course key: a course counted once is a property of its own (test_notices.py).
    source=st.just("self"), course_key=st.just(None), completed_on=st.just(None),
)



@st.composite
def record_lists(draw):
    """Some records of any kind, plus in some years a big professional one, so that met years are common."""
    out = draw(st.lists(records_st, max_size=8))
    for year in range(YEARS[0], YEARS[1] + 1):
        if draw(st.integers(0, 3)):
            out.append(RecordFacts(year, "professional", draw(st.sampled_from([120, 144, 180])),
                                   draw(st.sampled_from(EARNED)), draw(histories())))
    return draw(st.permutations(out))


@st.composite
def periods_st(draw):
    starts = draw(st.lists(st.integers(2014, 2022), min_size=1, max_size=3, unique=True))
    return [Period(y, draw(st.sampled_from(LEVELS)), draw(st.sampled_from(WORKPLACES)), draw(st.sampled_from(REGIONS)))
            for y in starts]


@st.composite
def exemptions_st(draw):
    a = draw(st.integers(*YEARS))
    b = draw(st.integers(a, YEARS[1]))
    return Exemption(a, b, draw(st.sampled_from(["green_channel", "other"])), draw(st.sampled_from(["", "x", "y"])),
                     at_hour(draw(st.integers(0, 400))))


as_of_st = st.integers(0, 400).map(at_hour)


def run(periods, records, exemptions, as_of):
    return evaluate(periods, records, exemptions, BOOK, YEARS[0], YEARS[1], as_of)


FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(periods=periods_st(), records=record_lists(), exemptions=st.lists(exemptions_st(), max_size=2),
       as_of=as_of_st, data=st.data())
def test_adding_a_registered_record_never_turns_met_into_short(periods, records, exemptions, as_of, data):
    reg_at = data.draw(st.integers(0, 400).filter(lambda h: at_hour(h) <= as_of), "registered at")
    steps = [(at_hour(reg_at), "registered")]
    if data.draw(st.booleans(), "revoked after as_of"):
        steps.append((as_of + timedelta(hours=data.draw(st.integers(1, 100))), "revoked"))
    extra = data.draw(st.builds(RecordFacts, year=st.integers(*YEARS), category=st.sampled_from(["public", "professional"]),
                                half_hours=HALF_HOURS, region_earned=st.sampled_from(EARNED),
                                history=st.just(tuple(steps)), source=st.just("self"), course_key=st.just(None),
                                completed_on=st.just(None)), "extra")
    before = run(periods, records, exemptions, as_of)
    after = run(periods, records + [extra], exemptions, as_of)
    for b, a in zip(before, after, strict=True):
        if b.status == "met":
            assert a.status == "met", (b, a)
        assert a.status == b.status or (b.status, a.status) == ("short", "met")
        assert a.registered.public >= b.registered.public and a.registered.professional >= b.registered.professional
        assert a.pending == b.pending
        assert a.shortfall_total <= b.shortfall_total and a.shortfall_professional <= b.shortfall_professional


def _revoked(record: RecordFacts) -> bool:
    return any(status == "revoked" for _, status in record.history)


@FAST
@given(periods=periods_st(), records=record_lists(), exemptions=st.lists(exemptions_st(), max_size=2),
       h1=st.integers(0, 400), h2=st.integers(0, 400))
def test_later_instants_keep_what_was_registered(periods, records, exemptions, h1, h2):
    as_of1, as_of2 = at_hour(min(h1, h2)), at_hour(max(h1, h2))
    kept = [r for r in records if not _revoked(r)]
    early_kept = run(periods, kept, exemptions, as_of1)
    early = run(periods, records, exemptions, as_of1)
    late = run(periods, records, exemptions, as_of2)
    revoked_between = any(as_of1 < at <= as_of2 and status == "revoked" for r in records for at, status in r.history)
    exempted_between = any(as_of1 < e.created_at <= as_of2 for e in exemptions)
    for k, e, l in zip(early_kept, early, late, strict=True):
        assert l.registered.public >= k.registered.public
        assert l.registered.professional >= k.registered.professional
        assert unrecognised(l).public >= unrecognised(k).public
        assert unrecognised(l).professional >= unrecognised(k).professional
        if e.status == "met" and not revoked_between:
            assert l.status in ("met", "exempt"), (e, l)
            if not exempted_between:
                assert l.status == "met", (e, l)
        if e.status == "exempt":
            assert l.status == "exempt"  # exemptions are never deleted


@FAST
@given(periods=periods_st(), records=record_lists(), exemptions=st.lists(exemptions_st(), max_size=3),
       as_of=as_of_st, data=st.data())
def test_order_of_records_and_exemptions_does_not_matter(periods, records, exemptions, as_of, data):
    expected = run(periods, records, exemptions, as_of)
    shuffled_records = data.draw(st.permutations(records), "records")
    shuffled_exemptions = data.draw(st.permutations(exemptions), "exemptions")
    shuffled_periods = data.draw(st.permutations(periods), "periods")
    assert run(shuffled_periods, shuffled_records, shuffled_exemptions, as_of) == expected


def test_order_of_two_covering_exemptions_does_not_matter():
    first = GREEN._replace(created_at=GREEN_AT - timedelta(days=30), note="first")
    for order in ([GREEN, first], [first, GREEN]):
        assert one(GZ, [], 2023, order, as_of=LATER).exemption == first  # the earliest created
    # Before the earlier one is known, the other is not either; in between only the earlier one counts.
    assert one(GZ, [], 2023, [GREEN, first], as_of=first.created_at - US).exemption is None
    assert one(GZ, [], 2023, [GREEN, first], as_of=GREEN_AT - US).exemption == first
