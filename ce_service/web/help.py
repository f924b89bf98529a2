"""The help page, and the rules said in plain words with their source document (the help page and the year cards)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

import asyncpg
from litestar import Request, Response, get
from litestar.datastructures import State

from ce_service.auth.models import User
from ce_service.hours import to_hours
from ce_service.identity.region import region_name
from ce_service.rules import queries as rules_q
from ce_service.rules.model import EVERYWHERE, LEVELS, WORKPLACES, Rule, RuleBook
from ce_service.web.render import html
from ce_service.web.session import SignInRequired, page_csrf, page_user
from ce_service.web.texts import INSTALL_STEPS, LEVEL_ZH, WORKPLACE_ZH, ZH

CN_DIGITS = "零一二三四五六七八九十"


@dataclass(frozen=True)
class RuleSetText:
    """What a rule set says about itself: its title and the documents it rests on (as written in its file)."""

    title: str
    source: str

    @property
    def document(self) -> str:
        """The document alone, short enough for a card: 人社部令第25号 …, without the requirement restated."""
        return document_of(self.source) or self.title


def document_of(source: str) -> str:
    """The first document a rule set's source names: up to the first "：" or "；", without a parenthesis that
    restates the hours (专业技术人员继续教育规定（每年累计不少于90学时…） → 专业技术人员继续教育规定)."""
    first = re.split(r"[：；]", source.strip(), maxsplit=1)[0]
    return re.sub(r"（[^（）]*学时[^（）]*）", "", first).strip()


async def rule_set_texts(conn: asyncpg.Connection) -> dict[str, RuleSetText]:
    """Each rule set in force by name, with its title and source (stored with its definition)."""
    return {row["name"]: RuleSetText(row["title"], str(row["definition"].get("source", "")))
            for row in await conn.fetch(rules_q.RULE_SETS_IN_FORCE)}


def hours(half_hours: int) -> str:
    """Half-hours as people write hours: 90, 12.5."""
    return f"{float(to_hours(half_hours)):g}"


def fraction_words(share: Fraction) -> str:
    """2/3 → 三分之二 (small numbers in Chinese numerals, others as written)."""
    if share.denominator <= 10 and share.numerator <= 10:
        return f"{CN_DIGITS[share.denominator]}分之{CN_DIGITS[share.numerator]}"
    return f"{share.numerator}/{share.denominator}"


def years_words(rule: Rule) -> str:
    """The years a rule covers: 2021 年起, 2019 年及以前, 2020 年, 2016—2020 年."""
    if rule.from_year is None and rule.to_year is None:
        return ZH["help_every_year"]
    if rule.from_year is None:
        return f"{rule.to_year} 年及以前"
    if rule.to_year is None:
        return f"{rule.from_year} 年起"
    if rule.from_year == rule.to_year:
        return f"{rule.from_year} 年"
    return f"{rule.from_year}—{rule.to_year} 年"


def region_words(region: str) -> str:
    """Where a rule applies: 全国 for the country, else the division's name."""
    return ZH["help_whole_country"] if region == EVERYWHERE else region_name(region)


def _share_clause(rule: Rule, required_professional: int | None) -> str:
    if not rule.professional_share:
        return ""
    if rule.professional_share_of == "required" and required_professional is not None:
        return f"，其中专业科目不少于 {hours(required_professional)} 学时"
    base = "要求总学时" if rule.professional_share_of == "required" else "已登记学时"
    return f"，其中专业科目不少于{base}的{fraction_words(rule.professional_share)}"


def requirement_words(rule: Rule, required: int, required_professional: int | None) -> str:
    """One person's requirement: 每年不少于 90 学时，其中专业科目不少于 60 学时."""
    return f"每年不少于 {hours(required)} 学时{_share_clause(rule, required_professional)}"


def rule_lines(rule: Rule) -> list[str]:
    """Everything a rule asks, in plain words, for the help page."""
    by_hours: dict[int, list[str]] = {}
    for level in LEVELS:
        by_hours.setdefault(rule.required[level], []).append(LEVEL_ZH[level])
    if len(by_hours) == 1:
        [(amount, _)] = by_hours.items()
        lines = [f"每年不少于 {hours(amount)} 学时"]
    else:
        lines = ["；".join(f"{'、'.join(levels)}每年不少于 {hours(amount)} 学时" for amount, levels in by_hours.items())]
    if rule.workplace_required:
        kinds: dict[int, list[str]] = {}
        for kind in WORKPLACES:
            if kind in rule.workplace_required:
                kinds.setdefault(rule.workplace_required[kind], []).append(WORKPLACE_ZH[kind])
        lines.extend(f"{'和'.join(k)}每年不少于 {hours(amount)} 学时" for amount, k in kinds.items())
    if rule.professional_share:
        base = "要求总学时" if rule.professional_share_of == "required" else "已登记学时"
        lines.append(f"专业科目不少于{base}的{fraction_words(rule.professional_share)}，其余可为公需科目")
    if rule.public_test_half_hours is not None:
        lines.append(f"公需科目学习测试合格计 {hours(rule.public_test_half_hours)} 学时")
    if EVERYWHERE in rule.recognised_regions:
        lines.append(ZH["help_recognised_all"])
    elif rule.recognised_regions:
        lines.append(ZH["help_recognised_some"].format(
            regions="、".join(region_words(r) for r in rule.recognised_regions)))
    else:
        lines.append(ZH["help_recognised_own"])
    return lines


@dataclass(frozen=True)
class RuleShown:
    """One rule as the help page shows it."""

    region: str
    years: str
    lines: list[str]


@dataclass(frozen=True)
class RuleSetShown:
    """One rule set as the help page shows it: its title, its rules, the documents it rests on."""

    title: str
    source: str
    rules: list[RuleShown]


def help_rules(book: RuleBook, texts: dict[str, RuleSetText]) -> list[RuleSetShown]:
    """Every rule set in force, provinces first and the national floor last, each rule by region and years."""
    sets: dict[str, list[Rule]] = {}
    for rule in book.rules:
        sets.setdefault(rule.set_name, []).append(rule)

    def order(name: str) -> tuple[bool, str]:
        return (all(r.region == EVERYWHERE for r in sets[name]), name)

    shown = []
    for name in sorted(sets, key=order):
        text = texts.get(name, RuleSetText(name, ""))
        rules = sorted(sets[name], key=lambda r: (r.region, r.from_year or 0))
        shown.append(RuleSetShown(text.title, text.source,
                                  [RuleShown(region_words(r.region), years_words(r), rule_lines(r)) for r in rules]))
    return shown


async def _optional_user(request: Request) -> User | None:
    try:
        return await page_user(request)
    except SignInRequired:
        return None


@get("/help", include_in_schema=False)
async def help_page(request: Request, db: asyncpg.Connection, state: State) -> Response[str]:
    """How the yearly requirements read, where they come from, and how to put the app on the home screen."""
    user = await _optional_user(request)
    book = await state.rules.current(db)
    return html("help.html", user=user, csrf=page_csrf(request) if user else "",
                rule_sets=help_rules(book, await rule_set_texts(db)), install_steps=INSTALL_STEPS)


ROUTES = [help_page]
