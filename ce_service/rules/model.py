"""The shape of rules once loaded: plain frozen data, amounts in half-hours."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

LEVELS = ("senior_full", "senior_associate", "intermediate", "junior")
WORKPLACES = ("standard", "grassroots", "private")
SHARE_BASES = ("required", "registered")
EVERYWHERE = "*"


@dataclass(frozen=True)
class Rule:
    """One yearly requirement for a region and a range of years."""

    name: str
    set_name: str
    set_version: int
    region: str                         # division-code prefix: "52" (province) … "522601"; "*": the whole country
    from_year: int | None               # None: open towards the past
    to_year: int | None                 # None: open towards the future
    required: dict[str, int]            # level -> half-hours
    workplace_required: dict[str, int]  # workplace kind -> half-hours, replacing `required` for any level
    professional_share: Fraction        # professional hours must be at least this share …
    professional_share_of: str          # … of the "required" total, or of the "registered" total
    recognised_regions: tuple[str, ...]  # prefixes whose hours count here; "*" for everywhere
    public_test_half_hours: int | None  # hours credited for passing the public-subject test
    declaration_bar_years: int | None = None  # years an integrity entry that bars declaration runs

    @property
    def specificity(self) -> int:
        """Longer region prefixes are more specific and win over shorter ones; the country is least specific."""
        return 0 if self.region == EVERYWHERE else len(self.region)

    def covers(self, region: str, year: int) -> bool:
        """True when this rule applies to a person in `region` in `year`."""
        return ((self.region == EVERYWHERE or region.startswith(self.region))
                and (self.from_year is None or year >= self.from_year)
                and (self.to_year is None or year <= self.to_year))

    def recognises(self, region: str) -> bool:
        """True when hours earned in `region` count under this rule (its own region always does)."""
        return (self.region == EVERYWHERE or region.startswith(self.region)
                or any(p == EVERYWHERE or region.startswith(p) for p in self.recognised_regions))


@dataclass(frozen=True)
class RuleBook:
    """Every rule in force, from the newest version of each rule set."""

    rules: tuple[Rule, ...]
    versions: dict[str, int]  # rule-set name -> version in force
    # (region, year) -> rule: a book never changes, so each answer is worked out once.
    _memo: dict[tuple[str, int], "Rule | None"] = field(default_factory=dict, compare=False, repr=False)

    def rule_for(self, region: str, year: int) -> Rule | None:
        """The most specific rule covering region and year (load-time checks make it unique)."""
        key = (region, year)
        if key not in self._memo:
            self._memo[key] = self._find(region, year)
        return self._memo[key]

    def bar_years(self, region: str, year: int) -> int | None:
        """How many years an entry that bars declaration runs: the most specific covering rule that says."""
        best = None
        for rule in self.rules:
            if (rule.declaration_bar_years is not None and rule.covers(region, year)
                    and (best is None or rule.specificity > best.specificity)):
                best = rule
        return best.declaration_bar_years if best else None

    def _find(self, region: str, year: int) -> Rule | None:
        best = None
        for rule in self.rules:
            if rule.covers(region, year) and (best is None or rule.specificity > best.specificity):
                best = rule
        return best
