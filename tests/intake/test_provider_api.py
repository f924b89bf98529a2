"""POST /api/v1/provider/records (to the contract) and GET … to reconcile."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from tests.builders import api_client, national_id, person

NID = national_id(321)
YEAR = date.today().year - 1


def rec(external_id: str, **changes) -> dict:
    """One result as the contract's example sends it."""
    return {"external_id": external_id, "national_id": NID, "name": "张三", "year": YEAR, "category": "professional",
            "hours": 12.5, "course_title": "建筑结构抗震设计新规范", "course_code": "JZ-2023-07",
            "completed_on": f"{YEAR}-05-20", "region_earned": "520000", **changes}


@pytest.fixture
async def provider(db) -> dict[str, str]:
    """Headers of a provider client."""
    return {"Authorization": "Bearer " + await api_client(db, "provider", "贵州省继续教育基地")}


async def test_push_is_routed_to_verification(api, db, provider):
    await person(db, NID)
    body = (await api.post("/api/v1/provider/records", json={"records": [rec("BASE-1")]}, headers=provider)).json()
    assert (body["accepted"], body["duplicates"], body["held"], body["rejected"]) == (1, 0, 0, 0)
    assert body["results"][0]["status"] == "accepted" and body["results"][0]["record_id"]
    row = await db.fetchrow("select status, route, source, provider, region_earned from records")
    assert dict(row) == {"status": "submitted", "route": ["hr"], "source": "provider", "provider": "贵州省继续教育基地",
                         "region_earned": "520000"}
    again = (await api.post("/api/v1/provider/records", json={"records": [rec("BASE-1")]}, headers=provider)).json()
    assert again["duplicates"] == 1 and again["results"][0]["record_id"] == body["results"][0]["record_id"]
    changed = (await api.post("/api/v1/provider/records", json={"records": [rec("BASE-1", hours=13)]},
                              headers=provider)).json()
    assert changed["results"][0]["errors"][0]["message"].startswith("conflict")


async def test_two_copies_at_once_make_one_record(api, db, provider):
    await person(db, NID)
    batch = {"records": [rec(f"B-{i}") for i in range(50)]}
    answers = await asyncio.gather(*(api.post("/api/v1/provider/records", json=batch, headers=provider) for _ in range(2)))
    assert sorted(a.json()["accepted"] for a in answers) == [0, 50]
    assert await db.fetchval("select count(*) from records") == 50


async def test_limits_and_kinds(api, db, provider):
    too_many = await api.post("/api/v1/provider/records", json={"records": [rec(f"R{i}") for i in range(1001)]},
                              headers=provider)
    assert too_many.status_code == 413
    hr = await api_client(db, "hr_system")
    assert (await api.post("/api/v1/provider/records", json={"records": [rec("x")]},
                           headers={"Authorization": f"Bearer {hr}"})).status_code == 403
    assert (await api.post("/api/v1/provider/records", json={"records": [rec("x")]})).status_code == 401


async def test_reconcile_lists_stored_and_held_in_pages(api, db, provider):
    await person(db, NID)
    await api.post("/api/v1/provider/records", json={"records": [rec(f"A-{i}") for i in range(3)]}, headers=provider)
    await api.post("/api/v1/provider/records", json={"records": [rec("H-1", national_id=national_id(999))]},
                   headers=provider)
    first = (await api.get("/api/v1/provider/records", params={"limit": 2}, headers=provider)).json()
    assert [i["external_id"] for i in first["items"]] == ["A-0", "A-1"] and first["next_after"] == "A-1"
    rest = (await api.get("/api/v1/provider/records", params={"limit": 2, "after": "A-1"}, headers=provider)).json()
    assert [(i["external_id"], i["status"]) for i in rest["items"]] == [("A-2", "submitted"), ("H-1", "held")]
    assert rest["next_after"] is None and rest["items"][1]["reason"] == "person not in the registry yet"
    one = (await api.get("/api/v1/provider/records", params={"external_id": "A-2"}, headers=provider)).json()
    assert len(one["items"]) == 1
    other = {"Authorization": "Bearer " + await api_client(db, "provider", "另一机构")}
    assert (await api.get("/api/v1/provider/records", headers=other)).json()["items"] == []
