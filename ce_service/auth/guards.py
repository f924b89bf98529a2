"""Route guards: who may call what. Guards run before the body is read, so 401/403 come first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import Provide
from litestar.handlers.base import BaseRouteHandler

from ce_service.auth import service
from ce_service.auth.models import BASE_ROLES, ApiClient, User
from ce_service.auth.secrets import csrf_matches
from ce_service.errors import Forbidden, Unauthorized

SESSION_COOKIE = "ce_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="ce-service"'}

Guard = Callable[[ASGIConnection, BaseRouteHandler], Any]


def bearer_token(connection: ASGIConnection) -> str | None:
    """The token of an `Authorization: Bearer …` header, if present."""
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def machine_client(*kinds: str) -> Guard:
    """A guard admitting API clients of the given kinds (401 unknown token, 403 wrong kind)."""

    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        token = bearer_token(connection)
        if token is None:
            raise Unauthorized("Send an API token as 'Authorization: Bearer <token>'.", headers=BEARER_CHALLENGE)
        client = await connection.app.state.clients.client(connection.app.state.pool, token)
        if client is None:
            raise Unauthorized("Unknown or revoked API token.",
                               headers={"WWW-Authenticate": 'Bearer realm="ce-service", error="invalid_token"'})
        if client.kind not in kinds:
            raise Forbidden(f"A {client.kind} client may not call this; it needs a {' or '.join(kinds)} client.")
        await connection.app.state.limiter.admit(client.id, client.requests_per_second)
        connection.state.client = client

    return guard


def signed_in(*roles: str) -> Guard:
    """A guard admitting signed-in users of the given roles (any role when none are given).

    Writes with a session cookie must carry the session's CSRF token in the X-CSRF-Token header.
    """

    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        token = connection.cookies.get(SESSION_COOKIE)
        if not token:
            raise Unauthorized("Sign in first.")
        async with connection.app.state.pool.acquire() as conn:
            user = await service.user_for_session(conn, token)
        if user is None:
            raise Unauthorized("Your session has ended; sign in again.")
        if roles and user.role not in roles:
            raise Forbidden("Your role may not do this.")
        if connection.method not in SAFE_METHODS:
            presented = connection.headers.get(CSRF_HEADER, "")
            if not presented or not csrf_matches(connection.app.state.settings.secret_key, token, presented):
                raise Forbidden("Missing or wrong CSRF token: send the X-CSRF-Token header given at sign-in.")
        connection.state.user = user
        connection.state.session_token = token

    return guard


def _signed_in_and(refusal: Callable[[User], str | None]) -> Guard:
    """A guard admitting signed-in users for whom `refusal` gives no reason to refuse (403 with it)."""
    check = signed_in()

    async def guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
        await check(connection, handler)
        if reason := refusal(connection.state.user):
            raise Forbidden(reason)

    return guard


def reviewer(*, departments_only: bool = False) -> Guard:
    """A guard admitting reviewers: any role a verifier kind names (roles are checked against them when
    users are made). departments_only: region-bound reviewers (HR, health and the like), not units.

    The services check the verifier kind again; this guard makes the refusal come before the body is read.
    """

    def refusal(user: User) -> str | None:
        if user.role in BASE_ROLES:
            return "Only reviewers may do this."
        if departments_only and user.region_prefix is None:
            return "Only departments (HR, health and the like) may do this, not units."
        return None

    return _signed_in_and(refusal)


def client_or_reviewer(*kinds: str, departments_only: bool = False) -> Guard:
    """A guard admitting machine clients of `kinds` (bearer token) or signed-in reviewers (session cookie)."""
    as_client, as_reviewer = machine_client(*kinds), reviewer(departments_only=departments_only)

    async def guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
        if bearer_token(connection) is None and connection.cookies.get(SESSION_COOKIE):
            await as_reviewer(connection, handler)
        else:
            await as_client(connection, handler)

    return guard


def staff() -> Guard:
    """A guard admitting reviewers and administrators: every signed-in role but the professional's."""
    return _signed_in_and(lambda user: "Professionals log their own hours; imports are for units, departments and"
                          " administrators." if user.role == "professional" else None)


def provide_client(request: Request) -> ApiClient:
    """The machine client a guard admitted."""
    return request.state.client


def for_clients(*kinds: str) -> dict[str, Any]:
    """Route-decorator arguments: admit clients of these kinds and hand the handler `client`."""
    return {"guards": [machine_client(*kinds)],
            "dependencies": {"client": Provide(provide_client, sync_to_thread=False)}}


def provide_user(request: Request) -> User:
    """The user a guard admitted."""
    return request.state.user


def _client_if_any(request: Request) -> ApiClient | None:
    return request.state.get("client")


def _user_if_any(request: Request) -> User | None:
    return request.state.get("user")


def for_clients_or_reviewers(*kinds: str, departments_only: bool = False) -> dict[str, Any]:
    """Route-decorator arguments: admit clients of these kinds or reviewers; the handler gets `client` or `user`."""
    return {"guards": [client_or_reviewer(*kinds, departments_only=departments_only)],
            "dependencies": {"client": Provide(_client_if_any, sync_to_thread=False),
                             "user": Provide(_user_if_any, sync_to_thread=False)}}
