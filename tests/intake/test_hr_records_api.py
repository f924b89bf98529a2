"""POST /api/v1/hr/records (registered on arrival) and …/{id}/revoke, to the contract."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from tests.builders import UNIT, api_client, national_id, person

NID = national_id(123)
YEAR = date.today().year - 1


def rec(external_id: str = "HR-1", **changes) -> dict:
    """One record as an HR system sends it."""
    return {"external_id": external_id, "national_id": NID, "name": "张三", "year": YEAR, "category": "professional",
            "hours": 12.5, "course_title": "建筑结构抗震设计新规范", "course_code": "JZ-07",
            "completed_on": f"{YEAR}-05-20", **changes}


@pytest.fixture
async def hr(db) -> dict[str, str]:
    """Headers of an hr_system client."""
    return {"Authorization": "Bearer " + await api_client(db, "hr_system", "省人社厅人事系统")}


async def test_accepted_records_are_registered_on_arrival(api, db, hr):
    await person(db, NID)
    response = await api.post("/api/v1/hr/records", json={"records": [rec("A"), rec("B", category="public", hours=3)]},
                              headers=hr)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["accepted"], body["duplicates"], body["held"], body["rejected"]) == (2, 0, 0, 0)
    assert [r["external_id"] for r in body["results"]] == ["A", "B"]
    rows = await db.fetch("select status, source, half_hours, registered_at, provider from records order by external_id")
    assert [(r["status"], r["source"], r["half_hours"]) for r in rows] == [("registered", "hr", 25), ("registered", "hr", 6)]
    assert all(r["registered_at"] is not None and r["provider"] == "省人社厅人事系统" for r in rows)
    events = await db.fetch("select e.at, r.registered_at, e.to_status, e.actor_kind from record_events e"
                            " join records r on r.id = e.record_id")
    assert all(e["at"] == e["registered_at"] and e["to_status"] == "registered" and e["actor_kind"] == "client"
               for e in events) and len(events) == 2


async def test_resend_is_duplicate_and_change_is_conflict(api, db, hr):
    await person(db, NID)
    first = (await api.post("/api/v1/hr/records", json={"records": [rec()]}, headers=hr)).json()
    again = (await api.post("/api/v1/hr/records", json={"records": [rec()]}, headers=hr)).json()
    assert again["duplicates"] == 1 and again["results"][0]["status"] == "duplicate"
    assert again["results"][0]["record_id"] == first["results"][0]["record_id"]
    changed = (await api.post("/api/v1/hr/records", json={"records": [rec(hours=13)]}, headers=hr)).json()
    assert changed["rejected"] == 1
    error = changed["results"][0]["errors"][0]
    assert error["field"] == "external_id" and error["message"].startswith("conflict")
    assert await db.fetchval("select count(*) from records") == 1


async def test_concurrent_copies_make_one_record(api, db, hr):
    await person(db, NID)
    batch = {"records": [rec(f"C-{i}") for i in range(20)]}
    answers = await asyncio.gather(*(api.post("/api/v1/hr/records", json=batch, headers=hr) for _ in range(4)))
    assert all(a.status_code == 200 for a in answers)
    assert sum(a.json()["accepted"] for a in answers) == 20
    assert sum(a.json()["duplicates"] for a in answers) == 60
    assert await db.fetchval("select count(*) from records") == 20


async def test_same_external_id_twice_in_one_batch(api, db, hr):
    await person(db, NID)
    body = (await api.post("/api/v1/hr/records", json={"records": [rec("X"), rec("X"), rec("X", hours=1)]},
                           headers=hr)).json()
    assert [r["status"] for r in body["results"]] == ["accepted", "duplicate", "rejected"]
    assert body["results"][1]["record_id"] == body["results"][0]["record_id"]
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (1, 1, 1)
    assert await db.fetchval("select count(*) from records") == 1


async def test_one_bad_record_never_rejects_the_others(api, db, hr):
    await person(db, NID)
    bad_id = NID[:-1] + ("0" if NID[-1] != "0" else "1")
    records = [
        rec("ok-1"),
        rec("bad-id", national_id=bad_id),
        rec("bad-hours", hours=0.3),
        rec("zero", hours=0),
        rec("future", completed_on=f"{date.today().year + 1}-01-01", year=date.today().year + 1),
        rec("outside-year", completed_on=f"{YEAR - 1}-12-31"),
        rec("type", hours="12"),
        rec("unknown-field", colour="red"),
        rec("bad-category", category="fun"),
        rec("wrong-name", name="李四"),
        {"not": "a record"},
        rec("ok-2"),
    ]
    body = (await api.post("/api/v1/hr/records", json={"records": records}, headers=hr)).json()
    statuses = {r["external_id"]: r for r in body["results"]}
    assert body["accepted"] == 2 and body["rejected"] == 10
    assert statuses["bad-id"]["errors"][0]["field"] == "national_id"
    assert statuses["bad-hours"]["errors"][0]["field"] == "hours"
    assert statuses["zero"]["errors"][0]["field"] == "hours"
    assert {e["field"] for e in statuses["future"]["errors"]} >= {"year"}
    assert statuses["outside-year"]["errors"][0]["field"] == "completed_on"
    assert statuses["type"]["errors"][0] == {"field": "hours", "message": "Expected `float`, got `str`",
                                             "code": "wrong_type", "params": {"expected": "float"}}
    assert "unknown field" in statuses["unknown-field"]["errors"][0]["message"]
    assert statuses["bad-category"]["errors"][0]["field"] == "category"
    assert statuses["wrong-name"]["errors"][0]["field"] == "name"
    assert body["results"][10]["status"] == "rejected" and body["results"][10].get("external_id") is None
    assert await db.fetchval("select count(*) from records") == 2


async def test_unknown_person_is_held_and_kept(api, db, hr):
    body = (await api.post("/api/v1/hr/records", json={"records": [rec("H-1")]}, headers=hr)).json()
    assert body["held"] == 1 and body["results"][0]["status"] == "held"
    again = (await api.post("/api/v1/hr/records", json={"records": [rec("H-1")]}, headers=hr)).json()
    assert again["held"] == 1
    changed = (await api.post("/api/v1/hr/records", json={"records": [rec("H-1", hours=2)]}, headers=hr)).json()
    assert changed["rejected"] == 1
    row = await db.fetchrow("select national_id, source, reason, payload from held_records")
    assert row["national_id"] == NID and row["source"] == "hr" and row["payload"]["hours"] == 12.5
    assert await db.fetchval("select count(*) from records") == 0


async def test_batch_limits(api, hr):
    too_many = await api.post("/api/v1/hr/records", json={"records": [rec(f"R{i}") for i in range(1001)]}, headers=hr)
    assert too_many.status_code == 413 and too_many.json()["status"] == 413
    empty = await api.post("/api/v1/hr/records", json={"records": []}, headers=hr)
    assert empty.status_code == 422
    not_a_list = await api.post("/api/v1/hr/records", json={"records": {"a": 1}}, headers=hr)
    assert not_a_list.status_code == 422
    malformed = await api.post("/api/v1/hr/records", content=b'{"records": [', headers={**hr, "content-type": "application/json"})
    assert malformed.status_code == 400


@pytest.mark.parametrize("kind", ["provider", "review_system"])
async def test_only_hr_systems(api, db, kind):
    token = await api_client(db, kind)
    response = await api.post("/api/v1/hr/records", json={"records": [rec()]}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert (await api.post("/api/v1/hr/records", json={"records": [rec()]})).status_code == 401


async def test_revoke_once_then_409(api, db, hr):
    await person(db, NID)
    record_id = (await api.post("/api/v1/hr/records", json={"records": [rec()]}, headers=hr)).json()["results"][0]["record_id"]
    revoked = await api.post(f"/api/v1/hr/records/{record_id}/revoke", json={"reason": "培训机构未备案"}, headers=hr)
    assert revoked.status_code == 200, revoked.text
    body = revoked.json()
    assert body["status"] == "revoked" and body["status_reason"] == "培训机构未备案" and body["revoked_at"]
    assert body["national_id"] == NID[:4] + "*" * 10 + NID[-4:]
    twice = await api.post(f"/api/v1/hr/records/{record_id}/revoke", json={"reason": "again"}, headers=hr)
    assert twice.status_code == 409
    events = await db.fetch("select action, to_status, reason from record_events order by id")
    assert [(e["action"], e["to_status"]) for e in events] == [("create", "registered"), ("revoke", "revoked")]


async def test_revoke_needs_a_reason_and_a_known_record(api, db, hr):
    await person(db, NID)
    record_id = (await api.post("/api/v1/hr/records", json={"records": [rec()]}, headers=hr)).json()["results"][0]["record_id"]
    assert (await api.post(f"/api/v1/hr/records/{record_id}/revoke", json={}, headers=hr)).status_code == 422
    assert (await api.post(f"/api/v1/hr/records/{record_id}/revoke", json={"reason": "  "}, headers=hr)).status_code == 422
    unknown = "00000000-0000-0000-0000-000000000000"
    assert (await api.post(f"/api/v1/hr/records/{unknown}/revoke", json={"reason": "x"}, headers=hr)).status_code == 404
    assert (await api.post("/api/v1/hr/records/nope/revoke", json={"reason": "x"}, headers=hr)).status_code == 404
    assert await db.fetchval("select status from records") == "registered"


async def test_only_registered_records_can_be_revoked(api, db, hr):
    pid = await person(db, NID)
    draft = await db.fetchval("insert into records (person_id, year, category, half_hours, course_title, completed_on,"
                              " source, status) values ($1, $2, 'public', 2, 't', $3, 'self', 'submitted') returning id",
                              pid, YEAR, date(YEAR, 3, 1))
    response = await api.post(f"/api/v1/hr/records/{draft}/revoke", json={"reason": "x"}, headers=hr)
    assert response.status_code == 409 and "submitted" in response.json()["detail"]


async def test_client_limited_to_regions(api, db):
    from ce_service.auth.secrets import new_token, token_hash

    token = new_token()
    await db.execute("insert into api_clients (name, kind, token_hash, token_hint, regions) values"
                     " ('湖北人社', 'hr_system', $1, 'x', '{42}')", token_hash(token))
    await person(db, NID)  # a Kaili (522601) person
    body = (await api.post("/api/v1/hr/records", json={"records": [rec()]},
                           headers={"Authorization": f"Bearer {token}"})).json()
    assert body["rejected"] == 1 and body["results"][0]["errors"][0]["field"] == "national_id"


async def test_held_records_are_attached_when_the_person_is_added(api, db, hr):
    body = (await api.post("/api/v1/hr/records", json={"records": [rec("H-1"), rec("H-2", hours=3)]}, headers=hr)).json()
    assert body["held"] == 2
    person = {"name": "张三", "series": "engineering", "periods": [
        {"from_year": 2015, "level": "intermediate", "workplace": "standard", "region": "522601", "unit": UNIT}]}
    created = await api.put(f"/api/v1/persons/{NID}", json=person, headers=hr)
    assert created.status_code == 201
    rows = await db.fetch("select external_id, status, region_earned, source from records order by external_id")
    assert [(r["external_id"], r["status"], r["region_earned"], r["source"]) for r in rows] == [
        ("H-1", "registered", "522601", "hr"), ("H-2", "registered", "522601", "hr")]
    held = await db.fetch("select attached_record_id, attached_at from held_records")
    assert all(h["attached_record_id"] and h["attached_at"] for h in held)
    # A resend now is a duplicate of the attached record, never a second copy.
    again = (await api.post("/api/v1/hr/records", json={"records": [rec("H-1")]}, headers=hr)).json()
    assert again["duplicates"] == 1
    assert await db.fetchval("select count(*) from records") == 2


async def test_held_record_with_another_name_stays_held(api, db, hr):
    await api.post("/api/v1/hr/records", json={"records": [rec("H-9", name="张叁")]}, headers=hr)
    person = {"name": "张三", "series": "engineering", "periods": [
        {"from_year": 2015, "level": "intermediate", "workplace": "standard", "region": "522601", "unit": UNIT}]}
    await api.put(f"/api/v1/persons/{NID}", json=person, headers=hr)
    assert await db.fetchval("select count(*) from records") == 0
    assert await db.fetchval("select reason from held_records") == "name does not match the registry"


async def test_a_null_item_rejects_only_itself(api, db, hr):
    await person(db, NID)
    body = (await api.post("/api/v1/hr/records", json={"records": [None, rec("ok"), 5]}, headers=hr)).json()
    assert [r["status"] for r in body["results"]] == ["rejected", "accepted", "rejected"]


async def test_nul_character_rejects_only_its_record(api, db, hr):
    await person(db, NID)
    body = (await api.post("/api/v1/hr/records", json={"records": [rec("nul", course_title="a\u0000b"), rec("ok")]},
                           headers=hr)).json()
    assert [r["status"] for r in body["results"]] == ["rejected", "accepted"]
    assert body["results"][0]["errors"][0]["field"] == "course_title"


async def test_years_before_1950_are_rejected_not_a_500(api, db, hr):
    await person(db, NID)
    body = (await api.post("/api/v1/hr/records", json={"records": [rec("old", year=1900, completed_on="1900-05-20"),
                                                                     rec("ok")]}, headers=hr)).json()
    assert [r["status"] for r in body["results"]] == ["rejected", "accepted"]
    assert body["results"][0]["errors"][0]["field"] == "year"


async def test_a_held_record_is_attached_only_within_its_sender_s_scope_and_life(api, db, hr):
    """A region-52 client's record for someone not registered yet is held; if the person turns out to be Hubei's,
    or the sender was revoked meanwhile, it is not attached when the person is added: it stays held, with why."""
    guizhou = await api_client(db, "hr_system", "贵州人社")
    await db.execute("update api_clients set regions = '{52}' where name = '贵州人社'")
    gone = await api_client(db, "hr_system", "已停用系统")
    hubei_nid = national_id(301, region="420106")
    body = (await api.post("/api/v1/hr/records", json={"records": [rec("G-1", national_id=hubei_nid)]},
                           headers={"Authorization": f"Bearer {guizhou}"})).json()
    assert body["held"] == 1
    body = (await api.post("/api/v1/hr/records", json={"records": [rec("R-1")]},
                           headers={"Authorization": f"Bearer {gone}"})).json()
    assert body["held"] == 1
    await db.execute("update api_clients set revoked_at = now() where name = '已停用系统'")
    for nid, region in ((hubei_nid, "420106"), (NID, "522601")):
        person = {"name": "张三", "series": "engineering", "periods": [
            {"from_year": 2015, "level": "intermediate", "workplace": "standard", "region": region, "unit": UNIT}]}
        assert (await api.put(f"/api/v1/persons/{nid}", json=person, headers=hr)).status_code == 201
    assert await db.fetchval("select count(*) from records") == 0
    reasons = {r["external_id"]: r["reason"] for r in await db.fetch(
        "select external_id, reason from held_records where attached_at is null")}
    assert reasons == {"G-1": "the person is outside the regions the sending client may send for",
                       "R-1": "the sending client was revoked before the person was added"}
