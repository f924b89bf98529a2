"""Read a rule-set file (TOML), check every part of it, and report each problem with its place."""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ce_service.identity import region_prefix_error
from ce_service.rules.model import EVERYWHERE, LEVELS, SHARE_BASES, WORKPLACES, Rule

NAME = re.compile(r"^[A-Z][A-Z0-9-]{1,63}$")
SET_NAME = re.compile(r"^[a-z][a-z0-9_-]{1,63}$")
RULE_KEYS = {"name", "region", "from_year", "to_year", "required", "workplace_required", "professional_share",
             "professional_share_of", "recognised_regions", "public_test_hours", "declaration_bar_years", "note"}
TOP_KEYS = {"name", "title", "source", "defaults", "rule"}
MIN_YEAR, MAX_YEAR = 1950, 2200
# A [[rule]] table header line, also with spaces inside the brackets or a comment after it.
RULE_HEADER = re.compile(r"^\s*\[\[\s*rule\s*\]\]\s*(#.*)?$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a rule-set file, and where."""

    place: str
    message: str

    def __str__(self) -> str:
        return f"{self.place}: {self.message}"


@dataclass(frozen=True)
class ParsedRuleSet:
    """A rule-set file that passed every check."""

    name: str
    title: str
    source: str
    rules: tuple[Rule, ...]
    definition: dict[str, Any]  # the normalised content, as stored


class RuleSetInvalid(ValueError):
    """The file has problems; `problems` lists every one of them."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def _half_hours(value: Any, place: str, problems: list[Problem], allow_zero: bool = False) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        problems.append(Problem(place, "must be a number of hours"))
        return None
    if (not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero) or value * 2 != int(value * 2)
            or value > 10_000):
        problems.append(Problem(place, "must be a positive number of hours in steps of 0.5"))
        return None
    return int(value * 2)


def _share(value: Any, place: str, problems: list[Problem]) -> Fraction | None:
    try:
        share = Fraction(str(value)) if not isinstance(value, bool) else None
    except (ValueError, ZeroDivisionError):
        share = None
    if share is None or not 0 <= share <= 1:
        problems.append(Problem(place, 'must be a fraction between 0 and 1, e.g. "2/3" or "0"'))
        return None
    return share


def _year(value: Any, place: str, problems: list[Problem]) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_YEAR <= value <= MAX_YEAR:
        problems.append(Problem(place, f"must be a year between {MIN_YEAR} and {MAX_YEAR}"))
        return None
    return value


def _parse_rule(raw: Any, at: str, defaults: dict[str, Any], set_name: str, version: int,
                problems: list[Problem]) -> Rule | None:
    if not isinstance(raw, dict):
        problems.append(Problem(at, "must be a table"))
        return None
    before = len(problems)
    for key in sorted(set(raw) - RULE_KEYS):
        problems.append(Problem(f"{at}.{key}", "unknown key"))
    merged = {**defaults, **raw}
    name = merged.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        problems.append(Problem(f"{at}.name", "must be upper-case letters, digits and dashes, e.g. GZ-2021-ON"))
    else:
        at = f"{at} ({name})"
    region = merged.get("region")
    if not isinstance(region, str) or (region != EVERYWHERE and region_prefix_error(region)):
        problems.append(Problem(f"{at}.region", "must be a division-code prefix of 2, 4 or 6 digits, e.g. \"52\", "
                                               "or \"*\" for the whole country"))
    from_year = _year(merged.get("from_year"), f"{at}.from_year", problems)
    to_year = _year(merged.get("to_year"), f"{at}.to_year", problems)
    if from_year is not None and to_year is not None and from_year > to_year:
        problems.append(Problem(f"{at}.to_year", "must not be before from_year"))

    required: dict[str, int] = {}
    raw_required = merged.get("required")
    if not isinstance(raw_required, dict):
        problems.append(Problem(f"{at}.required", f"must be a table of hours for each level: {', '.join(LEVELS)}"))
    else:
        for level in LEVELS:
            if level not in raw_required:
                problems.append(Problem(f"{at}.required.{level}", "missing: every level needs its hours"))
            elif (half := _half_hours(raw_required[level], f"{at}.required.{level}", problems)) is not None:
                required[level] = half
        for key in sorted(set(raw_required) - set(LEVELS)):
            problems.append(Problem(f"{at}.required.{key}", f"unknown level (levels: {', '.join(LEVELS)})"))

    workplace_required: dict[str, int] = {}
    raw_workplace = merged.get("workplace_required", {})
    if not isinstance(raw_workplace, dict):
        problems.append(Problem(f"{at}.workplace_required", "must be a table of hours by workplace kind"))
    else:
        for key, value in raw_workplace.items():
            if key not in WORKPLACES:
                problems.append(Problem(f"{at}.workplace_required.{key}",
                                        f"unknown workplace kind (kinds: {', '.join(WORKPLACES)})"))
            elif (half := _half_hours(value, f"{at}.workplace_required.{key}", problems)) is not None:
                workplace_required[key] = half

    share = _share(merged.get("professional_share", "0"), f"{at}.professional_share", problems)
    share_of = merged.get("professional_share_of", "required")
    if share_of not in SHARE_BASES:
        problems.append(Problem(f"{at}.professional_share_of", f"must be one of {', '.join(SHARE_BASES)}"))

    recognised = merged.get("recognised_regions", [])
    if not isinstance(recognised, list) or not all(isinstance(p, str) for p in recognised):
        problems.append(Problem(f"{at}.recognised_regions", 'must be a list of division-code prefixes, or ["*"]'))
        recognised = []
    for i, prefix in enumerate(recognised):
        if prefix != EVERYWHERE and region_prefix_error(prefix):
            problems.append(Problem(f"{at}.recognised_regions[{i}]", f"{prefix!r} is not a division-code prefix"))

    public_test = merged.get("public_test_hours")
    public_test_half = None
    if public_test is not None:
        public_test_half = _half_hours(public_test, f"{at}.public_test_hours", problems)

    bar_years = merged.get("declaration_bar_years")
    if bar_years is not None and (isinstance(bar_years, bool) or not isinstance(bar_years, int)
                                  or not 1 <= bar_years <= 50):
        problems.append(Problem(f"{at}.declaration_bar_years", "must be a whole number of years from 1 to 50"))

    if len(problems) > before:
        return None
    return Rule(
        name=name, set_name=set_name, set_version=version, region=region, from_year=from_year, to_year=to_year,
        required=required, workplace_required=workplace_required, professional_share=share,
        professional_share_of=share_of, recognised_regions=tuple(recognised), public_test_half_hours=public_test_half,
        declaration_bar_years=bar_years,
    )


def _overlap(a: Rule, b: Rule) -> bool:
    lo_a, hi_a = a.from_year or MIN_YEAR, a.to_year or MAX_YEAR
    lo_b, hi_b = b.from_year or MIN_YEAR, b.to_year or MAX_YEAR
    return a.region == b.region and lo_a <= hi_b and lo_b <= hi_a


def check_overlaps(rules: list[Rule], others: tuple[Rule, ...] = ()) -> list[Problem]:
    """Rules of the same region whose years overlap cannot both be in force; a finer region may override."""
    problems = []
    for i, rule in enumerate(rules):
        for other in rules[:i]:
            if _overlap(rule, other):
                problems.append(Problem(f"rule {rule.name}", f"its years overlap rule {other.name} for region {rule.region}"))
        for other in others:
            if other.set_name != rule.set_name and _overlap(rule, other):
                problems.append(Problem(f"rule {rule.name}", f"its years overlap rule {other.name} of rule set "
                                        f"{other.set_name} for region {rule.region}"))
            if other.set_name != rule.set_name and other.name == rule.name:
                problems.append(Problem(f"rule {rule.name}", f"the name is already used in rule set {other.set_name}"))
    return problems


def _with_line(problem: Problem, text: str) -> Problem:
    """Add the line of the [[rule]] table a problem is in, so an editor can jump to it."""
    match = re.match(r"rule\[(\d+)\]", problem.place)
    if not match:
        return problem
    headers = [n for n, line in enumerate(text.splitlines(), 1) if RULE_HEADER.match(line)]
    index = int(match.group(1))
    if index >= len(headers):
        return problem
    return Problem(f"{problem.place} (line {headers[index]})", problem.message)


def parse_rule_set(text: str, version: int = 0, others: tuple[Rule, ...] = ()) -> ParsedRuleSet:
    """Parse and check a rule-set file; raises RuleSetInvalid listing every problem found."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleSetInvalid([Problem("file", f"not valid TOML: {exc}")]) from None
    problems: list[Problem] = []
    for key in sorted(set(doc) - TOP_KEYS):
        problems.append(Problem(key, "unknown key"))
    name, title, source = doc.get("name"), doc.get("title"), doc.get("source", "")
    if not isinstance(name, str) or not SET_NAME.match(name):
        problems.append(Problem("name", "must be a lower-case rule-set name, e.g. guizhou"))
        name = "?"
    if not isinstance(title, str) or not title.strip():
        problems.append(Problem("title", "must be a non-empty string"))
    if not isinstance(source, str):
        problems.append(Problem("source", "must be a string naming the document the rules come from"))
    defaults = doc.get("defaults", {})
    if not isinstance(defaults, dict):
        problems.append(Problem("defaults", "must be a table"))
        defaults = {}
    for key in sorted(set(defaults) - (RULE_KEYS - {"name"})):
        problems.append(Problem(f"defaults.{key}", "unknown key"))
    raw_rules = doc.get("rule", [])
    if not isinstance(raw_rules, list) or not raw_rules:
        problems.append(Problem("rule", "needs at least one [[rule]] table"))
        raw_rules = []
    rules = []
    for i, raw in enumerate(raw_rules):
        rule = _parse_rule(raw, f"rule[{i}]", defaults, name, version, problems)
        if rule is not None:
            rules.append(rule)
    names = [r.name for r in rules]
    for duplicate in sorted({n for n in names if names.count(n) > 1}):
        problems.append(Problem(f"rule {duplicate}", "the name is used more than once"))
    problems.extend(check_overlaps(rules, others))
    if problems:
        raise RuleSetInvalid([_with_line(p, text) for p in problems])
    return ParsedRuleSet(name, title.strip(), source, tuple(rules), {"name": name, "title": title.strip(),
                                                                      "source": source, "rules": [to_json(r) for r in rules]})


def to_json(rule: Rule) -> dict[str, Any]:
    """A rule as stored in rule_sets.definition (hours as half-hours, the share as "a/b")."""
    return {
        "name": rule.name, "region": rule.region, "from_year": rule.from_year, "to_year": rule.to_year,
        "required": rule.required, "workplace_required": rule.workplace_required,
        "professional_share": str(rule.professional_share), "professional_share_of": rule.professional_share_of,
        "recognised_regions": list(rule.recognised_regions), "public_test_half_hours": rule.public_test_half_hours,
        "declaration_bar_years": rule.declaration_bar_years,
    }


def from_json(data: dict[str, Any], set_name: str, version: int) -> Rule:
    """A rule read back from rule_sets.definition."""
    return Rule(
        name=data["name"], set_name=set_name, set_version=version, region=data["region"],
        from_year=data["from_year"], to_year=data["to_year"], required=dict(data["required"]),
        workplace_required=dict(data["workplace_required"]), professional_share=Fraction(data["professional_share"]),
        professional_share_of=data["professional_share_of"], recognised_regions=tuple(data["recognised_regions"]),
        public_test_half_hours=data["public_test_half_hours"],
        declaration_bar_years=data.get("declaration_bar_years"),  # absent in rule sets stored before it existed
    )
