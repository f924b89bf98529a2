"""The service's one notion of "now" and "today": China Standard Time (UTC+8, no daylight saving)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")


def now() -> datetime:
    """The current instant (aware, UTC)."""
    return datetime.now(timezone.utc)


def today() -> date:
    """Today's date in China, which decides what 'in the future' and 'this year' mean for hours."""
    return datetime.now(CHINA).date()
