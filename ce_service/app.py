"""create_app(): routes, lifespan (pool, Redis, optional in-process worker), error mapping, static files."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator

from arq import Worker
from arq import create_pool as create_redis_pool
from arq.connections import RedisSettings
from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.static_files import create_static_files_router

from ce_service import __version__
from ce_service.audit import controllers as audit_routes
from ce_service.auth import controllers as auth_routes
from ce_service.auth.limits import ClientRateLimiter
from ce_service.auth.service import ClientCache
from ce_service.compliance import controllers as compliance_routes
from ce_service.compliance.receipts import load_signer
from ce_service.db import create_pool, provide_connection
from ce_service.db_roles import check_signing_key
from ce_service.errors import EXCEPTION_HANDLERS
from ce_service.evidence import controllers as evidence_routes
from ce_service.evidence.store import EvidenceStore
from ce_service.health import health, ready
from ce_service.imports import controllers as import_routes
from ce_service.intake import hr_controllers as hr_routes
from ce_service.intake import provider_controllers as provider_routes
from ce_service.integrity import controllers as integrity_routes
from ce_service.jobs import worker_settings
from ce_service.metrics import metrics, observe_requests
from ce_service.openapi import correct_document
from ce_service.people import controllers as people_routes
from ce_service.platforms import controllers as platform_routes
from ce_service.records import controllers as record_routes
from ce_service.review import controllers as review_routes
from ce_service.rules.store import RuleBookCache
from ce_service.settings import PWA_DIR, Settings, load_settings
from ce_service.web import pages

log = logging.getLogger("ce_service")


def create_app(settings: Settings, database_url: str, redis_url: str, run_worker: bool = False) -> Litestar:
    """Build the ASGI app for one database and one Redis; `run_worker` also runs jobs in this process."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.evidence = EvidenceStore(settings.evidence_dir, settings.max_evidence_bytes)
        app.state.pool = await create_pool(database_url, settings.db_pool_min, settings.db_pool_max)
        app.state.redis = await create_redis_pool(RedisSettings.from_dsn(redis_url))
        app.state.clients = ClientCache(settings.client_cache_seconds)
        app.state.limiter = ClientRateLimiter(app.state.redis, settings.client_rate_limit)
        app.state.rules = RuleBookCache()
        app.state.signer = load_signer(settings.signing_key_file)
        # The owner registers the key (`ce-service migrate`); the service's role may only read it.
        try:
            async with app.state.pool.acquire() as conn:
                await check_signing_key(conn, app.state.signer, settings.signing_key_file)
        except BaseException:
            await app.state.redis.aclose()
            await app.state.pool.close()
            raise
        worker_task = None
        worker = None
        if run_worker:
            worker = Worker(**worker_settings(database_url, redis_url, pool=app.state.pool,
                                                max_hours=settings.max_hours_per_record,
                                                job_timeout=settings.job_timeout_seconds, signer=app.state.signer,
                                                checkpoint_file=settings.audit_checkpoint_file))
            worker_task = asyncio.create_task(worker.async_run())
        try:
            yield
        finally:
            if worker is not None:
                await worker.close()
                worker_task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await worker_task
            await app.state.redis.aclose()
            await app.state.pool.close()

    app = Litestar(
        route_handlers=[
            health,
            ready,
            metrics,
            *auth_routes.ROUTES,
            *people_routes.ROUTES,
            *record_routes.ROUTES,
            *compliance_routes.ROUTES,
            *hr_routes.ROUTES,
            *provider_routes.ROUTES,
            *review_routes.ROUTES,
            *integrity_routes.ROUTES,
            *platform_routes.ROUTES,
            *import_routes.ROUTES,
            *evidence_routes.ROUTES,
            *audit_routes.ROUTES,
            *pages.ROUTES,
            create_static_files_router(path="/static", directories=[PWA_DIR / "static"], name="static"),
        ],
        dependencies={"db": Provide(provide_connection)},
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[observe_requests],
        # Logging is ours (JSON lines, masked ID numbers, set up by the command); litestar must not replace it.
        logging_config=None,
        lifespan=[lifespan],
        request_max_body_size=settings.max_body_bytes,
        # Level 9 (the default) spends ~80 ms on a 2 MB batch answer for a few percent of size; 4 is
        # several times faster and still shrinks JSON to a fraction.
        compression_config=CompressionConfig(backend="gzip", minimum_size=1000, gzip_compress_level=4),
        openapi_config=OpenAPIConfig(title="ce-service", version=__version__, path="/schema"),
        debug=False,
    )
    correct_document(app)
    return app


def app_from_environment() -> Litestar:
    """The factory uvicorn calls in each worker process (`ce-service serve` sets the URLs)."""
    settings = load_settings()
    return create_app(
        settings, settings.database_url, settings.redis_url,
        run_worker=os.environ.get("CE_INPROCESS_WORKER") == "1",
    )
