"""Who is looking at a page: the session cookie, the CSRF token pages carry, sign-in and sign-out forms."""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlencode, urlsplit

import asyncpg
from litestar import Request, Response, get, post
from litestar.datastructures import Cookie, State
from litestar.response import Redirect

from ce_service.auth import service as auth
from ce_service.auth.controllers import KNOWN_DEVICE_COOKIE
from ce_service.auth.guards import SESSION_COOKIE, signed_in
from ce_service.auth.limits import KNOWN_DEVICE_SECONDS, SignInPaused
from ce_service.auth.models import User
from ce_service.auth.secrets import csrf_token
from ce_service.errors import PROBLEM_JSON, DomainError, Forbidden, Unauthorized, problem_of
from ce_service.say import say_all
from ce_service.web.render import html
from ce_service.web.texts import ZH

LOGIN_CSRF_COOKIE = "ce_login_csrf"
REVIEWER_ROLES = ("unit_reviewer", "agency_reviewer", "industry_reviewer", "hr_reviewer", "health_reviewer")


class SignInRequired(Unauthorized):
    """A page asked for without a live session: the browser is sent to the sign-in form."""


async def page_user(request: Request, *roles: str) -> User:
    """The signed-in user of a page (SignInRequired without a session; 403 for another role)."""
    token = request.cookies.get(SESSION_COOKIE)
    user = None
    if token:
        async with request.app.state.pool.acquire() as conn:
            user = await auth.user_for_session(conn, token)
    if user is None:
        raise SignInRequired("Sign in first.")
    if roles and user.role not in roles:
        raise Forbidden(ZH["forbidden"])
    return user


def page_csrf(request: Request) -> str:
    """The CSRF token of this session, for htmx to send with every write (X-CSRF-Token)."""
    return csrf_token(request.app.state.settings.secret_key, request.cookies.get(SESSION_COOKIE, ""))


def home_of(user: User) -> str:
    """Where a user lands after signing in."""
    if user.role == "professional":
        return "/"
    return "/admin" if user.role == "admin" else "/review"


MAX_NEXT = 2000


def safe_next(value: str | None) -> str | None:
    """A path of this site to return to after signing in, or None.

    Only a path starting with one "/" in printable ASCII: "//host" and "/\\host" name another host to browsers,
    a scheme cannot start with "/", and tabs or newlines (which browsers drop) could hide a second "/"."""
    if not value or len(value) > MAX_NEXT or not value.startswith("/") or value[1:2] in ("/", "\\"):
        return None
    if any(not "!" <= c <= "~" or c == "\\" for c in value):
        return None
    if value.split("?", 1)[0] in ("/login", "/logout"):
        return None
    return value


def login_url(path: str) -> str:
    """The sign-in form, bringing the user back to `path` afterwards (the home needs no return)."""
    target = safe_next(path)
    return "/login" if target in (None, "/") else "/login?" + urlencode({"next": target})


def _login_page(request: Request, error: str | None, status: int, username: str = "",
                next_path: str | None = None) -> Response[str]:
    # Double-submit token: the form and a SameSite=Strict cookie must carry the same random value.
    token = secrets.token_urlsafe(24)
    response = html("login.html", status_code=status, error=error, login_csrf=token, username=username, user=None,
                    csrf="", next_path=safe_next(next_path) or "",
                    help_contact=request.app.state.settings.help_contact)
    response.set_cookie(Cookie(key=LOGIN_CSRF_COOKIE, value=token, httponly=True, samesite="strict", path="/login",
                               secure=request.app.state.settings.secure_cookies, max_age=3600))
    return response


def _refusal_text(exc: auth.WrongPassword | SignInPaused) -> str:
    """What the form says after a refused attempt: the tries left, or how many minutes to wait."""
    if isinstance(exc, SignInPaused):
        return ZH["login_paused_account" if exc.account_wide else "login_throttled"].format(minutes=exc.wait_minutes)
    if exc.left.wait_minutes is not None:
        return ZH["login_failed_wait"].format(minutes=exc.left.wait_minutes)
    return ZH["login_failed_left"].format(n=exc.left.attempts)


