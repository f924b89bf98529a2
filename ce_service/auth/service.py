"""Creating clients and users, checking tokens and passwords, opening and closing sessions."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple

import asyncpg

from ce_service import clock
from ce_service.auth import queries as q
from ce_service.auth.limits import (  # noqa: F401 (the limits, named here too)
    KNOWN_DEVICE_SECONDS,
    LOGIN_FAILURES_PER_ACCOUNT,
    LOGIN_FAILURES_PER_ADDRESS,
    LOGIN_FAILURES_PER_NAME,
    LOGIN_WINDOW_SECONDS,
    AttemptsLeft,
    SignInCounters,
    SignInPaused,
    check_sign_in,
    count_sign_in_failure,
    count_sign_in_success,
)
from ce_service.auth.models import BASE_ROLES, CLIENT_KINDS, ApiClient, User
from ce_service.auth.secrets import (
    hash_password,
    known_device,
    new_token,
    remember_device,
    token_hash,
    verify_password,
)
from ce_service.errors import FieldError, Invalid, Unauthorized
from ce_service.identity import credit_code_error, national_id_error, region_prefix_error

MIN_PASSWORD_LENGTH = 8


async def create_client(conn: asyncpg.Connection, name: str, kind: str, regions: list[str] | None = None,
                        requests_per_second: int | None = None) -> tuple[int, str]:
    """Store a new API client and return its id and its token (shown once, never stored)."""
    errors = []
    if message := _rate_error(requests_per_second):
        errors.append(FieldError("requests_per_second", message))
    if not name.strip():
        errors.append(FieldError("name", "must not be empty"))
    if kind not in CLIENT_KINDS:
        errors.append(FieldError("kind", f"must be one of {', '.join(CLIENT_KINDS)}"))
    for region in regions or []:
        if message := region_prefix_error(region):
            errors.append(FieldError("regions", f"{region}: {message}"))
    if errors:
        raise Invalid.of(errors)
    token = new_token()
    client_id = await conn.fetchval(q.INSERT_CLIENT, name.strip(), kind, token_hash(token), token[:7], regions or [],
                                    requests_per_second)
    return client_id, token


async def rotate_token(conn: asyncpg.Connection, client_id: int) -> str:
    """Replace a client's token (the old one stops working); returns the new one, shown once."""
    token = new_token()
    if await conn.fetchval(q.ROTATE_TOKEN, client_id, token_hash(token), token[:7]) is None:
        raise Invalid.field("id", f"no active client with id {client_id}")
    return token


async def client_for_token(conn: asyncpg.Connection, token: str) -> ApiClient | None:
    """The active client holding this bearer token, if any."""
    row = await conn.fetchrow(q.CLIENT_BY_TOKEN, token_hash(token))
    return ApiClient(row["id"], row["name"], row["kind"], list(row["regions"]), row["requests_per_second"]) if row else None


def _rate_error(requests_per_second: int | None) -> str | None:
    """Why a client's own limit is not acceptable, if it is not."""
    if requests_per_second is not None and requests_per_second < 1:
        return "must be at least 1 (or absent for the service default)"
    return None


async def set_rate(conn: asyncpg.Connection, client_id: int, requests_per_second: int | None) -> None:
    """Give a client its own requests-per-second limit (None: back to the service default)."""
    if message := _rate_error(requests_per_second):
        raise Invalid.field("requests_per_second", message)
    if await conn.execute(q.SET_CLIENT_RATE, client_id, requests_per_second) == "UPDATE 0":
        raise Invalid.field("id", f"no active client with id {client_id}")


