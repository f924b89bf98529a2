"""Liveness and readiness, the request ID (echoed, logged, carried into jobs), JSON logs with ID numbers masked, metrics."""

from __future__ import annotations

import json
import logging
import re

import pytest
from arq.connections import RedisSettings, create_pool
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from ce_service.app import create_app
from ce_service.jobs import observed
from ce_service.logs import REQUEST_ID, JsonFormatter
from ce_service.metrics import JOB_COUNTS_KEY
from ce_service.platforms.service import add_platform
from ce_service.settings import load_settings
from tests.builders import api_client, national_id, person, record, sign_in, user


def metric(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample of a Prometheus text exposition."""
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
            if all(found.get(k) == v for k, v in labels.items()):
                return float(line.rsplit(" ", 1)[1])
    return None


async def test_health_is_liveness_and_ready_checks_what_serving_needs(api, db):
    assert (await api.get("/health")).json() == {"status": "ok"}
    ready = await api.get("/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "database": "ok", "redis": "ok", "migrations": "ok"}
    # A migration on disk that this database has not seen: not ready, and it says why.
    await db.execute("delete from schema_migrations where version = (select max(version) from schema_migrations)")
    behind = await api.get("/ready")
    assert behind.status_code == 503 and behind.json()["migrations"] == "pending: 1"


async def test_request_id_is_echoed_kept_or_made(api):
    made = await api.get("/health")
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
    kept = await api.get("/health", headers={"X-Request-ID": "lb-7f3a.2"})
    assert kept.headers["x-request-id"] == "lb-7f3a.2"
    refused = await api.get("/health", headers={"X-Request-ID": "<script>" * 20})
    assert re.fullmatch(r"[0-9a-f]{32}", refused.headers["x-request-id"])


def test_json_log_lines_carry_the_request_id_and_mask_id_numbers():
    nid = national_id(42)
    token = REQUEST_ID.set("req-123")
    try:
        record = logging.LogRecord("ce_service.test", logging.WARNING, __file__, 1, "person %s not found", (nid,), None)
        record.route = "/api/v1/persons/{national_id:str}"
        line = JsonFormatter().format(record)
    finally:
        REQUEST_ID.reset(token)
    entry = json.loads(line)
    assert entry["request_id"] == "req-123" and entry["level"] == "WARNING" and entry["route"].endswith("{national_id:str}")
    assert nid not in line and entry["msg"] == f"person {nid[:4]}**********{nid[-4:]} not found"


async def test_access_log_names_the_route_and_never_the_id_number(servers, database_url, db, caplog):
    settings = load_settings({"CE_DATA_DIR": str(servers.data_dir), "CE_SECRET_KEY": "test-secret-key-0123456789abcdef",
                              "CE_ENV": "test", "CE_ACCESS_LOG": "1"})
    token = await api_client(db, "hr_system")
    nid = national_id(9)
    caplog.set_level(logging.INFO, logger="ce_service.access")
    async with AsyncTestClient(app=create_app(settings, database_url, servers.redis_url)) as client:
        await client.put(f"/api/v1/persons/{nid}", json={"name": "x"}, headers={"Authorization": f"Bearer {token}",
                                                                               "X-Request-ID": "trace-1"})
    [entry] = [r for r in caplog.records if r.name == "ce_service.access"]
    assert entry.route == "/api/v1/persons/{national_id}" and entry.status == 422
    line = json.loads(JsonFormatter().format(entry))
    assert nid not in json.dumps(line) and line["path"].startswith("/api/v1/persons/" + nid[:4] + "****")


async def test_jobs_run_under_the_request_id_that_queued_them(api, db, servers):
    await user(db, "hrboss", "hr_reviewer", region_prefix="52")
    headers = await sign_in(api, "hrboss")
    template = (await api.get("/api/v1/imports/templates/records.csv")).content
    queued = await api.post("/api/v1/imports", files={"file": ("a.csv", template, "text/csv")}, data={"kind": "records"},
                            headers={**headers, "X-Request-ID": "upload-77"})
    assert queued.status_code == 202, queued.text
    redis = await create_pool(RedisSettings.from_dsn(servers.redis_url))
    try:
        [job] = await redis.queued_jobs()
        assert job.function == "run_import" and job.kwargs == {"request_id": "upload-77"}
    finally:
        await redis.aclose()

    seen = {}

    @observed
    async def sample_job(ctx):
        seen["request_id"] = REQUEST_ID.get()

    client = Redis.from_url(servers.redis_url)
    try:
        await sample_job({"redis": client, "job_id": "j1"}, request_id="upload-77")
        assert seen["request_id"] == "upload-77"
        await sample_job({"redis": client, "job_id": "j2"})
        assert seen["request_id"] == "job:j2"
        assert int(await client.hget(JOB_COUNTS_KEY, "sample_job:ok")) == 2
    finally:
        await client.aclose()


async def test_metrics_cover_requests_jobs_queue_pulls_and_records(api, db, servers):
    pid = await person(db)
    await record(db, pid, 2024, "public", 10)
    await add_platform(db, "gz-platform", "https://platform.example.cn", "t0ken", "520000", 600)
    client = Redis.from_url(servers.redis_url)
    await client.hincrby(JOB_COUNTS_KEY, "pull_platform:failed", 3)
    await client.aclose()
    await api.get("/health")
    text = (await api.get("/metrics")).text
    assert metric(text, "ce_http_requests_total", method="GET", route="/health", status="200") >= 1
    assert metric(text, "ce_http_request_duration_seconds_count", method="GET", route="/health") >= 1
    assert metric(text, "ce_jobs_total", job="pull_platform", outcome="failed") == 3
    assert metric(text, "ce_job_queue_depth") == 0
    assert 0 <= metric(text, "ce_platform_pull_lag_seconds", platform="gz-platform") < 60
    assert metric(text, "ce_records", status="registered") == 1


@pytest.mark.parametrize("path", ["/health", "/ready", "/metrics"])
async def test_operational_endpoints_need_no_login(api, path):
    assert (await api.get(path)).status_code == 200


def test_a_full_disk_is_507_not_a_busy_database():
    """Every OSError used to read "database busy, retry"; a full disk must say what it is (and not invite retries)."""
    import errno

    from litestar import Litestar, get
    from litestar.testing import TestClient

    from ce_service.errors import EXCEPTION_HANDLERS

    @get("/full")
    async def full() -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    @get("/gone")
    async def gone() -> None:
        raise FileNotFoundError(errno.ENOENT, "No such file", "/run/postgresql/.s.PGSQL.5432")

    with TestClient(Litestar([full, gone], exception_handlers=EXCEPTION_HANDLERS)) as client:
        answer = client.get("/full")
        assert answer.status_code == 507 and answer.json()["type"].endswith("insufficient-storage")
        assert "Retry-After" not in answer.headers
        assert client.get("/gone").status_code == 503
