"""One course, two records: a self-logged one and an official one (provider, platform, HR, import).

The official record counts; the self-logged one is marked superseded with a pointer to it, whichever
arrived first, so the same course never counts twice. Both directions run under the person's
advisory lock (taken by intake and by submitting), so two arrivals cannot miss each other.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any, NamedTuple

import asyncpg

from ce_service.hours import to_hours
from ce_service.records import queries as q

SOURCE_ZH = {"provider": "培训机构", "platform": "继续教育平台", "hr": "人社部门", "import": "批量导入"}
TITLE_SIMILARITY = 0.6


class Course(NamedTuple):
    """What tells two records of one person, year and category apart."""

    course_code: str | None
    completed_on: date
    half_hours: int
    course_title: str


def normalise_title(title: str) -> str:
    """Case-folded, without spaces and punctuation: 《建筑结构》抗震 设计 → 建筑结构抗震设计."""
    return "".join(c for c in unicodedata.normalize("NFKC", title).casefold()
                   if unicodedata.category(c)[0] not in "PZSC")


def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)} or {text}


def similar_titles(a: str, b: str) -> bool:
    """True when two course titles plausibly name the same course (Dice coefficient of character pairs)."""
    x, y = normalise_title(a), normalise_title(b)
    if not x or not y:
        return False
    if x == y:
        return True
    bx, by = _bigrams(x), _bigrams(y)
    return 2 * len(bx & by) / (len(bx) + len(by)) >= TITLE_SIMILARITY


def _code(value: str | None) -> str:
    return normalise_title(value or "")


def same_course(official: Course, own: Course) -> bool:
    """Same course code, or same completion date and hours with a similar title."""
    if _code(official.course_code) and _code(official.course_code) == _code(own.course_code):
        return True
    return (official.completed_on == own.completed_on and official.half_hours == own.half_hours
            and similar_titles(official.course_title, own.course_title))


def _reason(official: Any) -> str:
    who = official["o_provider"] or SOURCE_ZH.get(official["o_source"], official["o_source"])
    return (f"与{SOURCE_ZH.get(official['o_source'], '官方')}记录重复（{who}，{official['o_completed_on']:%Y-%m-%d}，"
            f"{to_hours(official['o_half_hours'])} 学时，《{official['o_course_title']}》），以该记录为准")


async def _supersede(conn: asyncpg.Connection, pairs: list[tuple[Any, Any]]) -> int:
    """Mark each (self-logged row, official row) pair superseded, with an event saying why."""
    for own, official in pairs:
        reason = _reason(official)
        await conn.execute(q.SUPERSEDE, own["id"], official["official_id"], reason)
        await conn.execute(q.INSERT_EVENT_NOW, own["id"], "system", None, "系统", "system", "", "supersede",
                           own["status"], "superseded", f"{reason}: {official['official_id']}")
    return len(pairs)


def _course(row: Any, prefix: str = "") -> Course:
    return Course(row[prefix + "course_code"], row[prefix + "completed_on"], row[prefix + "half_hours"],
                  row[prefix + "course_title"])


async def supersede_by_official(conn: asyncpg.Connection, official_ids: list[Any]) -> int:
    """Mark superseded the self-logged records these new official records duplicate; returns how many."""
    if not official_ids:
        return 0
    rows = await conn.fetch(q.SELF_DUPLICATE_CANDIDATES, official_ids)
    pairs, taken = [], set()
    for row in rows:
        if row["id"] not in taken and same_course(_course(row, "o_"), _course(row)):
            taken.add(row["id"])
            pairs.append((row, row))
    return await _supersede(conn, pairs)


async def supersede_if_official(conn: asyncpg.Connection, record_id: Any) -> bool:
    """Mark this self-logged record superseded if an official record of the same course exists."""
    for row in await conn.fetch(q.OFFICIAL_DUPLICATE_CANDIDATES, record_id):
        if same_course(_course(row, "o_"), _course(row)):
            await _supersede(conn, [(row, row)])
            return True
    return False


RESTORED = "官方记录未通过审核，恢复本人登记的记录"


async def restore_superseded(conn: asyncpg.Connection, official_id: Any) -> int:
    """Put back the self-logged records an official record superseded, now that it was returned; returns how many.

    An official record waiting for verification supersedes at once; if a reviewer then returns it,
    the person's own record must count (or wait) again instead of nothing counting.
    """
    rows = await conn.fetch(q.SUPERSEDED_BY, official_id)
    for row in rows:
        previous = row["previous"] or "submitted"
        await conn.execute(q.RESTORE, row["id"], previous)
        await conn.execute(q.INSERT_EVENT_NOW, row["id"], "system", None, "系统", "system", "", "restore",
                           "superseded", previous, f"{RESTORED}: {official_id}")
    return len(rows)