@get("/login", include_in_schema=False)
async def login_form(request: Request) -> Response[str]:
    """The sign-in form (`next`: a path of this site to return to afterwards)."""
    return _login_page(request, None, 200, next_path=request.query_params.get("next"))


@post("/login", include_in_schema=False, request_max_body_size=16_384)
async def login(request: Request, db: asyncpg.Connection, state: State) -> Response:
    """Check the password (rate-limited), set the session cookie and go back to `next` or to the user's home."""
    form = await request.form()
    username, password = str(form.get("username", "")).strip(), str(form.get("password", ""))
    next_path = safe_next(str(form.get("next", "")))
    presented, expected = str(form.get("csrf", "")), request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(presented, expected):
        return _login_page(request, ZH["login_expired"], 403, username, next_path)
    if not username or not password:
        return _login_page(request, ZH["login_missing"], 401, username, next_path)
    if len(username) > 64 or len(password) > 256:
        return _login_page(request, ZH["login_failed"], 401, username, next_path)
    address = request.client.host if request.client else "unknown"
    settings = state.settings
    try:
        signed = await auth.sign_in(db, state.redis, username, password, address, settings.session_hours,
                                    secret_key=settings.secret_key, device=request.cookies.get(KNOWN_DEVICE_COOKIE))
    except (auth.WrongPassword, SignInPaused) as exc:
        return _login_page(request, _refusal_text(exc), exc.status, username, next_path)
    except Unauthorized:
        return _login_page(request, ZH["login_failed"], 401, username, next_path)
    session = Cookie(key=SESSION_COOKIE, value=signed.token, httponly=True, samesite="lax", path="/",
                     secure=settings.secure_cookies, max_age=settings.session_hours * 3600)
    # This browser signed in to the account: it may still sign in while guesses from elsewhere pause the account.
    device = Cookie(key=KNOWN_DEVICE_COOKIE, value=signed.device, httponly=True, samesite="strict", path="/",
                    secure=settings.secure_cookies, max_age=KNOWN_DEVICE_SECONDS)
    return Redirect(next_path or home_of(signed.user), status_code=303, cookies=[
        session, device, Cookie(key=LOGIN_CSRF_COOKIE, value="", max_age=0, path="/login")])


@post("/logout", guards=[signed_in()], include_in_schema=False)
async def logout(request: Request, db: asyncpg.Connection) -> Response:
    """End the session; htmx follows HX-Redirect to the sign-in form."""
    await auth.logout(db, request.state.session_token)
    return Response("", status_code=200, headers={"HX-Redirect": "/login"},
                    cookies=[Cookie(key=SESSION_COOKIE, value="", max_age=0, path="/")])


def page_error(request: Request, error: DomainError) -> Response:
    """Errors of pages: to the sign-in form, or an error page; htmx requests get the problem document."""
    if request.headers.get("hx-request"):
        if isinstance(error, SignInRequired):
            # Back to the page the request came from once signed in again.
            came_from = urlsplit(request.headers.get("hx-current-url", ""))
            back = came_from.path + (f"?{came_from.query}" if came_from.query else "")
            return Response("", status_code=401, headers={"HX-Redirect": login_url(back)})
        return Response(problem_of(error), status_code=error.status, media_type=PROBLEM_JSON, headers=error.headers)
    if isinstance(error, SignInRequired):
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return Redirect(login_url(here) if request.method == "GET" else "/login", status_code=303)
    message = {401: ZH["login_expired"], 403: ZH["forbidden"], 404: ZH["not_found"]}.get(error.status)
    if message is None:   # a refusal naming fields is said in Chinese by its codes; the English detail is for machines
        message = say_all(error.errors) if error.errors else str(error)
    return html("error.html", status_code=error.status, message=message, user=None, csrf="")


ROUTES = [login_form, login, logout]
