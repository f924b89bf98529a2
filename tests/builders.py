"""Test data inserted with SQL (and the service's own token and password functions)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import asyncpg

from ce_service.auth.secrets import hash_password, new_token, token_hash
from ce_service.identity import make_credit_code, make_national_id

UNIT = make_credit_code("91522601700000000")
OTHER_UNIT = make_credit_code("91420100700000000")
PASSWORD = "correct-horse-battery"


def national_id(sequence: int = 123, region: str = "522601", birth: date = date(1980, 1, 1)) -> str:
    """A valid ID number, different for each sequence (past 999 the birth date moves on)."""
    return make_national_id(region, birth + timedelta(days=sequence // 1000), sequence % 1000)


async def api_client(db: asyncpg.Connection, kind: str, name: str = "test client") -> str:
    """Store a client of `kind` and return its bearer token."""
    token = new_token()
    await db.execute("insert into api_clients (name, kind, token_hash, token_hint) values ($1, $2, $3, $4)",
                     name, kind, token_hash(token), token[:7])
    return token


async def person(db: asyncpg.Connection, nid: str | None = None, *, name: str = "张三", series: str = "engineering",
                 periods: list[tuple] | None = None) -> int:
    """Store a person with periods (from_year, level, workplace, region, unit[, affiliation]); returns the person id."""
    pid = await db.fetchval("insert into persons (national_id, name, series) values ($1, $2, $3) returning id",
                            nid or national_id(), name, series)
    for from_year, level, workplace, region, unit, *affiliation in periods or [
            (2015, "intermediate", "standard", "522601", UNIT)]:
        await db.execute("insert into person_periods (person_id, from_year, level, workplace, region, unit_code,"
                         " affiliation) values ($1, $2, $3, $4, $5, $6, $7)",
                         pid, from_year, level, workplace, region, unit, *(affiliation or ["unit"]))
    return pid


async def user(db: asyncpg.Connection, username: str, role: str, *, person_id: int | None = None,
               unit_code: str | None = None, region_prefix: str | None = None) -> int:
    """Store a user whose password is PASSWORD."""
    return await db.fetchval(
        "insert into users (username, display_name, role, person_id, unit_code, region_prefix, password_hash)"
        " values ($1, $1, $2, $3, $4, $5, $6) returning id",
        username, role, person_id, unit_code, region_prefix, hash_password(PASSWORD))


async def sign_in(api, username: str) -> dict[str, str]:
    """Sign in through the API; returns the headers a write needs (the cookie stays in the client)."""
    response = await api.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}


async def record(db: asyncpg.Connection, person_id: int, year: int, category: str, hours: float, *,
                 history: list[tuple[str, datetime]] | None = None, region_earned: str | None = None,
                 source: str = "self") -> str:
    """Store a record whose events are `history` [(status, at), …] (default: registered a year after `year` began)."""
    history = history or [("registered", datetime(year, 12, 1, tzinfo=timezone.utc))]
    final, last_at = history[-1]
    rid = await db.fetchval(
        "insert into records (person_id, year, category, half_hours, course_title, completed_on, region_earned, source,"
        " status, created_at, updated_at, registered_at, revoked_at) values ($1, $2, $3, $4, '课程', $5, $6, $7, $8,"
        " $9, $10, $11, $12) returning id",
        person_id, year, category, int(hours * 2), date(year, 3, 1), region_earned, source, final, history[0][1], last_at,
        next((at for s, at in history if s == "registered"), None), next((at for s, at in history if s == "revoked"), None))
    previous = None
    for status, at in history:
        await db.execute("insert into record_events (record_id, at, actor_kind, actor_name, role, action, from_status,"
                         " to_status) values ($1, $2, 'system', 'test', 'system', 'test', $3, $4)", rid, at, previous, status)
        previous = status
    return str(rid)
