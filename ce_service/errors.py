"""Domain errors and their single mapping to RFC 9457 problem documents."""

from __future__ import annotations

import errno
import logging
import re
from typing import Any

import asyncpg
import msgspec
import redis.exceptions
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

log = logging.getLogger("ce_service.errors")

PROBLEM_JSON = "application/problem+json"


Param = str | int | float


class FieldError(msgspec.Struct):
    """Which field is wrong and why: `message` in English for machines, `code` and `params` to say it in any language.

    Codes are few and shared (ce_service/web/texts.py CODE_ZH says each in Chinese); `params` carry the numbers
    a sentence needs (e.g. too_large with {"max": 24}). A code of "invalid" means no finer code was given.
    """

    field: str
    message: str
    code: str = "invalid"
    params: dict[str, Param] = {}


class DomainError(Exception):
    """Base of the errors services raise; each maps to one HTTP status."""

    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, errors: list[FieldError] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.headers = headers


class BadRequest(DomainError):
    """The request cannot be read (e.g. malformed JSON)."""


class Unauthorized(DomainError):
    """No credentials, or credentials we do not know."""

    status, slug, title = 401, "unauthorized", "Authentication required"


class Forbidden(DomainError):
    """Known credentials that may not do this."""

    status, slug, title = 403, "forbidden", "Not allowed"


class NotFound(DomainError):
    """Nothing there, or nothing the caller may know exists."""

    status, slug, title = 404, "not-found", "Not found"


class Conflict(DomainError):
    """The request clashes with the current state (e.g. a record already decided)."""

    status, slug, title = 409, "conflict", "Conflict"


class TooLarge(DomainError):
    """A body or batch over its limit."""

    status, slug, title = 413, "too-large", "Request too large"


class Invalid(DomainError):
    """Well-formed input that breaks a rule; errors name each field."""

    status, slug, title = 422, "validation", "Validation failed"

    @classmethod
    def field(cls, field: str, message: str, code: str = "invalid", params: dict[str, Param] | None = None) -> "Invalid":
        """One wrong field."""
        return cls(f"{field}: {message}", [FieldError(field, message, code=code, params=params or {})])

    @classmethod
    def of(cls, errors: list[FieldError]) -> "Invalid":
        """Several wrong fields at once."""
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors[:5])
        return cls(detail, errors)


def file_too_large(field: str, size: int, max_bytes: int) -> TooLarge:
    """413 for a file over the limit, naming the field: file_too_large with the limit in MB (max_mb) and the size."""
    message = f"is {size} bytes; at most {max_bytes} are accepted"
    return TooLarge(f"The file {message}.", [FieldError(field, message, code="file_too_large", params={
        "max_mb": megabytes(max_bytes), "size_mb": megabytes(size), "max_bytes": max_bytes})])


class TooManyRequests(DomainError):
    """Too many attempts in a short time; the Retry-After header says when to try again."""

    status, slug, title = 429, "too-many-requests", "Too many requests"


class UnsupportedMediaType(DomainError):
    """The body is not in the media type the endpoint takes."""

    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class InsufficientStorage(DomainError):
    """The disk that keeps files is full: nothing was stored."""

    status, slug, title = 507, "insufficient-storage", "Insufficient storage"


class Unavailable(DomainError):
    """A dependency (database, Redis) is down; try again later."""

    status, slug, title = 503, "unavailable", "Service unavailable"


def problem_body(status: int, slug: str, title: str, detail: str, errors: list[FieldError] | None = None) -> dict[str, Any]:
    """One RFC 9457 problem document."""
    body: dict[str, Any] = {"type": f"urn:ce-service:problem:{slug}", "title": title, "status": status, "detail": detail}
    if errors is not None:
        body["errors"] = [{"field": e.field, "message": e.message, "code": e.code, "params": e.params} for e in errors]
    return body


def problem_of(exc: DomainError) -> dict[str, Any]:
    """The problem document of a domain error (as a response body, or inside a batch answer)."""
    # Validation always lists its errors (maybe none); any other error does when it names a field (e.g. a file too large).
    errors = exc.errors if isinstance(exc, Invalid) or exc.errors else None
    return problem_body(exc.status, exc.slug, exc.title, exc.detail, errors)


