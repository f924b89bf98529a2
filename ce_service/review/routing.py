"""The routing table as administrators see and change it (the database applies it: route_for)."""

from __future__ import annotations

import asyncpg

from ce_service.errors import FieldError, Invalid
from ce_service.identity import region_prefix_error
from ce_service.review import queries as q

SOURCES = ("self", "provider", "platform", "import", "recognised", "hr")
AFFILIATIONS = ("unit", "agency", "industry")


async def routing_table(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every routing rule, most general first."""
    return await conn.fetch(q.ROUTING_RULES)


async def set_route(conn: asyncpg.Connection, source: str, series: str | None, region_prefix: str,
                    steps: list[str], note: str = "", affiliation: str | None = None) -> None:
    """Add or replace the rule for (source, series, affiliation, region); records submitted from now on follow it."""
    errors = []
    if source not in SOURCES:
        errors.append(FieldError("source", f"must be one of {', '.join(SOURCES)}", code="one_of",
                                 params={"choices": ", ".join(SOURCES)}))
    if series is not None and not await conn.fetchval(q.SERIES_EXISTS, series):
        errors.append(FieldError("series", f"unknown series code {series!r}", code="unknown_series"))
    if affiliation is not None and affiliation not in AFFILIATIONS:
        errors.append(FieldError("affiliation", f"must be one of {', '.join(AFFILIATIONS)}", code="one_of",
                                 params={"choices": ", ".join(AFFILIATIONS)}))
    if region_prefix and (message := region_prefix_error(region_prefix)):
        errors.append(FieldError("region", message, code="bad_region_prefix"))
    kinds = {r["code"] for r in await conn.fetch(q.VERIFIER_KINDS)}
    for step in steps:
        if step not in kinds:
            errors.append(FieldError("steps", f"{step!r} is not a verifier kind ({', '.join(sorted(kinds))})",
                                     code="one_of", params={"choices": ", ".join(sorted(kinds))}))
    if len(set(steps)) != len(steps):
        errors.append(FieldError("steps", "a verifier kind may appear only once", code="repeated"))
    if errors:
        raise Invalid.of(errors)
    await conn.execute(q.UPSERT_ROUTING_RULE, source, series, region_prefix, steps, note, affiliation)
