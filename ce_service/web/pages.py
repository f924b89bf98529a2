"""The pages served at / (for now the landing page; the full PWA builds on it)."""

from __future__ import annotations

from litestar import Response, get

from ce_service.settings import PWA_DIR


@get("/", include_in_schema=False)
async def index() -> Response[bytes]:
    """The landing page."""
    return Response((PWA_DIR / "index.html").read_bytes(), media_type="text/html; charset=utf-8")


ROUTES = [index]
