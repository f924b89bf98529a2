"""The verification workflow: routing, queues, approve, return, approve many, revoke, the trail."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from litestar.testing import AsyncTestClient

from ce_service.app import create_app
from ce_service.audit.trail import verify_trail
from tests.builders import OTHER_UNIT, UNIT, api_client, national_id, person, sign_in, user

YEAR = date.today().year - 1
DRAFT = {"year": YEAR, "category": "professional", "hours": 20, "course_title": "工程质量管理",
         "completed_on": f"{YEAR}-05-20", "provider": "贵州省继续教育基地"}


@pytest.fixture
async def people(db) -> dict[str, int]:
    """An engineer and a doctor in Kaili (unit UNIT), their accounts, and reviewers of every kind."""
    engineer = await person(db, national_id(1), name="张三")
    doctor = await person(db, national_id(2), name="李四", series="health")
    await user(db, "engineer", "professional", person_id=engineer)
    await user(db, "doctor", "professional", person_id=doctor)
    await user(db, "unit", "unit_reviewer", unit_code=UNIT)
    await user(db, "unit2", "unit_reviewer", unit_code=UNIT)
    await user(db, "other-unit", "unit_reviewer", unit_code=OTHER_UNIT)
    await user(db, "hr", "hr_reviewer", region_prefix="5226")
    await user(db, "hr-hubei", "hr_reviewer", region_prefix="42")
    await user(db, "health", "health_reviewer", region_prefix="52")
    await user(db, "admin", "admin")
    return {"engineer": engineer, "doctor": doctor}


async def submitted(api, who: str, **changes) -> str:
    """Sign in as `who`, create and submit a record; returns its id (the client stays signed in as `who`)."""
    headers = await sign_in(api, who)
    record = (await api.post("/api/v1/me/records", json={**DRAFT, **changes}, headers=headers)).json()
    response = await api.post(f"/api/v1/me/records/{record['id']}/submit", headers=headers)
    assert response.status_code == 200 and response.json()["status"] == "submitted"
    return record["id"]


async def test_self_logged_hours_go_unit_then_hr_and_then_count(api, db, people):
    record_id = await submitted(api, "engineer")
    headers = await sign_in(api, "unit")
    queue = (await api.get("/api/v1/review/queue")).json()
    assert [i["id"] for i in queue["items"]] == [record_id] and queue["items"][0]["next_step"] == "unit"
    assert queue["items"][0]["national_id"] == national_id(1)
    approved = await api.post(f"/api/v1/review/records/{record_id}/approve", headers=headers)
    assert approved.status_code == 200 and approved.json()["status"] == "unit_approved"
    assert approved.json()["next_step"] == "hr"
    assert (await api.get("/api/v1/review/queue")).json()["total"] == 0

    headers = await sign_in(api, "hr")
    assert [i["id"] for i in (await api.get("/api/v1/review/queue")).json()["items"]] == [record_id]
    registered = await api.post(f"/api/v1/review/records/{record_id}/approve", headers=headers)
    assert registered.json()["status"] == "registered"
    history = registered.json()["history"]
    assert [(e["action"], e["to_status"], e["actor"]) for e in history] == [
        ("create", "draft", "engineer"), ("submit", "submitted", "engineer"), ("approve", "unit_approved", "unit"),
        ("register", "registered", "hr")]

    token = await api_client(db, "review_system")
    answer = (await api.get(f"/api/v1/compliance/{national_id(1)}", params={"from_year": YEAR, "to_year": YEAR},
                            headers={"Authorization": f"Bearer {token}"})).json()
    assert answer["years"][0]["registered"]["professional"] == 20
    assert (await verify_trail(db, {})).ok


async def test_health_series_goes_to_the_health_department(api, db, people):
    record_id = await submitted(api, "doctor")
    headers = await sign_in(api, "unit")
    await api.post(f"/api/v1/review/records/{record_id}/approve", headers=headers)
    await sign_in(api, "hr")
    assert (await api.get("/api/v1/review/queue")).json()["total"] == 0
    headers = await sign_in(api, "health")
    assert [i["id"] for i in (await api.get("/api/v1/review/queue")).json()["items"]] == [record_id]
    done = await api.post(f"/api/v1/review/records/{record_id}/approve", headers=headers)
    assert done.json()["status"] == "registered"


async def test_return_fix_and_resubmit(api, db, people):
    record_id = await submitted(api, "engineer")
    headers = await sign_in(api, "unit")
    missing = await api.post(f"/api/v1/review/records/{record_id}/return", json={"reason": " "}, headers=headers)
    assert missing.status_code == 422
    returned = await api.post(f"/api/v1/review/records/{record_id}/return", json={"reason": "证书照片不清晰"},
                              headers=headers)
    assert returned.json()["status"] == "returned"
    headers = await sign_in(api, "engineer")
    mine = (await api.get(f"/api/v1/me/records/{record_id}")).json()
    assert mine["status"] == "returned" and mine["status_reason"] == "证书照片不清晰"
    await api.patch(f"/api/v1/me/records/{record_id}", json={"hours": 18}, headers=headers)
    again = await api.post(f"/api/v1/me/records/{record_id}/submit", headers=headers)
    assert again.json()["status"] == "submitted"
    await sign_in(api, "unit")
    assert (await api.get("/api/v1/review/queue")).json()["items"][0]["hours"] == 18


@pytest.mark.parametrize("who", ["other-unit", "hr-hubei"])
async def test_outside_scope_is_404(api, db, people, who):
    record_id = await submitted(api, "engineer")
    headers = await sign_in(api, who)
    assert (await api.get("/api/v1/review/queue")).json()["total"] == 0
    assert (await api.get(f"/api/v1/review/records/{record_id}")).status_code == 404
    assert (await api.post(f"/api/v1/review/records/{record_id}/approve", headers=headers)).status_code == 404
    assert (await api.post(f"/api/v1/review/records/{record_id}/return", json={"reason": "x"},
                           headers=headers)).status_code == 404
    assert await db.fetchval("select status from records") == "submitted"


async def test_the_wrong_step_is_409_and_roles_without_a_queue_are_403(api, db, people):
    record_id = await submitted(api, "engineer")
    headers = await sign_in(api, "hr")  # in scope (region), but the unit decides first
    response = await api.post(f"/api/v1/review/records/{record_id}/approve", headers=headers)
    assert response.status_code == 409
    for who in ("engineer", "admin"):
        headers = await sign_in(api, who)
        assert (await api.get("/api/v1/review/queue")).status_code == 403
        assert (await api.post(f"/api/v1/review/records/{record_id}/approve", headers=headers)).status_code == 403


async def test_concurrent_decisions_apply_exactly_one(servers, database_url, settings, db, people, api):
    record_id = await submitted(api, "engineer")
    apps = [create_app(settings, database_url, servers.redis_url) for _ in range(2)]
    async with AsyncTestClient(app=apps[0], base_url="https://t.local") as a, AsyncTestClient(app=apps[1], base_url="https://t.local") as b:
        ha, hb = await sign_in(a, "unit"), await sign_in(b, "unit2")
        answers = await asyncio.gather(
            a.post(f"/api/v1/review/records/{record_id}/approve", headers=ha),
            b.post(f"/api/v1/review/records/{record_id}/return", json={"reason": "重复"}, headers=hb))
    assert sorted(r.status_code for r in answers) == [200, 409]
    loser = next(r for r in answers if r.status_code == 409)
    assert "not waiting for your decision" in loser.json()["detail"]
    decisions = await db.fetchval("select count(*) from record_events where action in ('approve', 'return')")
    assert decisions == 1


async def test_approve_many_checks_each(api, db, people):
    ids = [await submitted(api, "engineer", course_title=f"课程{i}") for i in range(3)]
    headers = await sign_in(api, "unit")
    body = {"record_ids": [*ids, "00000000-0000-0000-0000-000000000000"]}
    result = (await api.post("/api/v1/review/approve-many", json=body, headers=headers)).json()
    assert (result["approved"], result["failed"]) == (3, 1)
    assert [r["status"] for r in result["results"]] == ["unit_approved"] * 3 + ["error"]
    assert result["results"][3]["error"]["status"] == 404
    too_many = await api.post("/api/v1/review/approve-many", json={"record_ids": ids * 70}, headers=headers)
    assert too_many.status_code == 422


async def test_revoke_writes_the_integrity_file(api, db, people):
    record_id = await submitted(api, "engineer")
    for who in ("unit", "hr"):
        headers = await sign_in(api, who)
        await api.post(f"/api/v1/review/records/{record_id}/approve", headers=headers)
    headers = await sign_in(api, "unit")
    assert (await api.post(f"/api/v1/review/records/{record_id}/revoke", json={"reason": "伪造证书"},
                           headers=headers)).status_code == 403
    headers = await sign_in(api, "health")  # the health department does not answer for engineers
    assert (await api.post(f"/api/v1/review/records/{record_id}/revoke", json={"reason": "伪造证书"},
                           headers=headers)).status_code == 404
    headers = await sign_in(api, "hr")
    revoked = await api.post(f"/api/v1/review/records/{record_id}/revoke", json={"reason": "伪造证书"}, headers=headers)
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    entry = await db.fetchrow("select kind, reason, record_id::text as record_id from integrity_entries")
    assert dict(entry) == {"kind": "revocation", "reason": "伪造证书", "record_id": record_id}
    twice = await api.post(f"/api/v1/review/records/{record_id}/revoke", json={"reason": "x"}, headers=headers)
    assert twice.status_code == 409


async def test_queue_is_oldest_first_paged_and_filtered(api, db, people):
    ids = [await submitted(api, "engineer", course_title=f"课程{i}") for i in range(5)]
    await sign_in(api, "unit")
    first = (await api.get("/api/v1/review/queue", params={"limit": 2})).json()
    second = (await api.get("/api/v1/review/queue", params={"limit": 2, "offset": 2})).json()
    assert first["total"] == 5 and [i["id"] for i in first["items"] + second["items"]] == ids[:4]
    assert (await api.get("/api/v1/review/queue", params={"national_id": national_id(2)})).json()["total"] == 0
    assert (await api.get("/api/v1/review/queue", params={"year": YEAR - 3})).json()["total"] == 0
    assert (await api.get("/api/v1/review/queue", params={"source": "self"})).json()["total"] == 5
    assert (await api.get("/api/v1/review/queue", params={"status": "registered"})).status_code == 422


async def test_provider_records_go_to_hr_only_and_hr_records_are_registered(api, db, people):
    from ce_service.auth.models import ApiClient
    from ce_service.intake import service as intake

    provider = ApiClient(await db.fetchval("insert into api_clients (name, kind, token_hash, token_hint) values"
                                           " ('基地', 'provider', '\\x01', 'x') returning id"), "基地", "provider", [])
    raw = {"external_id": "P-1", "national_id": national_id(1), "name": "张三", "year": YEAR, "category": "professional",
           "hours": 8, "course_title": "新规范", "completed_on": f"{YEAR}-03-01"}
    out = await intake.accept_batch(db, provider, [raw], intake.PROVIDER, 200)
    assert out.accepted == 1
    row = await db.fetchrow("select status, route from records where external_id = 'P-1'")
    assert row["status"] == "submitted" and row["route"] == ["hr"]
    headers = await sign_in(api, "hr")
    queue = (await api.get("/api/v1/review/queue")).json()
    assert [i["course_title"] for i in queue["items"]] == ["新规范"]
    done = await api.post(f"/api/v1/review/records/{queue['items'][0]['id']}/approve", headers=headers)
    assert done.json()["status"] == "registered"


async def test_an_edited_event_breaks_the_chain_at_that_event(api, db, people):
    await submitted(api, "engineer")
    await submitted(api, "engineer", course_title="第二门")
    assert (await verify_trail(db, {})).ok
    target = await db.fetchval("select id from record_events order by chain_seq offset 2 limit 1")
    # What only a database superuser could do: lift the append-only guard and change history.
    await db.execute("alter table record_events disable trigger record_events_append_only")
    await db.execute("update record_events set actor_name = '篡改' where id = $1", target)
    await db.execute("alter table record_events enable trigger record_events_append_only")
    report = await verify_trail(db, {})
    assert any(f"event {target} " in f and "edited" in f for f in report.findings), report.findings


async def test_a_removed_last_event_is_detected(api, db, people):
    await submitted(api, "engineer")
    await db.execute("alter table record_events disable trigger record_events_append_only")
    await db.execute("delete from record_events where chain_seq = (select max(chain_seq) from record_events)")
    await db.execute("alter table record_events enable trigger record_events_append_only")
    report = await verify_trail(db, {})
    assert any("removed" in f for f in report.findings), report.findings


async def _registered_for(api, who_logs: str) -> str:
    record_id = await submitted(api, who_logs)
    for who in ("unit", "hr"):
        headers = await sign_in(api, who)
        await api.post(f"/api/v1/review/records/{record_id}/approve", headers=headers)
    return record_id


async def test_registration_form_pdf_reads_back(api, db, people, tmp_path):
    from pypdf import PdfReader

    await db.execute("insert into units (credit_code, name, kind, region) values ($1, '凯里市建筑设计院', 'enterprise', '522601')",
                     UNIT)
    await _registered_for(api, "engineer")
    await sign_in(api, "hr")
    response = await api.get(f"/api/v1/review/forms/{national_id(1)}", params={"year": YEAR})
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert "attachment" in response.headers["content-disposition"]
    (tmp_path / "form.pdf").write_bytes(response.content)
    text = "".join(page.extract_text() for page in PdfReader(tmp_path / "form.pdf").pages)
    for expected in ("专业技术人员继续教育学时审核登记表", "张三", national_id(1), "凯里市建筑设计院", "工程质量管理",
                     "专业科目", "已登记", "GZ-2021-ON", "未达标", "审核验印登记", "hr", "单位公章"):
        assert expected in text, expected


async def test_registration_form_xlsx_reads_back(api, db, people, tmp_path):
    from openpyxl import load_workbook

    await _registered_for(api, "engineer")
    await sign_in(api, "unit")
    response = await api.get(f"/api/v1/review/forms/{national_id(1)}", params={"year": YEAR, "format": "xlsx"})
    assert response.status_code == 200
    (tmp_path / "form.xlsx").write_bytes(response.content)
    cells = [str(c) for row in load_workbook(tmp_path / "form.xlsx").active.iter_rows(values_only=True)
             for c in row if c is not None]
    assert "专业技术人员继续教育学时审核登记表" in cells and "工程质量管理" in cells and "20" in cells
    assert "审核通过" in cells and "审核验印登记" in cells


async def test_registration_form_scope(api, db, people):
    await _registered_for(api, "engineer")
    await sign_in(api, "other-unit")
    assert (await api.get(f"/api/v1/review/forms/{national_id(1)}", params={"year": YEAR})).status_code == 404
    await sign_in(api, "hr")
    assert (await api.get(f"/api/v1/review/forms/{national_id(1)}",
                          params={"year": YEAR, "format": "doc"})).status_code == 422
    await sign_in(api, "engineer")
    mine = await api.get("/api/v1/me/form", params={"year": YEAR})
    assert mine.status_code == 200 and mine.content.startswith(b"%PDF")
    await sign_in(api, "doctor")
    assert (await api.get(f"/api/v1/review/forms/{national_id(1)}", params={"year": YEAR})).status_code == 403


# Every role against every action, on an engineer's record waiting for the unit step.
# Expected: 200 done, 404 outside scope (existence not revealed), 409 in scope but not this step,
# 403 a role that does not review (or may not revoke). The health department's scope is the health
# series only, HR's every other series.
MATRIX = {
    #               get   approve return revoke
    "unit":        (200,  200,    200,   403),
    "other-unit":  (404,  404,    404,   403),
    "hr":          (200,  409,    409,   409),
    "hr-hubei":    (404,  404,    404,   404),
    "health":      (404,  404,    404,   404),
    "engineer":    (403,  403,    403,   403),
    "doctor":      (403,  403,    403,   403),
    "admin":       (403,  403,    403,   403),
}


@pytest.mark.parametrize("who", list(MATRIX))
async def test_authorization_matrix(api, db, people, who):
    record_id = await submitted(api, "engineer")
    headers = await sign_in(api, who)
    expected = MATRIX[who]
    got = (
        (await api.get(f"/api/v1/review/records/{record_id}")).status_code,
        (await api.post(f"/api/v1/review/records/{record_id}/approve", headers=headers)).status_code,
    )
    # approve may have changed the state; return and revoke are tried on a fresh record
    record_id = await submitted(api, "engineer")
    headers = await sign_in(api, who)
    got += (
        (await api.post(f"/api/v1/review/records/{record_id}/return", json={"reason": "r"}, headers=headers)).status_code,
        (await api.post(f"/api/v1/review/records/{record_id}/revoke", json={"reason": "r"}, headers=headers)).status_code,
    )
    assert got == expected


async def test_a_thousand_records_cleared_by_unit_then_hr(api, db, people):
    pid = people["engineer"]
    await db.execute(
        "insert into records (person_id, year, category, half_hours, course_title, completed_on, source, status,"
        " route, step, submitted_at) select $1, $2, 'professional', 2, '课程' || n, $3, 'self', 'submitted',"
        " '{unit,hr}', 0, now() from generate_series(1, 1000) n", pid, YEAR, date(YEAR, 4, 1))
    for who, after in (("unit", "unit_approved"), ("hr", "registered")):
        headers = await sign_in(api, who)
        while (page := (await api.get("/api/v1/review/queue", params={"limit": 200})).json())["items"]:
            result = (await api.post("/api/v1/review/approve-many", json={"record_ids": [i["id"] for i in page["items"]]},
                                     headers=headers)).json()
            assert result["failed"] == 0 and {r["status"] for r in result["results"]} == {after}
    assert await db.fetchval("select count(*) from records where status = 'registered'") == 1000
    assert await db.fetchval("select count(*) from record_events where action in ('approve', 'register')") == 2000
    report = await verify_trail(db, {})
    assert report.ok and report.events == await db.fetchval("select count(*) from record_events")


async def test_a_new_verifier_kind_is_a_data_change(api, db, people):
    # An industry department (农业农村部门) verifying agriculture hours after the unit, set up with data only.
    await db.execute("insert into verifier_kinds (code, name_zh, role, scope, series_only)"
                     " values ('agri', '农业农村部门', 'agri_reviewer', 'region', 'agriculture')")
    await db.execute("insert into routing_rules (source, series, steps) values ('self', 'agriculture', '{unit,agri}')")
    farmer = await person(db, national_id(3), name="王五", series="agriculture")
    await user(db, "farmer", "professional", person_id=farmer)
    await user(db, "agri", "agri_reviewer", region_prefix="52")
    record_id = await submitted(api, "farmer")
    headers = await sign_in(api, "unit")
    assert (await api.post(f"/api/v1/review/records/{record_id}/approve", headers=headers)).json()["next_step"] == "agri"
    await sign_in(api, "hr")
    assert (await api.get("/api/v1/review/queue")).json()["total"] == 0
    headers = await sign_in(api, "agri")
    assert [i["id"] for i in (await api.get("/api/v1/review/queue")).json()["items"]] == [record_id]
    done = await api.post(f"/api/v1/review/records/{record_id}/approve", headers=headers)
    assert done.json()["status"] == "registered"
    # …and an agriculture reviewer sees nothing of other series.
    assert (await api.get(f"/api/v1/review/forms/{national_id(1)}", params={"year": YEAR})).status_code == 404


async def test_users_of_a_new_reviewer_role_are_bound_to_its_scope(db):
    from ce_service.auth.service import create_user
    from ce_service.errors import Invalid

    await db.execute("insert into verifier_kinds (code, name_zh, role, scope) values ('agri', '农业', 'agri_reviewer', 'region')")
    with pytest.raises(Invalid, match="region"):
        await create_user(db, username="a", display_name="a", role="agri_reviewer", password="long-enough")
    assert await create_user(db, username="a", display_name="a", role="agri_reviewer", password="long-enough",
                             region_prefix="52")
    with pytest.raises(Invalid, match="role"):
        await create_user(db, username="b", display_name="b", role="wizard", password="long-enough")


async def test_routing_is_changed_as_data(db):
    from ce_service.errors import Invalid
    from ce_service.review.routing import routing_table, set_route

    await set_route(db, "provider", None, "5226", ["unit", "hr"], "黔东南：培训机构学时也经单位确认")
    assert await db.fetchval("select route_for('provider', 'engineering', '522601')") == ["unit", "hr"]
    assert await db.fetchval("select route_for('provider', 'engineering', '520102')") == ["hr"]
    assert await db.fetchval("select route_for('provider', 'health', '522601')") == ["health"]  # series beats region
    await set_route(db, "provider", None, "5226", ["hr"])
    assert await db.fetchval("select route_for('provider', 'engineering', '522601')") == ["hr"]
    assert len(await routing_table(db)) == 24
    with pytest.raises(Invalid, match="steps"):
        await set_route(db, "self", None, "", ["unit", "wizard"])
    with pytest.raises(Invalid, match="source"):
        await set_route(db, "email", None, "", ["unit"])