class ClientCache:
    """Token -> client for `seconds`, so a burst of machine requests costs one lookup per token.

    A revoked token keeps working in a process for at most `seconds` after revocation.
    """

    def __init__(self, seconds: float, max_entries: int = 10_000) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, ApiClient | None]] = {}

    async def client(self, conn_source, token: str) -> ApiClient | None:
        """The client for a token, from the cache or looked up with a connection from `conn_source` (a pool)."""
        now = time.monotonic()
        hit = self._entries.get(token)
        if hit is not None and hit[0] > now:
            return hit[1]
        async with conn_source.acquire() as conn:
            client = await client_for_token(conn, token)
        # Only real clients are remembered, so random tokens cannot crowd them out.
        if client is not None and self.seconds > 0:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()  # bounded; the real clients come back within one request each
            self._entries[token] = (now + self.seconds, client)
        return client


async def create_user(
    conn: asyncpg.Connection, *, username: str, display_name: str, role: str, password: str,
    national_id: str | None = None, unit_code: str | None = None, region_prefix: str | None = None,
) -> int:
    """Store a user bound to the scope of their role; errors name the offending option."""
    errors: list[FieldError] = []
    if not username.strip() or len(username) > 64:
        errors.append(FieldError("username", "must be 1 to 64 characters"))
    # Reviewer roles, and whether they are bound to a unit or a region, come from verifier_kinds.
    scope = {r["role"]: r["scope"] for r in await conn.fetch(q.REVIEWER_ROLES)}
    if role not in (*BASE_ROLES, *scope):
        errors.append(FieldError("role", f"must be one of {', '.join((*BASE_ROLES, *sorted(scope)))}"))
    if len(password) < MIN_PASSWORD_LENGTH:
        errors.append(FieldError("password", f"must be at least {MIN_PASSWORD_LENGTH} characters"))
    person_id = None
    if role == "professional":
        if not national_id:
            errors.append(FieldError("national_id", "a professional is bound to a person: give their ID number"))
        elif message := national_id_error(national_id):
            errors.append(FieldError("national_id", message))
        else:
            person_id = await conn.fetchval(q.PERSON_ID_BY_NATIONAL_ID, national_id)
            if person_id is None:
                errors.append(FieldError("national_id", "no person with this ID number in the registry"))
    if scope.get(role) == "unit":
        if not unit_code:
            errors.append(FieldError("unit", f"a {role} is bound to a unit: give its credit code"))
        elif message := credit_code_error(unit_code):
            errors.append(FieldError("unit", message))
    if scope.get(role) == "region":
        if not region_prefix:
            errors.append(FieldError("region", f"a {role} is bound to a region prefix (52, 5226, 522601)"))
        elif message := region_prefix_error(region_prefix):
            errors.append(FieldError("region", message))
    if errors:
        raise Invalid.of(errors)
    try:
        return await conn.fetchval(
            q.INSERT_USER, username.strip(), display_name.strip() or username.strip(), role, person_id,
            unit_code if scope.get(role) == "unit" else None,
            region_prefix if scope.get(role) == "region" else None,
            hash_password(password),
        )
    except asyncpg.UniqueViolationError as exc:
        field = "national_id" if "person" in (exc.constraint_name or "") else "username"
        raise Invalid.field(field, "already has an account") from None


def _account_key(row: asyncpg.Record | None, username: str) -> str:
    """One counter per account, whichever alias (username, ID number with x or X) was typed."""
    if row is not None:
        return f"user:{row['id']}"
    counted = username.upper() if len(username) == 18 else username
    return "name:" + hashlib.sha256(counted.encode()).hexdigest()[:32]


class WrongPassword(Unauthorized):
    """A failed sign-in (unknown user or wrong password alike), with what is left to this browser."""

    def __init__(self, left: AttemptsLeft) -> None:
        super().__init__("Wrong username or password.")
        self.left = left


class SignIn(NamedTuple):
    """A successful sign-in: the session token, the user, and the known-device cookie to give the browser."""

    token: str
    user: User
    device: str


