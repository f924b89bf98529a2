"""Fetch one page of results from a platform, retrying what is worth retrying."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import httpx

from ce_service.platforms.results import Page, PageError, parse_page

log = logging.getLogger("ce_service.platforms")

PAGE_SIZE = 500
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry a page."""

    attempts: int = 6            # tries per page, the first included
    base_seconds: float = 1.0    # the backoff before the second try; doubles each time
    cap_seconds: float = 60.0    # longest backoff
    max_retry_after: float = 600.0   # longest Retry-After honoured as given
    timeout_seconds: float = 30.0

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed try number `attempt` (1-based): exponential, full jitter."""
        return random.uniform(0, min(self.cap_seconds, self.base_seconds * 2 ** (attempt - 1)))


class FetchFailed(Exception):
    """Every try failed; the message says how the last one did (for logs), `kind` what went wrong (for people):
    timeout, connection, busy (429), server (5xx), malformed, too_large, token (401, 403) or refused (other 4xx)."""

    def __init__(self, message: str, kind: str, tries: int = 1) -> None:
        super().__init__(message)
        self.kind = kind
        self.tries = tries


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: a number of seconds or an HTTP date (RFC 9110); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


MAX_PAGE_BYTES = 16 << 20   # a page of 500 results is a few hundred kilobytes


async def _get_capped(http: httpx.AsyncClient, url: str, params: dict[str, str], token: str,
                      timeout: float) -> tuple[httpx.Response, bytes | None]:
    """GET, reading at most MAX_PAGE_BYTES of the body (None: it was larger), never the whole of a huge one."""
    async with http.stream("GET", url, params=params, headers={"Authorization": f"Bearer {token}"},
                           timeout=timeout) as response:
        # An error page is read no further than it takes to quote it.
        cap = MAX_PAGE_BYTES if response.status_code == 200 else 64 << 10
        chunks, size = [], 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > cap:
                return response, None
            chunks.append(chunk)
        return response, b"".join(chunks)


async def fetch_page(http: httpx.AsyncClient, base_url: str, token: str, cursor: str | None,
                     policy: RetryPolicy, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> Page:
    """The page after `cursor`; retries timeouts, connection errors, 429 and 5xx, then raises FetchFailed."""
    params = {"limit": str(PAGE_SIZE)} | ({"since": cursor} if cursor is not None else {})
    url = base_url.rstrip("/") + "/api/v1/results"
    last, kind = "", "unknown"
    for attempt in range(1, policy.attempts + 1):
        wait: float | None = None
        try:
            response, body = await _get_capped(http, url, params, token, policy.timeout_seconds)
        except httpx.TimeoutException:
            last, kind = "timed out", "timeout"
        except httpx.TransportError as exc:
            last, kind = f"connection failed: {exc.__class__.__name__}", "connection"
        else:
            if response.status_code == 200:
                if body is None:
                    # The same page would be as large on every try: stop, and say so.
                    raise FetchFailed(f"the page is larger than {MAX_PAGE_BYTES >> 20} MB; ask the platform for "
                                      "smaller pages", "too_large", attempt)
                try:
                    return parse_page(body)
                except PageError as exc:
                    last, kind = str(exc), "malformed"  # a proxy's error page or a half-sent body: worth another try
            elif response.status_code in RETRY_STATUSES:
                last, kind = f"HTTP {response.status_code}", "busy" if response.status_code == 429 else "server"
                given = retry_after_seconds(response.headers.get("retry-after"))
                if given is not None:
                    wait = min(given, policy.max_retry_after)
            else:
                # 4xx other than 429: our request or token is wrong; retrying cannot help.
                raise FetchFailed(f"HTTP {response.status_code}: {(body or b'').decode('utf-8', 'replace')[:200]}",
                                  "token" if response.status_code in (401, 403) else "refused", attempt)
        if attempt < policy.attempts:
            wait = policy.backoff(attempt) if wait is None else wait
            log.warning("platform page after cursor %r: %s; try %d of %d in %.1f s",
                        cursor, last, attempt + 1, policy.attempts, wait)
            await sleep(wait)
    raise FetchFailed(f"{last} ({policy.attempts} tries)", kind, policy.attempts)
