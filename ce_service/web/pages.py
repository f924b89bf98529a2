"""Every page route of the web app, with the error handling pages get (sign-in redirect, HTML errors)."""

from __future__ import annotations

from litestar import Router

from ce_service.errors import DomainError
from ce_service.web import admin, help, professional, pwa, reviewer, session

ROUTES = [Router(path="/", route_handlers=[*session.ROUTES, *professional.ROUTES, *reviewer.ROUTES, *admin.ROUTES,
                                         *pwa.ROUTES, *help.ROUTES], exception_handlers={DomainError: session.page_error})]
