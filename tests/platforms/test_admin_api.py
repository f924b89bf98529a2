"""What operators see of the pulls: /api/v1/admin/platforms (administrators only)."""

from __future__ import annotations

import pytest

from ce_service.platforms.service import add_platform
from tests.builders import sign_in, user
from tests.platforms.fake import BASE, TOKEN, result


@pytest.fixture
async def admin(api, db) -> dict[str, str]:
    await user(db, "root", "admin")
    return await sign_in(api, "root")


async def test_status_set_aside_and_pull_now(api, db, admin):
    await add_platform(db, "gz", BASE, TOKEN, "520000", 3600)
    pid = await db.fetchval("select id from platforms")
    await db.execute("insert into platform_set_aside (platform_id, result_id, reason, payload) values"
                     " ($1, 'R-1', 'not passed', $2)", pid, result(1, passed=False))
    listed = (await api.get("/api/v1/admin/platforms")).json()
    assert [p["name"] for p in listed] == ["gz"]
    assert "token" not in listed[0] and TOKEN not in str(listed)
    assert listed[0]["set_aside_by_reason"] == {"not passed": 1}
    one = await api.get("/api/v1/admin/platforms/gz")
    assert one.json()["base_url"] == BASE
    aside = (await api.get("/api/v1/admin/platforms/gz/set-aside?limit=10")).json()
    assert aside["items"][0]["reason"] == "not passed" and "*" in aside["items"][0]["item"]["national_id"]
    assert (await api.get("/api/v1/admin/platforms/gz/set-aside?limit=0")).status_code == 422
    assert (await api.get("/api/v1/admin/platforms/nope")).status_code == 404
    first = await api.post("/api/v1/admin/platforms/gz/pull", headers=admin)
    assert first.status_code == 202 and first.json()["queued"] is True
    second = await api.post("/api/v1/admin/platforms/gz/pull", headers=admin)
    assert second.json()["queued"] is False
    assert (await api.post("/api/v1/admin/platforms/gz/pull")).status_code == 403   # no CSRF token


async def test_only_administrators(api, db):
    assert (await api.get("/api/v1/admin/platforms")).status_code == 401
    await user(db, "hr1", "hr_reviewer", region_prefix="52")
    await sign_in(api, "hr1")
    assert (await api.get("/api/v1/admin/platforms")).status_code == 403


async def test_settings_are_checked(db):
    from ce_service.errors import Invalid

    with pytest.raises(Invalid) as caught:
        await add_platform(db, "Bad Name", "ftp://x", " ", "990000", 5)
    assert {e.field for e in caught.value.errors} == {"name", "base_url", "token", "region", "interval_seconds"}