def problem(status: int, slug: str, title: str, detail: str, errors: list[FieldError] | None = None,
            headers: dict[str, str] | None = None) -> Response[dict[str, Any]]:
    """Build one problem document response."""
    return Response(problem_body(status, slug, title, detail, errors), status_code=status, media_type=PROBLEM_JSON,
                    headers=headers)


_PATH = re.compile(r" - at `\$(.*)`$")


# msgspec's (and litestar's) messages, by what they mean: (pattern, code, the params its groups fill).
_SCHEMA_CODES: tuple[tuple[re.Pattern[str], str, tuple[str, ...]], ...] = (
    (re.compile(r"^Object missing required field `([^`]+)`"), "required", ("name",)),
    (re.compile(r"^Object contains unknown field `([^`]+)`"), "unknown_field", ("name",)),
    (re.compile(r"^Expected `\w+` of length <= (\d+)"), "too_long", ("max",)),
    (re.compile(r"^Expected `\w+` of length >= 1$"), "required", ()),
    (re.compile(r"^Expected `\w+` of length >= (\d+)"), "too_short", ("min",)),
    (re.compile(r"^Expected `(?:int|float|number)` <= (-?[\d.]+)"), "too_large", ("max",)),
    (re.compile(r"^Expected `(?:int|float|number)` < (-?[\d.]+)"), "too_large", ("max",)),
    (re.compile(r"^Expected `(?:int|float|number)` >= (-?[\d.]+)"), "too_small", ("min",)),
    (re.compile(r"^Expected `(?:int|float|number)` > (-?[\d.]+)"), "not_above", ("min",)),
    (re.compile(r"^Expected `(?:int|float|number)` that is a multiple of"), "bad_value", ()),
    (re.compile(r"^Expected `[^`]+`, got `null`"), "required", ()),   # an empty cell of an import, or a JSON null
    (re.compile(r"^Expected `([^`]+)`, got `[^`]+`"), "wrong_type", ("expected",)),
    (re.compile(r"^Expected `(?:array|object)` of length"), "wrong_count", ()),
    (re.compile(r"^Invalid enum value"), "one_of", ()),
    (re.compile(r"^Invalid RFC3339 encoded (?:date|datetime)"), "bad_date", ()),
    (re.compile(r"^Invalid RFC3339 encoded time"), "bad_time", ()),
    (re.compile(r"^(?:Missing required|is required)", re.IGNORECASE), "required", ()),
)


def schema_code(message: str) -> tuple[str, dict[str, Param]]:
    """The code and params of a message from msgspec or litestar's parameter parsing; bad_value when none fits."""
    for pattern, code, names in _SCHEMA_CODES:
        if match := pattern.search(message):
            params: dict[str, Param] = {}
            for name, value in zip(names, match.groups()):
                params[name] = _number(value)
            return code, params
    return "bad_value", {}


def _number(text: str) -> Param:
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() else number


def megabytes(size: int) -> int | float:
    """Bytes as MB (2^20) for a sentence: 10485760 -> 10, 1572864 -> 1.5."""
    value = round(size / (1 << 20), 1)
    return int(value) if value.is_integer() else value


def field_error_from_msgspec(exc: msgspec.ValidationError) -> FieldError:
    """Turn msgspec's 'Expected `int`, got `str` - at `$.periods[0].from_year`' into a FieldError."""
    text = str(exc)
    match = _PATH.search(text)
    path, message = ("body", text) if not match else (match.group(1).lstrip(".") or "body", text[: match.start()])
    code, params = schema_code(message)
    return FieldError(path, message, code=code, params=params)


def _domain(request: Request, exc: DomainError) -> Response:
    return Response(problem_of(exc), status_code=exc.status, media_type=PROBLEM_JSON, headers=exc.headers)