async def sign_in(conn: asyncpg.Connection, redis, username: str, password: str, address: str, session_hours: int,
                  *, secret_key: str, device: str | None = None, now: Callable[[], datetime] = clock.now) -> SignIn:
    """Check a password and open a session; the same answer for an unknown user and a wrong password.

    Failed attempts are counted in Redis per (account, address), per address and per account: past the
    first two limits, 429 for that address until the window ends, so passwords (and professionals'
    semi-public ID numbers) cannot be guessed from one address, and nobody elsewhere can lock the owner
    out. Past the account's own limit (guesses from many addresses together), 429 for everyone except a
    browser that shows a known-device cookie of the account (`device`, given at a successful sign-in) and
    an address the account signed in from lately: the owner still gets in, a botnet gets no further.
    """
    username = username.strip()
    # No account's name holds a NUL (PostgreSQL text cannot): such a guess is a wrong one, counted like any other.
    possible = "\x00" not in username
    row = await conn.fetchrow(q.USER_BY_USERNAME, username) if possible else None
    if row is None and possible and len(username) == 18:
        row = await conn.fetchrow(q.USER_BY_NATIONAL_ID, username.upper())
    counters = SignInCounters.of(_account_key(row, username), address)
    at = int(now().timestamp())
    known = bool(secret_key) and row is not None and known_device(secret_key, device, row["id"], row["password_hash"], at,
                                             KNOWN_DEVICE_SECONDS)
    await check_sign_in(redis, counters, known)
    if not verify_password(row["password_hash"] if row else None, password) or row is None:
        raise WrongPassword(await count_sign_in_failure(redis, counters, known))
    await count_sign_in_success(redis, counters)
    token = new_token()
    await conn.execute(q.INSERT_SESSION, token_hash(token), row["id"], session_hours)
    return SignIn(token, _user(row), remember_device(secret_key, device, row["id"], row["password_hash"], at,
                                                     KNOWN_DEVICE_SECONDS))


async def login(conn: asyncpg.Connection, redis, username: str, password: str, address: str,
                session_hours: int) -> tuple[str, User]:
    """sign_in() for callers that keep no known-device cookie: (session token, user)."""
    signed = await sign_in(conn, redis, username, password, address, session_hours, secret_key="")
    return signed.token, signed.user


async def set_user_state(conn: asyncpg.Connection, username: str, action: str,
                         password: str | None = None) -> str:
    """disable, enable, reset-password or end-sessions for a user; returns what was done, in words."""
    row = await conn.fetchrow(q.USER_ID_BY_USERNAME, username)
    if row is None:
        raise Invalid.field("username", "no such user")
    async with conn.transaction():
        if action == "disable":
            await conn.execute(q.DISABLE_USER, row["id"])
        elif action == "enable":
            await conn.execute(q.ENABLE_USER, row["id"])
        elif action == "reset-password":
            if password is None or len(password) < MIN_PASSWORD_LENGTH:
                raise Invalid.field("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
            await conn.execute(q.SET_PASSWORD_BY_ID, row["id"], hash_password(password))
        elif action != "end-sessions":
            raise Invalid.field("action", "must be disable, enable, reset-password or end-sessions")
        # Every change of who may sign in, or with what, ends the sessions already open.
        ended = await conn.fetchval(q.END_SESSIONS, row["id"])
    return {"disable": "disabled", "enable": "enabled", "reset-password": "set a new password for",
            "end-sessions": "ended the sessions of"}[action] + f" {username} ({ended} session(s) ended)"


async def user_for_session(conn: asyncpg.Connection, token: str) -> User | None:
    """The user of a live session, if the token names one."""
    row = await conn.fetchrow(q.USER_BY_SESSION, token_hash(token))
    return _user(row) if row else None


async def logout(conn: asyncpg.Connection, token: str) -> None:
    """End a session."""
    await conn.execute(q.DELETE_SESSION, token_hash(token))


def _user(row: asyncpg.Record) -> User:
    return User(row["id"], row["username"], row["display_name"], row["role"], row["person_id"],
                row["unit_code"], row["region_prefix"])
