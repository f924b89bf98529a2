"""Test data inserted with SQL (and the service's own token and password functions)."""

from __future__ import annotations

from datetime import date

import asyncpg

from ce_service.auth.secrets import hash_password, new_token, token_hash
from ce_service.identity import make_credit_code, make_national_id

UNIT = make_credit_code("91522601700000000")
OTHER_UNIT = make_credit_code("91420100700000000")
PASSWORD = "correct-horse-battery"


def national_id(sequence: int = 123, region: str = "522601", birth: date = date(1980, 1, 1)) -> str:
    """A valid ID number, different for each sequence."""
    return make_national_id(region, birth, sequence)


async def api_client(db: asyncpg.Connection, kind: str, name: str = "test client") -> str:
    """Store a client of `kind` and return its bearer token."""
    token = new_token()
    await db.execute("insert into api_clients (name, kind, token_hash, token_hint) values ($1, $2, $3, $4)",
                     name, kind, token_hash(token), token[:7])
    return token


async def person(db: asyncpg.Connection, nid: str | None = None, *, name: str = "张三", series: str = "engineering",
                 periods: list[tuple] | None = None) -> int:
    """Store a person with periods (from_year, level, workplace, region, unit); returns the person id."""
    pid = await db.fetchval("insert into persons (national_id, name, series) values ($1, $2, $3) returning id",
                            nid or national_id(), name, series)
    for from_year, level, workplace, region, unit in periods or [(2015, "intermediate", "standard", "522601", UNIT)]:
        await db.execute("insert into person_periods values ($1, $2, $3, $4, $5, $6)",
                         pid, from_year, level, workplace, region, unit)
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
