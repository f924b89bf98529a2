"""One course, two records: a self-logged one and an official one (provider, platform, HR, import).

Once the official record is registered it counts, and the self-logged one, if not yet registered, is
marked superseded with a pointer to it, whichever arrived first, so the same course never counts
twice. A registered own record is never taken away by a later arrival: the pair is flagged for a
reviewer instead. Both directions run under the person's advisory lock (taken by intake, by
submitting and by reviewers' decisions), so two arrivals cannot miss each other.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any, NamedTuple

import asyncpg

from ce_service import words
from ce_service.hours import to_hours
from ce_service.records import queries as q
from ce_service.records import transitions

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
    """Same completion date and hours, and the same course code or a similar title.

    A code alone is not enough: a 0.5 h record that shares a code with a 40 h one is another course
    (or a mistake), and must not take the 40 h away.
    """
    if official.completed_on != own.completed_on or official.half_hours != own.half_hours:
        return False
    if _code(official.course_code) and _code(official.course_code) == _code(own.course_code):
        return True
    return similar_titles(official.course_title, own.course_title)


def _reason(official: Any) -> str:
    who = official["o_provider"] or words.SOURCE.get(official["o_source"], official["o_source"])
    return (f"与{words.SOURCE.get(official['o_source'], '官方')}记录重复（{who}，{official['o_completed_on']:%Y-%m-%d}，"
            f"{to_hours(official['o_half_hours'])} 学时，《{official['o_course_title']}》），以该记录为准")


FLAGGED = "本人登记的记录已登记，与官方记录疑似同一课程，请审核人员核实"


async def _supersede(conn: asyncpg.Connection, pairs: list[tuple[Any, Any]]) -> int:
    """Supersede each (own row, official row) pair, or flag it when the own record is registered already."""
    superseded = 0
    for own, official in pairs:
        reason = _reason(official)
        if own["status"] in transitions.SUPERSEDABLE:
            await transitions.supersede(conn, own["id"], own["status"], official["official_id"], reason)
            superseded += 1
        else:
            await conn.execute(q.FLAG_DUPLICATE, own["id"], official["official_id"], f"{FLAGGED}：{reason}")
    return superseded


def _course(row: Any, prefix: str = "") -> Course:
    return Course(row[prefix + "course_code"], row[prefix + "completed_on"], row[prefix + "half_hours"],
                  row[prefix + "course_title"])


async def supersede_by_official(conn: asyncpg.Connection, official_ids: list[Any]) -> int:
    """Supersede (or flag) the self-logged records these registered official records duplicate; returns how many."""
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
    """Mark this self-logged record superseded if a registered official record of the same course exists."""
    for row in await conn.fetch(q.OFFICIAL_DUPLICATE_CANDIDATES, record_id):
        if same_course(_course(row, "o_"), _course(row)):
            return await _supersede(conn, [(row, row)]) > 0
    return False


async def restore_superseded(conn: asyncpg.Connection, official_id: Any, why: str) -> int:
    """Give back the own records an official record superseded, now that it no longer counts; returns how many.

    Each is looked at again at once: another registered official record of the same course may be
    there by now, and then it takes the place (or, for a registered own record, the pair is flagged).
    """
    restored = await transitions.restore_superseded(conn, official_id, why)
    for record_id in restored:
        await supersede_if_official(conn, record_id)
    return len(restored)
