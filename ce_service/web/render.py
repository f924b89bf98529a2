"""Pages from Jinja2 templates (escaped), with the headers every page carries."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from typing import Any

import jinja2
from litestar import Response

from ce_service.hours import to_hours
from ce_service.settings import PWA_DIR
from ce_service.web.texts import labels

# Scripts and styles only from our own origin: nothing injected into a page can run.
CSP = ("default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
PAGE_HEADERS = {
    "Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin", "Cache-Control": "private, no-cache", "Vary": "Cookie",
}
CHINA = timezone(timedelta(hours=8), "CST")


def _when(value: datetime | date | None) -> str:
    """A date or instant as people in China read it (Beijing time)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def _hours(value: Any) -> str:
    """12.5 -> '12.5', 12.0 -> '12'."""
    number = float(value or 0)
    return f"{number:g}"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(PWA_DIR / "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals.update(labels())
    # Inside <script type="application/json">: no "<" may appear, or "</script>" could end it.
    env.globals["script_texts_json"] = json.dumps(labels()["script_texts"], ensure_ascii=False).replace("<", "\\u003c")
    env.filters.update(when=_when, hours=_hours, half_hours=lambda h: _hours(to_hours(h)))
    return env


ENV = _environment()


def html(template: str, status_code: int = 200, headers: dict[str, str] | None = None, **context: Any) -> Response[str]:
    """Render a page (or a fragment) with the security headers."""
    body = ENV.get_template(template).render(**context)
    return Response(body, status_code=status_code, media_type="text/html; charset=utf-8",
                    headers={**PAGE_HEADERS, **(headers or {})})
