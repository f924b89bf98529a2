"""What makes the site an installable app: the manifest, the service worker (at the root, for its scope), the offline page."""

from __future__ import annotations

import json

from litestar import Response, get

from ce_service.settings import PWA_DIR
from ce_service.web.render import html
from ce_service.web.texts import ZH

THEME = "#0b5cad"


@get("/manifest.webmanifest", include_in_schema=False)
async def manifest() -> Response[bytes]:
    """The web app manifest."""
    body = {
        "name": ZH["app_name"], "short_name": ZH["app_short"], "lang": "zh-CN", "start_url": "/", "scope": "/",
        "display": "standalone", "background_color": "#f6f7f9", "theme_color": THEME,
        "icons": [{"src": f"/static/icons/icon-{size}.png", "sizes": f"{size}x{size}", "type": "image/png",
                   "purpose": "any maskable"} for size in (192, 512)],
    }
    return Response(json.dumps(body, ensure_ascii=False).encode(), media_type="application/manifest+json",
                    headers={"Cache-Control": "public, max-age=3600"})


@get("/sw.js", include_in_schema=False)
async def service_worker() -> Response[bytes]:
    """The service worker, served from the root so that it controls every page; always revalidated."""
    return Response((PWA_DIR / "sw.js").read_bytes(), media_type="text/javascript; charset=utf-8",
                    headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"})


@get("/offline", include_in_schema=False)
async def offline() -> Response[str]:
    """Shown by the service worker for a page it has never seen when there is no network."""
    return html("offline.html", user=None, csrf="", headers={"Cache-Control": "public, max-age=3600"})


ROUTES = [manifest, service_worker, offline]
