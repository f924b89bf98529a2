"""The administrator's page: platform pulls and imports with their progress."""

from __future__ import annotations

import asyncpg
from litestar import Request, Response, get

from ce_service.imports import service as imports
from ce_service.platforms import service as platforms
from ce_service.web.render import html
from ce_service.web.session import page_csrf, page_user


@get("/admin", include_in_schema=False)
async def admin(request: Request, db: asyncpg.Connection) -> Response:
    """Each platform's last pull and each recent import; refreshes itself while an import runs."""
    user = await page_user(request, "admin")
    pulls = await platforms.list_platforms(db)
    recent = await imports.list_imports(db, user, 20, 0)
    running = any(i.status in ("queued", "running") for i in recent.items)
    template = "admin_jobs.html" if request.headers.get("hx-request") else "admin.html"
    return html(template, user=user, csrf=page_csrf(request), platforms=pulls, imports=recent.items, running=running)


ROUTES = [admin]
