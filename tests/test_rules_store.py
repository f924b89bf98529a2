"""Rule sets in the database: shipped sets, new versions, overlap across sets, the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ce_service.rules.loader import RuleSetInvalid
from ce_service.rules.store import SHIPPED_DIR, RuleBookCache, load_rule_set, rule_book

GUIZHOU = (SHIPPED_DIR / "guizhou.toml").read_text(encoding="utf-8")


async def test_shipped_sets_are_in_force(db):
    book = await rule_book(db)
    assert book.versions == {"guizhou": 1, "hubei": 1, "national": 1}
    assert book.rule_for("522601", 2019).name == "GZ-2019-AND-EARLIER"
    assert book.rule_for("420106", 2024).name == "HB-2016-ON"
    # Beijing and Yunnan set no rule of their own: the national floor covers them from 2016.
    assert book.rule_for("110105", 2024).name == "CN-2016-ON"
    assert book.rule_for("532930", 2016).name == "CN-2016-ON"
    assert book.rule_for("532930", 2015) is None
    assert book.bar_years("520000", 2024) == 3 and book.bar_years("530000", 2024) == 3


async def test_a_changed_file_becomes_a_new_version_and_a_same_file_does_not(db):
    same = await load_rule_set(db, GUIZHOU, "test")
    assert same.unchanged and same.version == 1
    changed = await load_rule_set(db, GUIZHOU.replace("junior = 32", "junior = 36"), "test")
    assert not changed.unchanged and changed.version == 2
    book = await rule_book(db)
    assert book.versions["guizhou"] == 2 and book.rule_for("522601", 2018).required["junior"] == 72
    assert await db.fetchval("select count(*) from rule_sets where name = 'guizhou'") == 2


async def test_finer_region_overrides_and_same_region_overlap_is_refused(db):
    kaili = """
name = "kaili"
title = "凯里市（示例）"
[[rule]]
name = "KL-2024"
region = "522601"
from_year = 2024
to_year = 2024
required = { senior_full = 100, senior_associate = 100, intermediate = 100, junior = 100 }
"""
    await load_rule_set(db, kaili, "test")
    book = await rule_book(db)
    assert book.rule_for("522601", 2024).name == "KL-2024"
    assert book.rule_for("520102", 2024).name == "GZ-2021-ON"
    clash = kaili.replace('name = "kaili"', 'name = "kaili2"').replace("KL-2024", "KL2-2024")
    with pytest.raises(RuleSetInvalid, match="overlap rule KL-2024 of rule set kaili"):
        await load_rule_set(db, clash, "test")


async def test_cache_sees_a_new_load(db):
    cache = RuleBookCache(seconds=0)
    assert (await cache.current(db)).versions["guizhou"] == 1
    await load_rule_set(db, GUIZHOU.replace("junior = 32", "junior = 34"), "test")
    assert (await cache.current(db)).versions["guizhou"] == 2


def _cli(data: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CE_")}
    env["CE_DATA_DIR"] = str(data)
    return subprocess.run([sys.executable, "-m", "ce_service", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def test_rules_load_reports_every_problem_with_its_place(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text(GUIZHOU.replace("junior = 32", "junior = -1").replace('professional_share = "2/3"',
                                                                          'professional_share = "3/2"'), encoding="utf-8")
    result = _cli(tmp_path / "data", "rules", "load", str(bad))
    assert result.returncode == 1
    assert "bad.toml has 2 problem(s); nothing was loaded" in result.stderr
    assert "rule[0] (GZ-2019-AND-EARLIER).required.junior (line" in result.stderr
    assert "rule[2] (GZ-2021-ON).professional_share" in result.stderr
    good = tmp_path / "guizhou.toml"
    good.write_text(GUIZHOU.replace("junior = 32", "junior = 33"), encoding="utf-8")
    loaded = _cli(tmp_path / "data", "rules", "load", str(good))
    assert loaded.returncode == 0 and "loaded rule set guizhou version 2" in loaded.stdout
    listed = _cli(tmp_path / "data", "rules", "list")
    assert "guizhou" in listed.stdout and "v2" in listed.stdout and "hubei" in listed.stdout