def _schema(request: Request, exc: msgspec.ValidationError) -> Response:
    error = field_error_from_msgspec(exc)
    return problem(422, "validation", "Validation failed", f"{error.field}: {error.message}", [error])


def _malformed(request: Request, exc: msgspec.DecodeError) -> Response:
    return problem(400, "malformed-json", "Malformed JSON", f"The body is not valid JSON: {exc}")


_MISSING = re.compile(r"Missing required (?:query |header |cookie |path )?parameter '([^']+)'")


def _litestar_validation(request: Request, exc: ValidationException) -> Response:
    # Raised for path and query parameters that are missing or do not parse (e.g. year=abc).
    errors = [_parameter_error(str(e.get("key", "")), str(e.get("message", "")))
              for e in (exc.extra or []) if isinstance(e, dict)]
    if not errors and (missing := _MISSING.search(str(exc.detail))):
        errors = [FieldError(missing.group(1), "is required", code="required")]
    if not errors:
        return problem(400, "bad-request", "Bad request", str(exc.detail))
    return problem(422, "validation", "Validation failed", "; ".join(f"{e.field}: {e.message}" for e in errors), errors)


def _parameter_error(key: str, message: str) -> FieldError:
    code, params = schema_code(message)
    return FieldError(key, message, code=code, params=params)


def _http(request: Request, exc: HTTPException) -> Response:
    title = {404: "Not found", 405: "Method not allowed", 413: "Request too large"}.get(exc.status_code, "Error")
    slug = {404: "not-found", 405: "method-not-allowed", 413: "too-large", 401: "unauthorized", 403: "forbidden"}.get(
        exc.status_code, "http-error")
    if exc.status_code >= 500:
        log.error("server error on %s %s: %s", request.method, request.url.path, exc.detail)
        return problem(exc.status_code, "server-error", "Server error", "The server could not answer; try again later.")
    return problem(exc.status_code, slug, title, str(exc.detail), headers=exc.headers)


def _os_error(request: Request, exc: OSError) -> Response:
    # A full disk is not a dependency being away: say so, and do not invite a silent retry.
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        log.error("disk full on %s %s: %s", request.method, request.url.path, exc.strerror)
        return problem(507, "insufficient-storage", "Insufficient storage",
                       "The server's disk is full; nothing was stored. Tell the administrator.")
    return _dependency_down(request, exc)


def _dependency_down(request: Request, exc: Exception) -> Response:
    # Not the client's fault and not a bug: PostgreSQL or Redis is away, or a concurrent transaction won.
    log.warning("dependency unavailable on %s %s: %s", request.method, request.url.path, type(exc).__name__)
    return problem(503, "unavailable", "Service unavailable",
                   "The database or Redis is busy or unreachable; try again shortly.", headers={"Retry-After": "2"})


def _unexpected(request: Request, exc: Exception) -> Response:
    # The one place an unforeseen error ends: logged with its trace, answered without it.
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem(500, "server-error", "Server error", "The server could not answer; the error was logged.")


EXCEPTION_HANDLERS = {
    DomainError: _domain,
    asyncpg.PostgresConnectionError: _dependency_down,
    asyncpg.exceptions.DeadlockDetectedError: _dependency_down,
    asyncpg.exceptions.SerializationError: _dependency_down,
    asyncpg.exceptions.TooManyConnectionsError: _dependency_down,
    asyncpg.exceptions.CannotConnectNowError: _dependency_down,
    asyncpg.InterfaceError: _dependency_down,
    # A connection that broke mid-statement (the server went away) is left in a state asyncpg refuses.
    asyncpg.exceptions.InternalClientError: _dependency_down,
    # A socket or file the process needs is not there (e.g. PostgreSQL's Unix socket while it restarts):
    # ConnectionError is one kind; FileNotFoundError on connect is another.
    OSError: _os_error,
    redis.exceptions.ConnectionError: _dependency_down,
    redis.exceptions.TimeoutError: _dependency_down,
    msgspec.ValidationError: _schema,
    msgspec.DecodeError: _malformed,
    ValidationException: _litestar_validation,
    HTTPException: _http,
    Exception: _unexpected,
}
