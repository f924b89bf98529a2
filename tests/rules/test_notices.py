"""How each sentence of the notices is read: one table of cases per sentence, the sentence quoted beside it.

Seeds: 001 贵州省 (as restated by 黔东南州/凯里市) 2023年职称工作通知, 002 凯里市, 003 云南省洱源县,
004 湖北省咸宁市 2024年职称工作通知; and the national orders they rest on (人社部令第25号, 第40号).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from ce_service.records.validation import record_errors
from ce_service.rules.evaluate import (
    NOT_RECOGNISED,
    REPEATED_COURSE,
    TEST_CREDIT,
    Exemption,
    Hours,
    Period,
    RecordFacts,
    YearVerdict,
    barred_until,
    evaluate,
)
from ce_service.rules.loader import parse_rule_set
from ce_service.rules.model import Rule, RuleBook

DATA = Path(__file__).resolve().parents[2] / "ce_service" / "rules" / "data"
UTC = timezone.utc
CHINA = timezone(timedelta(hours=8))
REGISTERED_AT = datetime(2020, 1, 1, tzinfo=UTC)
AFTER_ALL = datetime(2026, 1, 1, tzinfo=UTC)  # every year asked below (up to 2025) is over


def _book() -> RuleBook:
    rules: list[Rule] = []
    for name in ("guizhou", "hubei", "national"):
        rules.extend(parse_rule_set((DATA / f"{name}.toml").read_text("utf-8"), 1, tuple(rules)).rules)
    return RuleBook(tuple(rules), {"guizhou": 1, "hubei": 1, "national": 1})


BOOK = _book()


def reg(year: int, category: str, hours: float, earned: str | None = None, *, source: str = "self",
        course: str | None = None, on: date | None = None, at: datetime = REGISTERED_AT,
        status: str = "registered") -> RecordFacts:
    """A record of `hours` that reached `status` at `at`; `course` is its "client:code" key."""
    return RecordFacts(year, category, int(hours * 2), earned, ((at, status),), source, course,
                       on or date(year, 6, 1))


def verdicts(periods: list[Period], records: list[RecordFacts], years: tuple[int, int], *,
             declaring: str | None = None, as_of: datetime = AFTER_ALL,
             exemptions: list[Exemption] = ()) -> list[YearVerdict]:
    return evaluate(periods, records, list(exemptions), BOOK, years[0], years[1], as_of, declaring)


def hours(h: Hours) -> tuple[float, float]:
    return (h.public / 2, h.professional / 2)


def dropped(v: YearVerdict, reason: str) -> tuple[float, float]:
    """(public, professional) registered hours of the year not counted for `reason`."""
    return next((hours(n.registered) for n in v.not_counted if n.reason == reason), (0, 0))


# --------------------------------------------------------------------------------------------------------------------
# Seed 004 六(三): "专业技术人员在长江经济带沿江10省、市…取得的继续教育学时，在我省参加职称评定时视同达到相应时长的
# 继续教育学时" — a declaration is judged by the province where the person declares ("在我省参加职称评定时"), every
# year by that province's rule, with the person's own level and workplace kind in that year.
BEIJING, KAILI, WUHAN = "110105", "522601", "420106"
MOVERS = [
    # periods, records, declaring, year -> status, rule, required h, counted (public, professional), not recognised
    ("Beijing 2021, Kaili from 2022, declares in Guizhou: 2021 judged by Guizhou, which restricts no region",
     [Period(2015, "intermediate", "standard", BEIJING), Period(2022, "intermediate", "standard", KAILI)],
     [reg(2021, "public", 30), reg(2021, "professional", 60)], None, 2021,
     "met", "GZ-2021-ON", 90, (30, 60), (0, 0)),
    ("Hubei grassroots 2021, Kaili from 2022, declares in Guizhou: Guizhou's 45 h for grassroots, not Hubei's 90",
     [Period(2015, "intermediate", "grassroots", WUHAN), Period(2022, "intermediate", "standard", KAILI)],
     [reg(2021, "public", 15), reg(2021, "professional", 30)], None, 2021,
     "met", "GZ-2021-ON", 45, (15, 30), (0, 0)),
    ("the same person declaring in Hubei (region asked): Hubei asks 90 of grassroots too",
     [Period(2015, "intermediate", "grassroots", WUHAN), Period(2022, "intermediate", "standard", KAILI)],
     [reg(2021, "public", 15), reg(2021, "professional", 30)], "420000", 2021,
     "short", "HB-2016-ON", 90, (15, 30), (0, 0)),
    ("Kaili until 2022, Wuhan from 2023, declares in Hubei: Guizhou's hours are in the belt and count",
     [Period(2015, "intermediate", "standard", KAILI), Period(2023, "intermediate", "standard", WUHAN)],
     [reg(2022, "public", 30), reg(2022, "professional", 60)], None, 2022,
     "met", "HB-2016-ON", 90, (30, 60), (0, 0)),
    ("Beijing until 2022, Wuhan from 2023, declares in Hubei: Beijing is not in the belt, its hours do not count",
     [Period(2015, "intermediate", "standard", BEIJING), Period(2023, "intermediate", "standard", WUHAN)],
     [reg(2022, "public", 30), reg(2022, "professional", 60)], None, 2022,
     "short", "HB-2016-ON", 90, (0, 0), (30, 60)),
    ("a Hubei person with hours earned in Shanghai (belt) and Guangdong (not)",
     [Period(2015, "intermediate", "standard", WUHAN)],
     [reg(2023, "public", 30, "310000"), reg(2023, "professional", 60, "440000")], None, 2023,
     "short", "HB-2016-ON", 90, (30, 0), (0, 60)),
]


@pytest.mark.parametrize("case", MOVERS, ids=[c[0] for c in MOVERS])
def test_judged_by_the_declaring_province(case):
    _, periods, records, declaring, year, status, rule, required, counted, unrecognised = case
    [v] = verdicts(periods, records, (year, year), declaring=declaring)
    assert (v.status, v.rule.name, v.required / 2) == (status, rule, required)
    assert hours(v.registered) == counted
    assert dropped(v, NOT_RECOGNISED) == unrecognised


def test_a_year_takes_the_period_in_force_on_31_december():
    """A person who moved during a year keeps one region for it: periods start on 1 January of from_year."""
    periods = [Period(2015, "intermediate", "standard", WUHAN), Period(2023, "intermediate", "grassroots", KAILI)]
    [v] = verdicts(periods, [reg(2023, "public", 15), reg(2023, "professional", 30)], (2023, 2023))
    assert (v.region, v.workplace, v.required) == (KAILI, "grassroots", 90)  # half-hours: 45 h


# --------------------------------------------------------------------------------------------------------------------
# Seed 003 (Yunnan, 洱源县): "申报人应当按照规定参加专业技术人员继续教育，继续教育情况需符合国家、我省及行业的相关规定"
# and the national order it points to, 人社部令第25号 第八条: "专业技术人员参加继续教育的时间，每年累计应不少于90学时，
# 其中，专业科目一般不少于总学时的三分之二" (in force from 2015-10-01; its first full year is 2016).
ERYUAN = "532930"
NATIONAL_FLOOR = [
    # region, year, level, workplace, public, professional -> status, rule, required, required professional
    (ERYUAN, 2023, "intermediate", "standard", 30, 60, "met", "CN-2016-ON", 90, 60),
    (ERYUAN, 2023, "junior", "standard", 90, 0, "short", "CN-2016-ON", 90, 60),
    (ERYUAN, 2022, "senior_full", "private", 30, 59.5, "short", "CN-2016-ON", 90, 60),   # no 45 h in the order
    (ERYUAN, 2016, "intermediate", "grassroots", 30, 60, "met", "CN-2016-ON", 90, 60),
    (ERYUAN, 2015, "intermediate", "standard", 30, 60, "no_rule", None, 0, 0),          # before its first full year
    ("370102", 2024, "intermediate", "standard", 30, 60, "met", "CN-2016-ON", 90, 60),   # 山东: a national-only region
]


@pytest.mark.parametrize("case", NATIONAL_FLOOR, ids=[f"{c[0]}-{c[1]}-{c[2]}-{c[4]}+{c[5]}" for c in NATIONAL_FLOOR])
def test_the_national_floor_where_a_province_sets_none(case):
    region, year, level, workplace, public, professional, status, rule, required, required_professional = case
    [v] = verdicts([Period(2010, level, workplace, region)],
                   [reg(year, "public", public), reg(year, "professional", professional)], (year, year))
    assert v.status == status
    assert (v.rule.name if v.rule else None) == rule
    assert (v.required / 2, v.required_professional / 2) == (required, required_professional)
    if rule:
        assert v.rule.set_name == "national"


def test_a_province_rule_wins_over_the_national_floor():
    [gz2019] = verdicts([Period(2010, "junior", "standard", KAILI)], [reg(2019, "public", 32)], (2019, 2019))
    assert (gz2019.rule.name, gz2019.status) == ("GZ-2019-AND-EARLIER", "met")  # 32 h, not the order's 90


# --------------------------------------------------------------------------------------------------------------------
# Seed 001 四(二): "学习测试合格计30学时。2021年及2022年开设的课件继续延用,学员可结合实际选择未学习课件进行学习,
# 学习测试合格按规定登记学时" — a pass counts the 30 h the rule credits, whatever the platform reports, and a learner
# takes courseware not studied before: each course counts once per person.
GZ = [Period(2015, "intermediate", "standard", KAILI)]
PLATFORM = "7:"  # the platform's client id, as the course key begins
TESTS = [
    # records -> year, counted public h, not counted as repeated, not counted as over the credit
    ("a pass reported as 30 h counts 30",
     [reg(2023, "public", 30, source="platform", course=PLATFORM + "GX-2023")], 2023, 30, 0, 0),
    ("a pass reported as 45 h counts 30; 15 h are shown as over the credit",
     [reg(2023, "public", 45, source="platform", course=PLATFORM + "GX-2023")], 2023, 30, 0, 15),
    ("a pass reported as 20 h counts the 30 the rule sets",
     [reg(2023, "public", 20, source="platform", course=PLATFORM + "GX-2023")], 2023, 30, 0, 0),
    ("the same course passed twice in a year (30 h, then 45 h) counts once: 30, not 75",
     [reg(2023, "public", 30, source="platform", course=PLATFORM + "GX-2023", on=date(2023, 5, 1)),
      reg(2023, "public", 45, source="platform", course=PLATFORM + "GX-2023", on=date(2023, 9, 1))], 2023, 30, 45, 0),
    ("two different courses passed in one year count twice",
     [reg(2023, "public", 30, source="platform", course=PLATFORM + "GX-2023"),
      reg(2023, "public", 30, source="platform", course=PLATFORM + "GX-2021")], 2023, 60, 0, 0),
    ("courseware of 2021 passed in 2024 counts in 2024…",
     [reg(2024, "public", 30, source="platform", course=PLATFORM + "GX-2021"),
      reg(2025, "public", 30, source="platform", course=PLATFORM + "GX-2021")], 2024, 30, 0, 0),
    ("…and its pass again in 2025 does not count in 2025",
     [reg(2024, "public", 30, source="platform", course=PLATFORM + "GX-2021"),
      reg(2025, "public", 30, source="platform", course=PLATFORM + "GX-2021")], 2025, 0, 30, 0),
    ("an earlier pass that was revoked does not make the later one a repeat",
     [reg(2024, "public", 30, source="platform", course=PLATFORM + "GX-2021", status="revoked"),
      reg(2025, "public", 30, source="platform", course=PLATFORM + "GX-2021")], 2025, 30, 0, 0),
    ("the same code from two platforms is two courses",
     [reg(2023, "public", 30, source="platform", course="7:GX-2023"),
      reg(2023, "public", 30, source="platform", course="8:GX-2023")], 2023, 60, 0, 0),
    ("a provider's course sent twice counts once, with the hours it reports (no test credit)",
     [reg(2023, "public", 12, source="provider", course="3:JZ-07", on=date(2023, 3, 1)),
      reg(2023, "public", 12, source="provider", course="3:JZ-07", on=date(2023, 4, 1))], 2023, 12, 12, 0),
]


@pytest.mark.parametrize("case", TESTS, ids=[c[0] for c in TESTS])
def test_a_test_counts_its_credit_and_a_course_once(case):
    _, records, year, counted, repeated, over = case
    [v] = verdicts(GZ, records, (year, year))
    assert hours(v.registered) == (counted, 0)
    assert dropped(v, REPEATED_COURSE) == (repeated, 0)
    assert dropped(v, TEST_CREDIT) == (over, 0)


@pytest.mark.parametrize("code", ["gx-2021", " GX-2021\t", "ＧＸ－２０２１", "GX 2021", "GX‐2021", "GX\u30002021"])
def test_a_course_code_written_another_way_is_the_same_course(code):
    from ce_service.compliance.service import course_key
    records = [reg(2023, "public", 10, source="provider", course=course_key("3:GX-2021")),
               reg(2023, "public", 10, source="provider", course=course_key("3:" + code))]
    [v] = verdicts(GZ, records, (2023, 2023))
    assert hours(v.registered) == (10, 0) and dropped(v, REPEATED_COURSE) == (10, 0)


def test_a_blank_course_code_names_no_course():
    from ce_service.compliance.service import course_key
    assert course_key("3:") is None and course_key("3:  -　") is None and course_key(None) is None
    records = [reg(2023, "public", 10, source="provider", course=course_key("3: ")) for _ in range(3)]
    [v] = verdicts(GZ, records, (2023, 2023))
    assert hours(v.registered) == (30, 0) and v.not_counted == ()


def test_a_pass_that_cannot_count_blocks_no_later_pass():
    """A first pass earned where the declaring rule does not recognise it never counted: the later one counts."""
    periods = [Period(2015, "intermediate", "standard", BEIJING), Period(2023, "intermediate", "standard", WUHAN)]
    records = [reg(2022, "professional", 60, source="provider", course="3:C1"),
               reg(2023, "professional", 60, source="provider", course="3:C1")]
    v2022, v2023 = verdicts(periods, records, (2022, 2023))
    assert dropped(v2022, NOT_RECOGNISED) == (0, 60) and dropped(v2022, REPEATED_COURSE) == (0, 0)
    assert hours(v2023.registered) == (0, 60) and v2023.not_counted == ()


def test_a_registered_pass_counts_before_a_pending_earlier_one():
    pending = reg(2022, "public", 30, source="platform", course=PLATFORM + "GX-2021", status="submitted")
    registered = reg(2023, "public", 30, source="platform", course=PLATFORM + "GX-2021")
    v2022, v2023 = verdicts(GZ, [pending, registered], (2022, 2023))
    assert hours(v2023.registered) == (30, 0)
    assert v2022.pending == Hours() and [(n.reason, n.pending) for n in v2022.not_counted] == [
        (REPEATED_COURSE, Hours(60, 0))]


def test_the_test_credit_applies_from_2021_only():
    """The 30 h credit is read from the notice of 2023 for the courseware of 2021 on; earlier passes count as sent."""
    [v] = verdicts(GZ, [reg(2019, "public", 45, source="platform", course=PLATFORM + "GX-2019")], (2019, 2019))
    assert hours(v.registered) == (45, 0) and v.not_counted == ()


def test_an_earlier_pass_outside_the_years_asked_still_makes_a_repeat():
    records = [reg(2021, "public", 30, source="platform", course=PLATFORM + "GX-2021"),
               reg(2024, "public", 30, source="platform", course=PLATFORM + "GX-2021")]
    [v] = verdicts(GZ, records, (2024, 2024))
    assert hours(v.registered) == (0, 0) and dropped(v, REPEATED_COURSE) == (30, 0)


def test_the_national_floor_sets_no_test_credit():
    """人社部令第25号 names no test: a platform pass in Yunnan counts the hours the platform reports."""
    [v] = verdicts([Period(2015, "intermediate", "standard", ERYUAN)],
                   [reg(2023, "public", 45, source="platform", course=PLATFORM + "GX-2023")], (2023, 2023))
    assert hours(v.registered) == (45, 0) and v.not_counted == ()


def test_a_platform_test_belongs_to_its_exam_year_when_finished_early_the_next_year():
    """Contract: "year exam_year even when finished early the next year" — accepted for platform results only."""
    today = date(2024, 6, 1)
    common = dict(year=2022, category="public", hours=30, completed_on=date(2023, 1, 5), course_title="专题",
                  region_earned=None, today=today, max_hours=200)
    assert record_errors(**common, may_finish_next_year=True) == []
    assert record_errors(**{**common, "completed_on": date(2023, 3, 31)}, may_finish_next_year=True) == []
    assert [e.field for e in record_errors(**common)] == ["completed_on"]
    for late in (date(2023, 4, 1), date(2023, 12, 20), date(2024, 1, 5), date(2021, 12, 31)):
        [error] = record_errors(**{**common, "completed_on": late}, may_finish_next_year=True)
        assert error.field == "completed_on" and "2023-03-31" in error.message


# --------------------------------------------------------------------------------------------------------------------
# Years that count against nobody: "the running year is in progress until met"; "a year before a person's first
# period is not applicable" (how the notices are read: the requirement is "每年", a year is judged once it is over).
def test_the_running_year_is_in_progress_until_met():
    mid_2024 = datetime(2024, 6, 30, 12, tzinfo=UTC)
    v2023, v2024 = verdicts(GZ, [reg(2023, "professional", 90), reg(2024, "professional", 40)], (2023, 2024),
                            as_of=mid_2024)
    assert (v2023.status, v2024.status) == ("met", "in_progress")
    assert v2024.shortfall_total == 100  # still says how far: 50 h
    [done] = verdicts(GZ, [reg(2024, "professional", 90)], (2024, 2024), as_of=mid_2024)
    assert done.status == "met"
    [over] = verdicts(GZ, [reg(2024, "professional", 40)], (2024, 2024), as_of=datetime(2025, 1, 2, tzinfo=UTC))
    assert over.status == "short"


def test_the_running_year_is_the_year_in_china():
    """23:30 on 31 December in UTC is already 1 January in China: the year asked is over there."""
    eve = datetime(2024, 12, 31, 16, 30, tzinfo=UTC)  # 2025-01-01 00:30 in China
    [v] = verdicts(GZ, [reg(2024, "professional", 40)], (2024, 2024), as_of=eve)
    assert v.status == "short"
    [v] = verdicts(GZ, [reg(2024, "professional", 40)], (2024, 2024), as_of=eve - timedelta(hours=1))
    assert v.status == "in_progress"


def test_years_before_the_first_period_are_not_applicable():
    periods = [Period(2022, "intermediate", "standard", KAILI)]
    v2020, v2021, v2022 = verdicts(periods, [reg(2021, "public", 10), reg(2022, "professional", 90)], (2020, 2022))
    assert [v.status for v in (v2020, v2021, v2022)] == ["not_applicable", "not_applicable", "met"]
    assert v2021.rule is None and v2021.required == 0 and hours(v2021.registered) == (10, 0)  # hours still shown


# Seed 001 一(四) 2: "“绿色通道”职称评审…申报人员不受台阶限制,继续教育学时不作硬性要求" — exempt, with the reason, not met.
def test_a_green_channel_year_is_exempt_with_its_reason():
    green = Exemption(2022, 2023, "green_channel", "高层次急需紧缺引进人才", REGISTERED_AT)
    v2021, v2022 = verdicts(GZ, [], (2021, 2022), exemptions=[green])
    assert (v2021.status, v2022.status) == ("short", "exempt")
    assert v2022.exemption.reason == "green_channel" and v2022.shortfall_total == 0


# --------------------------------------------------------------------------------------------------------------------
# Seeds 001/002: "申报人学术不端的，记入诚信档案库。情节严重的，取消三年内职称申报及岗位晋升资格"; seed 004: "记入全省、
# 全市职称失信黑名单,且仍在记录期限的不得申报"; 人社部令第40号: 记入职称评审诚信档案库…记录期限为3年.
RECORDED = datetime(2023, 3, 2, tzinfo=UTC)
BARS = [
    # entries (date, bars_declaration, recorded at), declaring region, as_of -> barred until
    ("a serious entry bars three years from its date", [(date(2023, 3, 1), True, RECORDED)], "520000",
     datetime(2024, 1, 1, tzinfo=UTC), date(2026, 2, 28)),
    ("on its last day it still bars", [(date(2023, 3, 1), True, RECORDED)], "520000",
     datetime(2026, 2, 28, 12, tzinfo=CHINA), date(2026, 2, 28)),
    ("the day after, it no longer bars", [(date(2023, 3, 1), True, RECORDED)], "520000",
     datetime(2026, 3, 1, 0, 0, 1, tzinfo=CHINA), None),
    ("an entry that does not bar declaration", [(date(2023, 3, 1), False, RECORDED)], "520000",
     datetime(2024, 1, 1, tzinfo=UTC), None),
    ("an entry recorded after as_of is not seen", [(date(2023, 3, 1), True, RECORDED)], "520000",
     RECORDED - timedelta(seconds=1), None),
    ("Hubei's blacklist runs the national three years", [(date(2024, 5, 10), True, RECORDED + timedelta(days=500))],
     "420000", datetime(2025, 1, 1, tzinfo=UTC), date(2027, 5, 9)),
    ("the latest of several wins", [(date(2022, 1, 1), True, RECORDED), (date(2023, 6, 1), True, RECORDED),
                                    (date(2024, 1, 1), False, RECORDED)], "520000",
     datetime(2023, 7, 1, tzinfo=UTC), date(2026, 5, 31)),
    ("29 February", [(date(2024, 2, 29), True, datetime(2024, 3, 1, tzinfo=UTC))], "520000",
     datetime(2024, 3, 2, tzinfo=UTC), date(2027, 2, 28)),
]


@pytest.mark.parametrize("case", BARS, ids=[c[0] for c in BARS])
def test_a_serious_integrity_entry_bars_declaration_for_the_rule_s_years(case):
    _, entries, region, as_of, until = case
    assert barred_until(entries, BOOK, region, as_of) == until


def test_the_length_of_the_bar_is_rule_data():
    longer = parse_rule_set(
        'name = "strict"\ntitle = "t"\n[[rule]]\nname = "ST-ON"\nregion = "5226"\nfrom_year = 2016\n'
        'required = { senior_full = 90, senior_associate = 90, intermediate = 90, junior = 90 }\n'
        'declaration_bar_years = 5\n', 1, BOOK.rules)
    book = RuleBook(BOOK.rules + longer.rules, {})
    entry = [(date(2023, 3, 1), True, RECORDED)]
    assert barred_until(entry, book, KAILI, datetime(2024, 1, 1, tzinfo=UTC)) == date(2028, 2, 29)
    assert barred_until(entry, book, "520102", datetime(2024, 1, 1, tzinfo=UTC)) == date(2026, 2, 28)
