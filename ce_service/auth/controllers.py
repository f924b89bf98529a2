"""Sign in, sign out, who am I."""

from __future__ import annotations

from typing import Annotated

import asyncpg
import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import Cookie, State
from litestar.di import Provide

from ce_service.auth import service
from ce_service.auth.guards import SESSION_COOKIE, provide_user, signed_in
from ce_service.auth.limits import KNOWN_DEVICE_SECONDS, SignInPaused
from ce_service.auth.models import User
from ce_service.auth.secrets import csrf_token
from ce_service.errors import PROBLEM_JSON, UnsupportedMediaType, problem_of
from ce_service.wire import json_body

KNOWN_DEVICE_COOKIE = "ce_device"


class LoginIn(msgspec.Struct, forbid_unknown_fields=True):
    """Username (or an ID number for professionals) and password."""

    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class Me(msgspec.Struct):
    """The signed-in user, and the CSRF token to send with every write."""

    id: int
    username: str
    display_name: str
    role: str
    scope: str
    csrf_token: str


def _me(user: User, state: State, token: str) -> Me:
    return Me(user.id, user.username, user.display_name, user.role, user.scope, csrf_token(state.settings.secret_key, token))


@post("/api/v1/auth/login", **json_body(LoginIn), status_code=200)
async def login(data: LoginIn, request: Request, db: asyncpg.Connection, state: State) -> Response[Me]:
    """Check the password and set the session cookie and the known-device cookie (429 after too many failures)."""
    # Only JSON: a form on another site can post text/plain or urlencoded bodies, not JSON, so it
    # cannot sign a victim's browser in to the attacker's account (login CSRF).
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise UnsupportedMediaType("Send the sign-in as application/json.")
    settings = state.settings
    address = request.client.host if request.client else "unknown"
    try:
        signed = await service.sign_in(db, state.redis, data.username, data.password, address, settings.session_hours,
                                       secret_key=settings.secret_key, device=request.cookies.get(KNOWN_DEVICE_COOKIE))
    except (service.WrongPassword, SignInPaused) as exc:
        return _refusal(exc)
    cookie = Cookie(key=SESSION_COOKIE, value=signed.token, httponly=True, samesite="lax",
                    secure=settings.secure_cookies, max_age=settings.session_hours * 3600, path="/")
    # Outlives the session (and sign-out): it only says this browser signed in to the account before.
    device = Cookie(key=KNOWN_DEVICE_COOKIE, value=signed.device, httponly=True, samesite="strict",
                    secure=settings.secure_cookies, max_age=KNOWN_DEVICE_SECONDS, path="/")
    return Response(_me(signed.user, state, signed.token), cookies=[cookie, device])


def _refusal(exc: service.WrongPassword | SignInPaused) -> Response:
    """The 401 or 429 problem document, with what a client needs to tell its user: tries left, or the wait."""
    body = problem_of(exc)
    if isinstance(exc, service.WrongPassword):
        body["attempts_left"] = exc.left.attempts
        if exc.left.wait_seconds is not None:
            body["retry_after"] = exc.left.wait_seconds
    else:
        body |= {"attempts_left": 0, "retry_after": exc.wait_seconds}
    return Response(body, status_code=exc.status, media_type=PROBLEM_JSON, headers=exc.headers)


@post("/api/v1/auth/logout", guards=[signed_in()], status_code=200)
async def logout(request: Request, db: asyncpg.Connection) -> Response[dict[str, bool]]:
    """End the session and clear the cookie."""
    await service.logout(db, request.state.session_token)
    return Response({"signed_out": True}, cookies=[Cookie(key=SESSION_COOKIE, value="", max_age=0, path="/")])


@get("/api/v1/auth/me", guards=[signed_in()], dependencies={"user": Provide(provide_user, sync_to_thread=False)})
async def me(request: Request, user: User, state: State) -> Me:
    """Who is signed in."""
    return _me(user, state, request.state.session_token)


ROUTES = [login, logout, me]
