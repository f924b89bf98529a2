"""The title series (职称系列): listed and extended by administrators."""

from __future__ import annotations

import re
import unicodedata

import asyncpg

from ce_service.errors import Conflict, FieldError, Invalid
from ce_service.people import queries as q

CODE = re.compile(r"[a-z][a-z0-9_]{1,39}")
MAX_NAME = 40


async def list_series(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every series (code, Chinese name) with how many people are registered in it, by code."""
    return await conn.fetch(q.SERIES_WITH_PEOPLE)


async def add_series(conn: asyncpg.Connection, code: str, name_zh: str) -> None:
    """Add a series; a code or a name already there is refused (409), nothing is renamed."""
    errors = []
    if not CODE.fullmatch(code):
        errors.append(FieldError("code", "must be 2 to 40 lower-case ASCII letters, digits or _, from a letter",
                                 code="bad_series_code"))
    name_zh = name_zh.strip()
    if not name_zh:
        errors.append(FieldError("name_zh", "must not be blank", code="required"))
    elif len(name_zh) > MAX_NAME:
        errors.append(FieldError("name_zh", f"must be at most {MAX_NAME} characters", code="too_long",
                                 params={"max": MAX_NAME}))
    elif any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name_zh):
        # Control and format characters (NUL, newlines, zero-width, bidi overrides) would make a name
        # that looks like another one, or garble every list it is shown in.
        errors.append(FieldError("name_zh", "must not contain control or invisible formatting characters",
                                 code="control_character"))
    if errors:
        raise Invalid.of(errors)
    async with conn.transaction():
        if (same := await conn.fetchrow(q.SERIES_SAME_CODE_OR_NAME, code, name_zh)) is not None:
            raise Conflict(f"series {same['code']} ({same['name_zh']}) already exists; nothing was changed")
        if await conn.fetchval(q.INSERT_SERIES, code, name_zh) is None:
            raise Conflict(f"series {code} already exists; nothing was changed")
