"""Reading rule-set files: the shipped ones load, and every problem is reported with its place."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from ce_service.rules.loader import Problem, RuleSetInvalid, from_json, parse_rule_set, to_json
from ce_service.rules.model import RuleBook

DATA = Path(__file__).resolve().parents[2] / "ce_service" / "rules" / "data"
GUIZHOU = (DATA / "guizhou.toml").read_text("utf-8")
HUBEI = (DATA / "hubei.toml").read_text("utf-8")
LEVELS_72 = "{ senior_full = 72, senior_associate = 72, intermediate = 72, junior = 32 }"


def problems(text: str, others=()) -> list[Problem]:
    with pytest.raises(RuleSetInvalid) as caught:
        parse_rule_set(text, 1, tuple(others))
    assert caught.value.problems, "RuleSetInvalid without problems"
    # The message lists every problem with its place.
    assert str(caught.value) == "; ".join(str(p) for p in caught.value.problems)
    return caught.value.problems


def places(text: str, others=()) -> dict[str, str]:
    found = problems(text, others)
    return {p.place: p.message for p in found}


def one_problem(text: str, others=()) -> Problem:
    found = problems(text, others)
    assert len(found) == 1, found
    return found[0]


def rule_set(*rules: str, head: str = 'name = "test-set"\ntitle = "测试"\nsource = "test"\n') -> str:
    """A rule-set file: the head on lines 1-3, then each rule as a [[rule]] table after a blank line."""
    return head + "".join(f"\n[[rule]]\n{body.strip()}\n" for body in rules)


OLD = f'name = "T-OLD"\nregion = "52"\nto_year = 2019\nrequired = {LEVELS_72}'
NEW = f'name = "T-NEW"\nregion = "52"\nfrom_year = 2020\nrequired = {LEVELS_72}'


def shipped_rules():
    guizhou = parse_rule_set(GUIZHOU, 1)
    hubei = parse_rule_set(HUBEI, 1, guizhou.rules)
    return guizhou, hubei


# --------------------------------------------------------------------------------------------------------------------
# The shipped files.
def test_shipped_guizhou_loads():
    parsed = parse_rule_set(GUIZHOU, 1)
    assert parsed.name == "guizhou" and parsed.title == "贵州省专业技术人员继续教育学时要求"
    assert "四(三)" in parsed.source
    old, y2020, new = parsed.rules
    assert [r.name for r in parsed.rules] == ["GZ-2019-AND-EARLIER", "GZ-2020", "GZ-2021-ON"]
    assert {r.region for r in parsed.rules} == {"52"}
    assert {r.set_name for r in parsed.rules} == {"guizhou"} and {r.set_version for r in parsed.rules} == {1}
    assert (old.from_year, old.to_year) == (None, 2019)
    assert old.required == {"senior_full": 144, "senior_associate": 144, "intermediate": 144, "junior": 64}
    assert old.workplace_required == {} and old.professional_share == 0
    assert (y2020.from_year, y2020.to_year) == (2020, 2020)
    assert y2020.required == dict.fromkeys(("senior_full", "senior_associate", "intermediate", "junior"), 120)
    assert y2020.professional_share == 0
    assert (new.from_year, new.to_year) == (2021, None)
    assert new.required == dict.fromkeys(("senior_full", "senior_associate", "intermediate", "junior"), 180)
    assert new.workplace_required == {"grassroots": 90, "private": 90}
    assert (new.professional_share, new.professional_share_of) == (Fraction(2, 3), "required")
    for rule in parsed.rules:  # the defaults apply to each rule
        assert rule.recognised_regions == ("*",) and rule.declaration_bar_years == 3
    # The test credit of 30 h is read from 2021 on (the courseware of 2021 and 2022 continues).
    assert [r.public_test_half_hours for r in parsed.rules] == [None, None, 60]
    assert parsed.definition["name"] == "guizhou" and len(parsed.definition["rules"]) == 3


def test_shipped_hubei_loads():
    guizhou, hubei = shipped_rules()
    [rule] = hubei.rules
    assert (rule.name, rule.set_name, rule.region, rule.from_year, rule.to_year) == ("HB-2016-ON", "hubei", "42", 2016, None)
    assert rule.required == dict.fromkeys(("senior_full", "senior_associate", "intermediate", "junior"), 180)
    assert rule.workplace_required == {}
    assert (rule.professional_share, rule.professional_share_of) == (Fraction(2, 3), "required")
    # Hubei and the ten Yangtze River Economic Belt provinces and municipalities (湖北省 六(三)).
    assert set(rule.recognised_regions) == {"42", "31", "32", "33", "34", "36", "43", "50", "51", "53", "52"}
    assert rule.recognises("520102") and rule.recognises("421000") and not rule.recognises("110105")
    assert rule.public_test_half_hours is None


def test_shipped_files_reload_as_a_new_version_of_themselves():
    guizhou, hubei = shipped_rules()
    # A new version of a set is checked against the other sets, not against its own older version.
    again = parse_rule_set(GUIZHOU, 2, guizhou.rules + hubei.rules)
    assert [r.set_version for r in again.rules] == [2, 2, 2]


def test_json_round_trip():
    guizhou, hubei = shipped_rules()
    for rule in guizhou.rules + hubei.rules:
        assert from_json(to_json(rule), rule.set_name, rule.set_version) == rule
    assert to_json(guizhou.rules[2])["professional_share"] == "2/3"


# --------------------------------------------------------------------------------------------------------------------
# Every kind of problem, with its place. rule[0] starts on line 5, rule[1] on line 11 (see rule_set).
def test_the_test_file_itself_is_valid():
    parsed = parse_rule_set(rule_set(OLD, NEW), 1)
    assert [r.name for r in parsed.rules] == ["T-OLD", "T-NEW"]


def test_missing_level_in_the_shipped_file_names_rule_name_and_line():
    text = GUIZHOU.replace("intermediate = 72, junior = 32 }", "intermediate = 72 }")
    p = one_problem(text)
    assert p.place == "rule[0] (GZ-2019-AND-EARLIER).required.junior (line 17)"
    assert "missing" in p.message
    assert str(p) == f"rule[0] (GZ-2019-AND-EARLIER).required.junior (line 17): {p.message}"


def test_problems_in_the_third_shipped_rule_name_its_line():
    text = GUIZHOU.replace("grassroots = 45", "grassroots = -45")
    p = one_problem(text)
    assert p.place == "rule[2] (GZ-2021-ON).workplace_required.grassroots (line 29)"


def test_missing_required_table():
    p = one_problem(rule_set('name = "T-OLD"\nregion = "52"\nto_year = 2019'))
    assert p.place == "rule[0] (T-OLD).required (line 5)" and "table of hours" in p.message


@pytest.mark.parametrize("value", ["-32", "0", "32.25", "0.25", "10000.5", "inf", "-inf", "nan"])
def test_hours_must_be_positive_half_hour_steps(value):
    p = one_problem(rule_set(OLD.replace("junior = 32", f"junior = {value}")))
    assert p.place == "rule[0] (T-OLD).required.junior (line 5)"
    assert p.message == "must be a positive number of hours in steps of 0.5"


@pytest.mark.parametrize("value", ['"32"', "true", "[32]", "{ h = 32 }"])
def test_hours_must_be_numbers(value):
    p = one_problem(rule_set(OLD.replace("junior = 32", f"junior = {value}")))
    assert p.place == "rule[0] (T-OLD).required.junior (line 5)" and p.message == "must be a number of hours"


def test_half_hours_and_whole_floats_are_fine():
    parsed = parse_rule_set(rule_set(OLD.replace("junior = 32", "junior = 31.5").replace("senior_full = 72",
                                                                                        "senior_full = 72.0")), 1)
    assert parsed.rules[0].required["junior"] == 63 and parsed.rules[0].required["senior_full"] == 144


def test_unknown_key_in_a_rule():
    p = one_problem(rule_set(OLD + '\ncolour = "red"'))
    assert p.place.startswith("rule[0]") and p.place.endswith(".colour (line 5)")
    assert p.message == "unknown key"


def test_unknown_top_level_and_defaults_keys():
    text = rule_set(OLD, head='name = "test-set"\ntitle = "t"\ncolour = "red"\n[defaults]\nshape = 1\n')
    assert places(text) == {"colour": "unknown key", "defaults.shape": "unknown key"}


def test_name_is_not_a_default():
    text = rule_set(OLD.replace('name = "T-OLD"\n', ""), head='name = "test-set"\ntitle = "t"\n[defaults]\nname = "T-X"\n')
    found = places(text)
    assert found["defaults.name"] == "unknown key"


def test_unknown_level():
    p = one_problem(rule_set(OLD.replace("junior = 32", "junior = 32, senior = 72")))
    assert p.place == "rule[0] (T-OLD).required.senior (line 5)" and p.message.startswith("unknown level")


def test_unknown_workplace():
    p = one_problem(rule_set(NEW + "\nworkplace_required = { grassroots = 45, remote = 45 }"))
    assert p.place == "rule[0] (T-NEW).workplace_required.remote (line 5)"
    assert p.message.startswith("unknown workplace kind")


def test_workplace_hours_are_checked_too():
    p = one_problem(rule_set(NEW + "\nworkplace_required = { private = 22.25 }"))
    assert p.place == "rule[0] (T-NEW).workplace_required.private (line 5)"


@pytest.mark.parametrize("share", ['"3/2"', '"-1/3"', '"abc"', '"1/0"', "2", "true", "[1]"])
def test_bad_professional_share(share):
    p = one_problem(rule_set(NEW + f"\nprofessional_share = {share}"))
    assert p.place == "rule[0] (T-NEW).professional_share (line 5)"
    assert p.message.startswith("must be a fraction between 0 and 1")


@pytest.mark.parametrize("share, expected", [('"2/3"', Fraction(2, 3)), ('"0"', Fraction(0)), ("1", Fraction(1)),
                                             ("0.5", Fraction(1, 2)), ('"1/2"', Fraction(1, 2))])
def test_good_professional_share(share, expected):
    parsed = parse_rule_set(rule_set(NEW + f"\nprofessional_share = {share}"), 1)
    assert parsed.rules[0].professional_share == expected


@pytest.mark.parametrize("share_of", ['"total"', '"Required"', "1"])
def test_bad_professional_share_of(share_of):
    p = one_problem(rule_set(NEW + f"\nprofessional_share_of = {share_of}"))
    assert p.place == "rule[0] (T-NEW).professional_share_of (line 5)"
    assert p.message == "must be one of required, registered"


@pytest.mark.parametrize("region", ['"5"', '"522"', '"5226011"', '"99"', '"ab"', "52", '""', '"52a1"'])
def test_bad_region_prefix(region):
    p = one_problem(rule_set(OLD.replace('region = "52"', f"region = {region}")))
    assert p.place == "rule[0] (T-OLD).region (line 5)" and "division-code prefix" in p.message


@pytest.mark.parametrize("region", ["52", "5226", "522601", "42"])
def test_good_region_prefix(region):
    assert parse_rule_set(rule_set(OLD.replace('region = "52"', f'region = "{region}"')), 1).rules[0].region == region


def test_missing_region():
    p = one_problem(rule_set(OLD.replace('region = "52"\n', "")))
    assert p.place == "rule[0] (T-OLD).region (line 5)"


def test_bad_recognised_regions():
    found = places(rule_set(OLD + '\nrecognised_regions = ["42", "5", "*", "99"]', NEW + '\nrecognised_regions = "*"'))
    assert set(found) == {"rule[0] (T-OLD).recognised_regions[1] (line 5)",
                          "rule[0] (T-OLD).recognised_regions[3] (line 5)",
                          "rule[1] (T-NEW).recognised_regions (line 12)"}  # rule[0] has one line more


def test_from_year_after_to_year():
    p = one_problem(rule_set(NEW.replace("from_year = 2020", "from_year = 2022\nto_year = 2021")))
    assert p.place == "rule[0] (T-NEW).to_year (line 5)" and p.message == "must not be before from_year"


def test_a_single_year_is_fine():
    rule = parse_rule_set(rule_set(NEW.replace("from_year = 2020", "from_year = 2020\nto_year = 2020")), 1).rules[0]
    assert (rule.from_year, rule.to_year) == (2020, 2020)


@pytest.mark.parametrize("year", ["1949", "2201", "2020.0", '"2020"', "true"])
def test_years_out_of_range_or_not_integers(year):
    p = one_problem(rule_set(NEW.replace("from_year = 2020", f"from_year = {year}")))
    assert p.place == "rule[0] (T-NEW).from_year (line 5)" and p.message.startswith("must be a year between")


def test_bad_rule_name():
    p = one_problem(rule_set(OLD.replace('name = "T-OLD"', 'name = "t-old"')))
    assert p.place == "rule[0].name (line 5)"


def test_bad_set_name_and_title():
    found = places(rule_set(OLD, head='name = "Test Set"\ntitle = " "\nsource = 1\n'))
    assert set(found) == {"name", "title", "source"}


def test_no_rules():
    assert places('name = "test-set"\ntitle = "t"\n') == {"rule": "needs at least one [[rule]] table"}


def test_duplicate_rule_names():
    second = NEW.replace('name = "T-NEW"', 'name = "T-OLD"').replace('region = "52"', 'region = "42"')
    p = one_problem(rule_set(OLD, second))
    assert p.place == "rule T-OLD" and p.message == "the name is used more than once"


@pytest.mark.parametrize("years, overlaps", [
    ("from_year = 2019", True),                       # one year in common with ..2019
    ("from_year = 2010\nto_year = 2012", True),       # inside the open past
    ("", True),                                       # all years
    ("from_year = 2020", False),                      # just after
])
def test_overlapping_years_in_the_same_region(years, overlaps):
    second = f'name = "T-NEW"\nregion = "52"\n{years}\nrequired = {LEVELS_72}'
    text = rule_set(OLD, second)
    if overlaps:
        p = one_problem(text)
        assert p.place == "rule T-NEW" and p.message == "its years overlap rule T-OLD for region 52"
    else:
        parse_rule_set(text, 1)


def test_same_years_in_other_regions_are_fine():
    parse_rule_set(rule_set(OLD, OLD.replace("T-OLD", "T-HB").replace('"52"', '"42"')), 1)


def test_overlap_with_a_rule_of_another_set():
    guizhou, _ = shipped_rules()
    text = rule_set(NEW.replace("from_year = 2020", "from_year = 2023"))
    p = one_problem(text, guizhou.rules)
    assert p.place == "rule T-NEW"
    assert p.message == "its years overlap rule GZ-2021-ON of rule set guizhou for region 52"
    parse_rule_set(text, 1)  # alone it is fine


def test_a_name_used_by_another_set():
    guizhou, _ = shipped_rules()
    text = rule_set(OLD.replace("T-OLD", "GZ-2020").replace('"52"', '"42"'))
    p = one_problem(text, guizhou.rules)
    assert p.place == "rule GZ-2020" and p.message == "the name is already used in rule set guizhou"


def test_a_finer_region_may_override_the_province_and_wins():
    guizhou, hubei = shipped_rules()
    text = rule_set('name = "QDN-2021-ON"\nregion = "5226"\nfrom_year = 2021\n'
                    'required = { senior_full = 60, senior_associate = 60, intermediate = 60, junior = 30 }',
                    head='name = "qiandongnan"\ntitle = "黔东南州"\n')
    finer = parse_rule_set(text, 1, guizhou.rules + hubei.rules)
    [rule] = finer.rules
    book = RuleBook(guizhou.rules + hubei.rules + finer.rules, {"guizhou": 1, "hubei": 1, "qiandongnan": 1})
    assert book.rule_for("522601", 2023) == rule           # Kaili: the finer rule
    assert book.rule_for("522601", 2020).name == "GZ-2020"  # before it: the province
    assert book.rule_for("520102", 2023).name == "GZ-2021-ON"  # Guiyang: the province
    assert book.rule_for("420106", 2023).name == "HB-2016-ON"
    assert book.rule_for("110105", 2023) is None
    assert book.rule_for("420106", 2015) is None
    # The order of the rules in the book does not matter.
    assert RuleBook(tuple(reversed(book.rules)), book.versions).rule_for("522601", 2023) == rule


def test_toml_syntax_error():
    p = one_problem(GUIZHOU.replace('name = "GZ-2020"', 'name = "GZ-2020'))
    assert p.place == "file" and p.message.startswith("not valid TOML")


def test_every_problem_is_reported_not_just_the_first():
    first = OLD.replace("junior = 32", "junior = -1").replace('region = "52"', 'region = "5"') + '\ncolour = 1'
    second = (NEW.replace("intermediate = 72, ", "").replace("from_year = 2020", "from_year = 2022\nto_year = 2021")
              + '\nprofessional_share = "3/2"\nprofessional_share_of = "total"\nworkplace_required = { remote = 45 }')
    found = places(rule_set(first, second, head='name = "test-set"\ntitle = "t"\nextra = 1\n'))
    assert set(found) == {
        "extra",
        "rule[0].colour (line 5)",
        "rule[0] (T-OLD).region (line 5)",
        "rule[0] (T-OLD).required.junior (line 5)",
        "rule[1] (T-NEW).to_year (line 12)",
        "rule[1] (T-NEW).required.intermediate (line 12)",
        "rule[1] (T-NEW).workplace_required.remote (line 12)",
        "rule[1] (T-NEW).professional_share (line 12)",
        "rule[1] (T-NEW).professional_share_of (line 12)",
    }


def test_several_rules_each_with_its_line_and_overlaps_together():
    third = NEW.replace("T-NEW", "T-AGAIN")
    found = problems(rule_set(OLD.replace("junior = 32", "junior = 0.1"), NEW, third))
    assert [(p.place, p.message) for p in found] == [
        ("rule[0] (T-OLD).required.junior (line 5)", "must be a positive number of hours in steps of 0.5"),
        ("rule T-AGAIN", "its years overlap rule T-NEW for region 52"),
    ]


def test_line_numbers_with_comments_and_spaces_around_rule_headers():
    text = ('name = "test-set"\ntitle = "t"\n\n'
            "[[rule]]  # before 2020\n" + OLD + "\n\n"
            "  [[ rule ]]\n" + NEW.replace("junior = 32", "junior = -1") + "\n")
    p = one_problem(text)
    assert p.place == "rule[1] (T-NEW).required.junior (line 10)"
    found = problems(text.replace("to_year = 2019", "to_year = 1900"))
    assert [p.place for p in found] == ["rule[0] (T-OLD).to_year (line 4)", "rule[1] (T-NEW).required.junior (line 10)"]
