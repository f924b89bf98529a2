"""Which two records are one course: pure rules, table-driven."""

from __future__ import annotations

from datetime import date

import pytest

from ce_service.records.superseding import Course, normalise_title, same_course, similar_titles

D = date(2025, 5, 20)


@pytest.mark.parametrize(("a", "b", "similar"), [
    ("建筑结构抗震设计新规范", "建筑结构抗震设计新规范", True),
    ("《建筑结构抗震设计新规范》", "建筑结构 抗震设计新规范（）", True),
    ("建筑结构抗震设计新规范", "建筑结构抗震设计新规范解读", True),
    ("建筑结构抗震设计新规范", "抗震设计新规范", True),
    ("建筑结构抗震设计新规范", "医院感染管理", False),
    ("数字经济与创新驱动", "数字经济", False),     # too little in common for a different, longer course
    ("Python 入门", "python入门", True),
    ("", "建筑", False),
    ("！！", "？？", False),
])
def test_similar_titles(a, b, similar):
    assert similar_titles(a, b) is similar
    assert similar_titles(b, a) is similar


def test_normalise_title_drops_spaces_punctuation_and_width():
    assert normalise_title(" 《ＡＢＣ》 新规范！") == "abc新规范"


@pytest.mark.parametrize(("official", "own", "same"), [
    (Course("JZ-07", D, 25, "甲"), Course("jz-07", D, 25, "乙"), True),        # same code, date and hours
    (Course("JZ-07", D, 1, "甲"), Course("jz-07", D, 80, "甲"), False),        # a code alone is not enough
    (Course("JZ-07", D, 25, "甲"), Course("jz-07", date(2025, 1, 1), 25, "甲"), False),  # nor with another date
    (Course("JZ-07", D, 25, "建筑抗震"), Course(None, D, 25, "建筑抗震"), True),              # date, hours, title
    (Course(None, D, 25, "建筑抗震"), Course(None, D, 24, "建筑抗震"), False),               # other hours
    (Course(None, D, 25, "建筑抗震"), Course(None, date(2025, 5, 21), 25, "建筑抗震"), False),
    (Course(None, D, 25, "建筑抗震设计"), Course(None, D, 25, "医院感染管理"), False),
    (Course("JZ-07", D, 25, "建筑抗震"), Course("JZ-08", D, 25, "建筑抗震"), True),         # codes differ, rest same
    (Course("", D, 25, "甲课程"), Course("", D, 25, "乙课程内容"), False),                     # empty codes never match
])
def test_same_course(official, own, same):
    assert same_course(official, own) is same
