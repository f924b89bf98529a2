"""Employer units (用人单位), personnel agencies and industry departments, managed by administrators."""

from __future__ import annotations

import asyncpg

from ce_service.errors import FieldError, Invalid
from ce_service.identity import credit_code_error, region_error
from ce_service.people import queries as q

UNIT_KINDS = ("government", "public_institution", "enterprise", "private", "social_org", "other")
# Organisations that vouch for people without an employer unit (a period's `agency`).
AGENCY_KINDS = ("agency", "industry")


async def save_unit(conn: asyncpg.Connection, code: str, name: str, kind: str, region: str, department: str = "") -> None:
    """Add a unit (or an agency, an industry department) or update its name, kind, region and department."""
    errors = []
    if message := credit_code_error(code):
        errors.append(FieldError("code", message, code="bad_credit_code"))
    if not name.strip():
        errors.append(FieldError("name", "must not be blank", code="required"))
    if kind not in (*UNIT_KINDS, *AGENCY_KINDS):
        errors.append(FieldError("kind", f"must be one of {', '.join((*UNIT_KINDS, *AGENCY_KINDS))}", code="one_of",
                                 params={"choices": ", ".join((*UNIT_KINDS, *AGENCY_KINDS))}))
    if message := region_error(region):
        errors.append(FieldError("region", message, code="bad_region"))
    if errors:
        raise Invalid.of(errors)
    async with conn.transaction():
        before = await conn.fetchrow(q.UNIT_KIND_IN_USE, code)
        # People's periods say which kind of organisation vouches for them (their affiliation): an
        # employer cannot become an agency, or the reverse, under people who name it.
        if before and before["in_use"] and affiliation_of(before["kind"]) != affiliation_of(kind):
            raise Invalid.field("kind", f"people's periods name this organisation as their "
                                        f"{affiliation_of(before['kind'])}: it cannot change to a kind of "
                                        f"{affiliation_of(kind)} while they do", code="kind_in_use")
        await conn.execute(q.UPSERT_UNIT, code, name.strip(), kind, region, department.strip())


def affiliation_of(kind: str) -> str:
    """What a period naming an organisation of this kind records: unit, agency or industry."""
    return kind if kind in AGENCY_KINDS else "unit"
