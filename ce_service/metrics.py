"""Prometheus metrics at /metrics, the request ID of each request, and the access log.

Request counts and latencies are kept by each process (in PROMETHEUS_MULTIPROC_DIR when several
serve one port, so that any of them answers for all). Job runs and failures are counted in Redis by
whichever worker ran them, so every API process reports the same totals. The queue depth, the
platforms' pull lag and the records by status are read when scraped.
"""

from __future__ import annotations

import logging
import os
import re
import time
import uuid
from typing import Any

from litestar import Response, get
from litestar.datastructures import State
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from ce_service.logs import REQUEST_ID

access = logging.getLogger("ce_service.access")

HTTP_REQUESTS = Counter("ce_http_requests", "HTTP requests answered, by route and status",
                        ["method", "route", "status"])
HTTP_SECONDS = Histogram("ce_http_request_duration_seconds", "Time to answer, by route", ["method", "route"],
                         buckets=(.002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
RATE_LIMITED = Counter("ce_client_rate_limited", "Machine-client requests refused for their rate, by client id",
                       ["client"])
JOB_COUNTS_KEY = "ce:metrics:jobs"           # hash "job:outcome" -> count, shared by every worker
RECORDS_BY_STATUS_SECONDS = 60               # a count over all records is not cheap: at most once a minute
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def request_id_of(headers: list[tuple[bytes, bytes]]) -> str:
    """The caller's X-Request-ID when it is a sane token (so a proxy's ID carries through), else a new one."""
    for name, value in headers:
        if name == b"x-request-id":
            text = value.decode("latin-1")
            if _REQUEST_ID.match(text):
                return text
    return uuid.uuid4().hex


def observe_requests(app: Any) -> Any:
    """ASGI middleware: a request ID (echoed as X-Request-ID), the request metrics, the access log if asked."""

    async def middleware(scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        request_id = request_id_of(scope.get("headers", []))
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = scope.get("path_template") or "unmatched"
            HTTP_REQUESTS.labels(scope["method"], route, str(status)).inc()
            HTTP_SECONDS.labels(scope["method"], route).observe(seconds)
            if scope["app"].state.settings.access_log:
                access.info("request", extra={"method": scope["method"], "route": route, "path": scope["path"],
                                              "status": status, "ms": round(seconds * 1000, 1)})
            REQUEST_ID.reset(token)

    return middleware


async def count_job(redis: Any, job: str, outcome: str) -> None:
    """Count one job run by outcome (ok, failed, retry) where every process can read it."""
    await redis.hincrby(JOB_COUNTS_KEY, f"{job}:{outcome}", 1)


class _Snapshot:
    """A collector over values read before the scrape (collectors cannot wait on the database)."""

    def __init__(self, families: list) -> None:
        self.families = families

    def collect(self) -> list:
        return self.families


async def _live_families(state: State) -> list:
    """Jobs, queue depth, pull lag and records by status, read now."""
    jobs = CounterMetricFamily("ce_jobs", "Background job runs by job and outcome", labels=["job", "outcome"])
    for key, value in (await state.redis.hgetall(JOB_COUNTS_KEY)).items():
        job, _, outcome = key.decode().rpartition(":")
        jobs.add_metric([job, outcome], int(value))
    queue = GaugeMetricFamily("ce_job_queue_depth", "Jobs waiting in the arq queue")
    queue.add_metric([], await state.redis.zcard("arq:queue"))
    lag = GaugeMetricFamily("ce_platform_pull_lag_seconds", "Seconds since the last successful pull, by platform",
                            labels=["platform"])
    records = GaugeMetricFamily("ce_records", "Records by status (refreshed at most once a minute)", labels=["status"])
    async with state.pool.acquire() as conn:
        for row in await conn.fetch(PULL_LAG):
            lag.add_metric([row["name"]], row["lag"])
        # Counting every record is a scan: once a minute per app, kept on the app (a second app, as in the tests,
        # counts its own database).
        cache = state.get("records_by_status")
        if cache is None or time.monotonic() - cache["at"] > RECORDS_BY_STATUS_SECONDS:
            cache = {"at": time.monotonic(), "rows": [tuple(r) for r in await conn.fetch(RECORDS_BY_STATUS)]}
            state["records_by_status"] = cache
    for status, count in cache["rows"]:
        records.add_metric([status], count)
    return [jobs, queue, lag, records]


PULL_LAG = """select name, extract(epoch from now() - coalesce(last_success_at, created_at))::float8 as lag
from platforms where enabled order by name"""
RECORDS_BY_STATUS = "select status, count(*) from records group by status order by status"


@get("/metrics", include_in_schema=False)
async def metrics(state: State) -> Response[bytes]:
    """The Prometheus text exposition of this service (meant for the monitoring network only)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    live = CollectorRegistry()
    live.register(_Snapshot(await _live_families(state)))
    return Response(generate_latest(registry) + generate_latest(live), media_type=CONTENT_TYPE_LATEST)
