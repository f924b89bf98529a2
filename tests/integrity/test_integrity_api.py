"""The integrity file (诚信档案) over the API: HR systems enter and read it, reviewers read it in scope,
every revocation is an entry, and the units whose approvals were revoked are listed."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta, timezone

import pytest

from ce_service import clock
from ce_service.auth.secrets import new_token, token_hash
from ce_service.identity import mask_national_id
from tests.builders import OTHER_UNIT, UNIT, api_client, national_id, person, record, sign_in, user

NID = national_id(11)                      # an engineer in Kaili (Guizhou), unit UNIT
HUBEI = national_id(12, region="420100")   # an engineer in Wuhan (Hubei), unit OTHER_UNIT
TODAY = clock.today()


@pytest.fixture(autouse=True)
def same_today(monkeypatch):
    """The service's today is the tests' TODAY, also when a run crosses midnight in China."""
    monkeypatch.setattr(clock, "today", lambda: TODAY)
ENTRY = {"kind": "falsification", "reason": "伪造继续教育学时证明", "date": (TODAY - timedelta(days=3)).isoformat(),
         "document": "黔人社诚〔2024〕3号", "bars_declaration": True}


async def client_for(db, kind: str, regions: list[str]) -> dict[str, str]:
    """Headers of a client of `kind` limited to `regions`."""
    token = new_token()
    await db.execute("insert into api_clients (name, kind, token_hash, token_hint, regions) values ($1, $2, $3, $4, $5)",
                     f"{kind} {regions}", kind, token_hash(token), token[:7], regions)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def world(db) -> dict:
    """Two people (Guizhou, Hubei), an HR system for everywhere and one for Hubei, and reviewers of every kind."""
    guizhou = await person(db, NID, name="张三")
    hubei = await person(db, HUBEI, name="王五", periods=[(2015, "intermediate", "standard", "420100", OTHER_UNIT)])
    await db.execute("insert into units (credit_code, name, region) values ($1, '凯里市建筑设计院', '522601')", UNIT)
    await user(db, "pro", "professional", person_id=guizhou)
    await user(db, "unit", "unit_reviewer", unit_code=UNIT)
    await user(db, "other-unit", "unit_reviewer", unit_code=OTHER_UNIT)
    await user(db, "hr", "hr_reviewer", region_prefix="5226")
    await user(db, "hr-hubei", "hr_reviewer", region_prefix="42")
    await user(db, "health", "health_reviewer", region_prefix="52")
    return {"guizhou": guizhou, "hubei": hubei,
            "hr_system": {"Authorization": "Bearer " + await api_client(db, "hr_system", "省人社厅人事系统")},
            "hubei_system": await client_for(db, "hr_system", ["42"])}


async def test_hr_system_enters_falsification_and_reads_it_back(api, db, world, caplog):
    """Seeds 001/002: "弄虚作假、学术不端…记入诚信档案库。情节严重的，取消三年内职称申报及岗位晋升资格"."""
    caplog.set_level(logging.INFO)
    created = await api.post(f"/api/v1/persons/{NID}/integrity", json=ENTRY, headers=world["hr_system"])
    assert created.status_code == 201, created.text
    entry = created.json()
    assert {k: entry[k] for k in ("national_id", "kind", "reason", "date", "document", "bars_declaration",
                                  "record_id")} == {**ENTRY, "national_id": mask_national_id(NID), "record_id": None}
    assert entry["recorded_by"].startswith("省人社厅人事系统 (hr_system")
    datetime.fromisoformat(entry["recorded_at"])
    stored = await db.fetchrow("select person_id, entry_date, actor_kind, actor_id from integrity_entries")
    assert stored["person_id"] == world["guizhou"] and stored["entry_date"] == date.fromisoformat(ENTRY["date"])
    assert stored["actor_kind"] == "client" and stored["actor_id"] is not None

    listed = await api.get(f"/api/v1/persons/{NID}/integrity", headers=world["hr_system"])
    assert listed.status_code == 200
    assert listed.json() == {"national_id": mask_national_id(NID), "entries": [entry]}
    # What users wrote is never logged, and ID numbers only masked.
    assert NID not in caplog.text and ENTRY["reason"] not in caplog.text


async def test_seed_004_blacklist_is_an_entry_like_the_others(api, world):
    """Seed 004: "记入…职称失信黑名单，且仍在记录期限的不得申报"."""
    body = {**ENTRY, "kind": "blacklist", "reason": "列入职称失信黑名单", "document": ""}
    created = await api.post(f"/api/v1/persons/{NID}/integrity", json=body, headers=world["hr_system"])
    assert created.status_code == 201 and created.json()["kind"] == "blacklist"
    without_document = {k: v for k, v in body.items() if k != "document"}
    again = await api.post(f"/api/v1/persons/{NID}/integrity", json=without_document, headers=world["hr_system"])
    assert again.status_code == 201 and again.json()["document"] == ""


@pytest.mark.parametrize(("changes", "field"), [
    ({"kind": "revocation"}, "kind"),             # revocations come from revoking a record
    ({"kind": "fraud"}, "kind"),
    ({"kind": 1}, "kind"),
    ({"reason": ""}, "reason"),
    ({"reason": "   "}, "reason"),
    ({"reason": "假" * 1001}, "reason"),
    ({"reason": "a\u0000b"}, "reason"),
    ({"reason": None}, "reason"),
    ({"document": "文" * 1001}, "document"),
    ({"document": "x\u0000"}, "document"),
    ({"date": (TODAY + timedelta(days=1)).isoformat()}, "date"),
    ({"date": "1949-12-31"}, "date"),
    ({"date": "2024-02-30"}, "date"),
    ({"date": "yesterday"}, "date"),
    ({"bars_declaration": "true"}, "bars_declaration"),
    ({"bars_declaration": 1}, "bars_declaration"),
])
async def test_every_invalid_field_is_named(api, db, world, changes, field):
    answer = await api.post(f"/api/v1/persons/{NID}/integrity", json={**ENTRY, **changes}, headers=world["hr_system"])
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in answer.json()["errors"]] == [field], answer.text
    assert await db.fetchval("select count(*) from integrity_entries") == 0


async def test_several_errors_at_once_unknown_and_missing_fields(api, db, world):
    both = {**ENTRY, "reason": " ", "date": (TODAY + timedelta(days=30)).isoformat()}
    answer = await api.post(f"/api/v1/persons/{NID}/integrity", json=both, headers=world["hr_system"])
    assert answer.status_code == 422 and {e["field"] for e in answer.json()["errors"]} == {"reason", "date"}
    unknown = await api.post(f"/api/v1/persons/{NID}/integrity", json={**ENTRY, "barred_until": "2030-01-01"},
                             headers=world["hr_system"])
    assert unknown.status_code == 422 and "barred_until" in unknown.json()["detail"]
    missing = await api.post(f"/api/v1/persons/{NID}/integrity", json={k: v for k, v in ENTRY.items() if k != "kind"},
                             headers=world["hr_system"])
    assert missing.status_code == 422 and "kind" in missing.json()["detail"]
    assert await db.fetchval("select count(*) from integrity_entries") == 0


async def test_malformed_and_unknown_people(api, world):
    for bad in ("52260119800101123", NID[:-1] + ("0" if NID[-1] != "0" else "1"), "x" * 18):
        for method in ("POST", "GET"):
            answer = await api.request(method, f"/api/v1/persons/{bad}/integrity", json=ENTRY if method == "POST" else None,
                                       headers=world["hr_system"])
            assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "national_id", (bad, method)
    stranger = national_id(999)
    assert (await api.post(f"/api/v1/persons/{stranger}/integrity", json=ENTRY,
                           headers=world["hr_system"])).status_code == 404
    assert (await api.get(f"/api/v1/persons/{stranger}/integrity", headers=world["hr_system"])).status_code == 404


async def test_a_client_acts_only_for_its_regions(api, db, world):
    hubei = world["hubei_system"]
    assert (await api.post(f"/api/v1/persons/{NID}/integrity", json=ENTRY, headers=hubei)).status_code == 404
    assert (await api.get(f"/api/v1/persons/{NID}/integrity", headers=hubei)).status_code == 404
    assert await db.fetchval("select count(*) from integrity_entries") == 0
    assert (await api.post(f"/api/v1/persons/{HUBEI}/integrity", json=ENTRY, headers=hubei)).status_code == 201
    assert len((await api.get(f"/api/v1/persons/{HUBEI}/integrity", headers=hubei)).json()["entries"]) == 1
    review_system = {"Authorization": "Bearer " + await api_client(db, "review_system")}
    assert (await api.get(f"/api/v1/persons/{NID}/integrity", headers=review_system)).status_code == 403
    assert (await api.post(f"/api/v1/persons/{NID}/integrity", json=ENTRY, headers=review_system)).status_code == 403


async def test_newest_first_by_date_then_by_when_written(api, world):
    days = [10, 2, 30, 2]
    ids = []
    for i, ago in enumerate(days):
        body = {**ENTRY, "reason": f"第{i}条", "date": (TODAY - timedelta(days=ago)).isoformat()}
        ids.append((await api.post(f"/api/v1/persons/{NID}/integrity", json=body, headers=world["hr_system"])).json()["id"])
    entries = (await api.get(f"/api/v1/persons/{NID}/integrity", headers=world["hr_system"])).json()["entries"]
    assert [e["id"] for e in entries] == [ids[3], ids[1], ids[0], ids[2]]
    today = {**ENTRY, "date": TODAY.isoformat()}   # today (China) is not the future
    assert (await api.post(f"/api/v1/persons/{NID}/integrity", json=today, headers=world["hr_system"])).status_code == 201


async def test_reviewers_read_the_file_in_their_scope(api, db, world):
    await api.post(f"/api/v1/persons/{NID}/integrity", json=ENTRY, headers=world["hr_system"])
    for who, status in [("unit", 200), ("hr", 200), ("other-unit", 404), ("hr-hubei", 404), ("health", 404),
                        ("pro", 403)]:
        await sign_in(api, who)
        answer = await api.get(f"/api/v1/persons/{NID}/integrity")
        assert answer.status_code == status, (who, answer.text)
        if status == 200:   # reviewers verify this person: the full ID number
            assert answer.json()["national_id"] == NID and answer.json()["entries"][0]["national_id"] == NID
    # Signed-in reviewers do not write through the API: that is the HR systems' (and the web form's).
    headers = await sign_in(api, "hr")
    assert (await api.post(f"/api/v1/persons/{NID}/integrity", json=ENTRY, headers=headers)).status_code == 401


async def _submitted(api, db) -> str:
    headers = await sign_in(api, "pro")
    year = TODAY.year - 1
    draft = {"year": year, "category": "professional", "hours": 20, "course_title": "工程质量管理",
             "completed_on": f"{year}-05-20", "provider": "贵州省继续教育基地"}
    created = (await api.post("/api/v1/me/records", json=draft, headers=headers)).json()
    assert (await api.post(f"/api/v1/me/records/{created['id']}/submit", headers=headers)).status_code == 200
    return created["id"]


async def _approved_by_unit_and_hr(api, db) -> str:
    record_id = await _submitted(api, db)
    for who in ("unit", "hr"):
        headers = await sign_in(api, who)
        assert (await api.post(f"/api/v1/review/records/{record_id}/approve", headers=headers)).status_code == 200
    return record_id


async def test_every_revocation_is_an_entry(api, db, world):
    """Seeds 001/002: "弄虚作假…记入诚信档案库": hours revoked by an HR system or by an HR reviewer."""
    by_reviewer = await _approved_by_unit_and_hr(api, db)
    headers = await sign_in(api, "hr")
    revoked = await api.post(f"/api/v1/review/records/{by_reviewer}/revoke", json={"reason": "证书系伪造"},
                             headers=headers)
    assert revoked.status_code == 200
    by_system = await record(db, world["guizhou"], TODAY.year - 1, "public", 10, source="hr")
    revoked = await api.post(f"/api/v1/hr/records/{by_system}/revoke", json={"reason": "重复登记"},
                             headers=world["hr_system"])
    assert revoked.status_code == 200

    entries = (await api.get(f"/api/v1/persons/{NID}/integrity", headers=world["hr_system"])).json()["entries"]
    assert [(e["kind"], e["record_id"], e["reason"], e["date"], e["bars_declaration"]) for e in entries] == [
        ("revocation", by_system, "重复登记", TODAY.isoformat(), False),
        ("revocation", by_reviewer, "证书系伪造", TODAY.isoformat(), False)]
    assert entries[0]["recorded_by"].startswith("省人社厅人事系统") and entries[1]["recorded_by"].startswith("hr (hr_reviewer")
    rows = await db.fetch("select actor_kind, actor_id from integrity_entries order by id")
    assert [r["actor_kind"] for r in rows] == ["user", "client"] and all(r["actor_id"] for r in rows)
    # A refused revocation writes nothing: the entry is in the revocation's transaction.
    again = await api.post(f"/api/v1/hr/records/{by_system}/revoke", json={"reason": "x"}, headers=world["hr_system"])
    assert again.status_code == 409 and await db.fetchval("select count(*) from integrity_entries") == 2


async def test_the_file_is_append_only(db, world):
    await db.execute("insert into integrity_entries (person_id, kind, reason, actor, entry_date, actor_kind)"
                     " values ($1, 'misconduct', '抄袭', 'test', $2, 'system')", world["guizhou"], TODAY)
    for statement in ("update integrity_entries set reason = 'x'", "delete from integrity_entries"):
        with pytest.raises(Exception, match="append-only"):
            await db.execute(statement)
    with pytest.raises(Exception, match="integrity_entries_kind"):
        await db.execute("insert into integrity_entries (person_id, kind, reason, actor, actor_kind)"
                         " values ($1, 'hours_revoked', 'x', 'test', 'system')", world["guizhou"])


async def _revoked_approval(db, person_id: int, unit: str, approver: str, approved_at: datetime,
                            revoked_at: datetime, reason: str) -> str:
    """A record a unit reviewer approved, registered by HR, then revoked (the events as the services write them)."""
    rid = await record(db, person_id, TODAY.year - 1, "professional", 5, history=[("submitted", approved_at)])
    events = [(approved_at, approver, "unit_reviewer", unit, "approve", "submitted", "unit_approved", None),
              (approved_at + timedelta(days=1), "人社审核员", "hr_reviewer", "5226", "register", "unit_approved",
               "registered", None),
              (revoked_at, "人社审核员", "hr_reviewer", "5226", "revoke", "registered", "revoked", reason)]
    for at, name, role, scope, action, before, after, why in events:
        await db.execute("insert into record_events (record_id, at, actor_kind, actor_name, role, scope, action,"
                         " from_status, to_status, reason) values ($1, $2, 'user', $3, $4, $5, $6, $7, $8, $9)",
                         rid, at, name, role, scope, action, before, after, why)
    await db.execute("update records set status = 'revoked', status_reason = $2, revoked_at = $3 where id = $1",
                     rid, reason, revoked_at)
    return rid


async def test_units_whose_approvals_were_revoked(api, db, world):
    """Seed 001 三(一): "对不按规定审核、违反诚信承诺推荐的用人单位标记"."""
    record_id = await _approved_by_unit_and_hr(api, db)
    headers = await sign_in(api, "hr")
    await api.post(f"/api/v1/review/records/{record_id}/revoke", json={"reason": "证书系伪造"}, headers=headers)
    # Revoked without any unit having approved it: no unit to flag.
    pushed = await record(db, world["guizhou"], TODAY.year - 1, "public", 3, source="hr")
    await api.post(f"/api/v1/hr/records/{pushed}/revoke", json={"reason": "重复"}, headers=world["hr_system"])

    page = await api.get("/api/v1/integrity/units", headers=world["hr_system"])
    assert page.status_code == 200, page.text
    body = page.json()
    assert body["next_after"] is None and len(body["items"]) == 1
    item = body["items"][0]
    assert {k: item[k] for k in ("unit_code", "unit_name", "record_id", "approved_by", "revocation_reason")} == {
        "unit_code": UNIT, "unit_name": "凯里市建筑设计院", "record_id": record_id, "approved_by": "unit",
        "revocation_reason": "证书系伪造"}
    assert datetime.fromisoformat(item["approved_at"]) <= datetime.fromisoformat(item["revoked_at"])

    assert (await api.get("/api/v1/integrity/units")).status_code == 200          # the HR reviewer, signed in
    assert len((await api.get("/api/v1/integrity/units")).json()["items"]) == 1
    await sign_in(api, "hr-hubei")
    assert (await api.get("/api/v1/integrity/units")).json()["items"] == []
    await sign_in(api, "health")   # the health department answers for the health series only
    assert (await api.get("/api/v1/integrity/units")).json()["items"] == []
    await sign_in(api, "unit")
    assert (await api.get("/api/v1/integrity/units")).status_code == 403
    assert (await api.get("/api/v1/integrity/units", headers=world["hubei_system"])).json()["items"] == []


async def test_units_list_is_newest_revocation_first_in_pages(api, db, world):
    base = datetime(TODAY.year - 1, 6, 1, tzinfo=timezone.utc)
    ids = [await _revoked_approval(db, world["guizhou"], UNIT, f"审核员{i}", base, base + timedelta(days=10 + i),
                                   f"原因{i}") for i in range(5)]
    hubei = await _revoked_approval(db, world["hubei"], OTHER_UNIT, "武汉审核员", base, base + timedelta(days=50), "外省")
    seen, after = [], None
    while True:
        params = {"limit": 2} | ({"after": after} if after is not None else {})
        page = (await api.get("/api/v1/integrity/units", params=params, headers=world["hr_system"])).json()
        seen += page["items"]
        after = page["next_after"]
        if after is None:
            break
    assert [i["record_id"] for i in seen] == [hubei, *reversed(ids)]
    assert seen[0]["unit_code"] == OTHER_UNIT and seen[0]["unit_name"] is None
    assert [i["approved_by"] for i in seen[1:]] == [f"审核员{i}" for i in reversed(range(5))]
    only_hubei = (await api.get("/api/v1/integrity/units", headers=world["hubei_system"])).json()["items"]
    assert [i["record_id"] for i in only_hubei] == [hubei]


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 501}, {"limit": "ten"}, {"after": "abc"}, {"after": 0},
                                    {"after": -5}, {"after": 987654321}, {"after": 2**63}, {"after": 10**25}])
async def test_units_list_refuses_bad_paging(api, world, params):
    answer = await api.get("/api/v1/integrity/units", params=params, headers=world["hr_system"])
    assert answer.status_code == 422, (params, answer.text)
    assert [e["field"] for e in answer.json()["errors"]] == [next(iter(params))]
