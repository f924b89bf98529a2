"""A course logged by the professional and sent by an official source counts once, in either order."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from tests.builders import api_client, national_id, person, sign_in, user

NID = national_id(77)
YEAR = date.today().year - 1
OWN = {"year": YEAR, "category": "professional", "hours": 12.5, "course_title": "建筑结构抗震设计新规范",
       "completed_on": f"{YEAR}-05-20", "provider": "贵州省继续教育基地", "course_code": "JZ-07"}


def official(external_id: str, **changes) -> dict:
    return {"external_id": external_id, "national_id": NID, "name": "张三", "year": YEAR, "category": "professional",
            "hours": 12.5, "course_title": "建筑结构抗震设计新规范（2023版）", "completed_on": f"{YEAR}-05-20",
            **changes}


@pytest.fixture
async def setup(api, db):
    pid = await person(db, NID)
    await user(db, "zhangsan", "professional", person_id=pid)
    csrf = await sign_in(api, "zhangsan")
    hr = {"Authorization": "Bearer " + await api_client(db, "hr_system", "人社")}
    review = {"Authorization": "Bearer " + await api_client(db, "review_system", "评审")}
    provider = {"Authorization": "Bearer " + await api_client(db, "provider", "贵州省继续教育基地")}
    return {"pid": pid, "csrf": csrf, "hr": hr, "review": review, "provider": provider}


async def own_submitted(api, csrf, body=OWN) -> dict:
    created = (await api.post("/api/v1/me/records", json=body, headers=csrf)).json()
    return (await api.post(f"/api/v1/me/records/{created['id']}/submit", headers=csrf)).json()


async def professional_hours(api, review) -> dict:
    answer = (await api.get(f"/api/v1/compliance/{NID}?from_year={YEAR}&to_year={YEAR}", headers=review)).json()
    year = answer["years"][0]
    return {"registered": year["registered"]["professional"], "pending": year["pending"]["professional"]}


async def test_official_after_self_logged_supersedes_it(api, db, setup):
    own = await own_submitted(api, setup["csrf"])
    before = datetime.now(timezone.utc)
    assert await professional_hours(api, setup["review"]) == {"registered": 0, "pending": 12.5}
    # The HR system's records are registered on arrival.
    pushed = (await api.post("/api/v1/hr/records", json={"records": [official("HR-1", course_code="JZ-07")]},
                             headers=setup["hr"])).json()
    assert pushed["accepted"] == 1
    official_id = pushed["results"][0]["record_id"]
    mine = (await api.get(f"/api/v1/me/records/{own['id']}")).json()
    assert mine["status"] == "superseded" and mine["superseded_by"] == official_id
    assert "人社部门" in mine["status_reason"] and "以该记录为准" in mine["status_reason"]
    assert mine["history"][-1]["action"] == "supersede"
    # Counted once now, and the answer as it stood before still shows the own record as pending.
    assert await professional_hours(api, setup["review"]) == {"registered": 12.5, "pending": 0}
    past = (await api.get(f"/api/v1/compliance/{NID}?from_year={YEAR}&to_year={YEAR}&as_of={before.isoformat()}",
                          headers=setup["review"])).json()
    assert past["years"][0]["pending"]["professional"] == 12.5


async def test_a_registered_own_record_is_never_taken_away_but_flagged(api, db, setup):
    """The red team's attack: a 0.5 h push with the same course code wiped a registered 40 h record."""
    own = await own_submitted(api, setup["csrf"], {**OWN, "hours": 40})
    unit = await db.fetchval("select unit_code from person_periods where person_id = $1 limit 1", setup["pid"])
    await user(db, "unit1", "unit_reviewer", unit_code=unit)
    await user(db, "hr1", "hr_reviewer", region_prefix="52")
    for reviewer in ("unit1", "hr1"):
        csrf = await sign_in(api, reviewer)
        approved = await api.post(f"/api/v1/review/records/{own['id']}/approve", headers=csrf)
        assert approved.status_code == 200, approved.text
    assert (await db.fetchval("select status from records where id = $1", own["id"])) == "registered"
    tiny = official("HR-7", hours=0.5, course_code="jz-07")
    assert (await api.post("/api/v1/hr/records", json={"records": [tiny]}, headers=setup["hr"])).json()["accepted"] == 1
    assert (await db.fetchval("select status from records where id = $1", own["id"])) == "registered"
    assert await professional_hours(api, setup["review"]) == {"registered": 40.5, "pending": 0}
    assert await db.fetchval("select count(*) from duplicate_flags") == 0
    # The same course with the same date and hours, registered on both sides: both stay, flagged for a reviewer.
    same = official("HR-8", hours=40, course_code="JZ-07")
    pushed = (await api.post("/api/v1/hr/records", json={"records": [same]}, headers=setup["hr"])).json()
    assert (await db.fetchval("select status from records where id = $1", own["id"])) == "registered"
    flag = await db.fetchrow("select record_id, official_id, reason, closed_at from duplicate_flags")
    assert str(flag["record_id"]) == own["id"] and str(flag["official_id"]) == pushed["results"][0]["record_id"]
    assert "请审核人员核实" in flag["reason"] and flag["closed_at"] is None


async def test_self_logged_after_official_is_superseded_once_the_official_is_registered(api, db, setup):
    pushed = (await api.post("/api/v1/provider/records", json={"records": [official("P-1")]},
                             headers=setup["provider"])).json()
    assert pushed["accepted"] == 1
    official_id = pushed["results"][0]["record_id"]
    # The provider's record waits for HR: it does not take the own record's place yet.
    mine = await own_submitted(api, setup["csrf"], {**OWN, "course_code": None})
    assert mine["status"] == "submitted"
    assert await professional_hours(api, setup["review"]) == {"registered": 0, "pending": 25}
    await user(db, "hr1", "hr_reviewer", region_prefix="52")
    hr_csrf = await sign_in(api, "hr1")
    approved = await api.post(f"/api/v1/review/records/{official_id}/approve", headers=hr_csrf)
    assert approved.json()["status"] == "registered", approved.text
    row = await db.fetchrow("select status, superseded_by, status_reason from records where id = $1", mine["id"])
    assert row["status"] == "superseded" and str(row["superseded_by"]) == official_id
    assert "培训机构" in row["status_reason"] or "贵州省继续教育基地" in row["status_reason"]
    assert await professional_hours(api, setup["review"]) == {"registered": 12.5, "pending": 0}


async def test_a_different_course_counts_beside_it(api, db, setup):
    mine = await own_submitted(api, setup["csrf"], {**OWN, "course_code": None})
    other = official("HR-2", hours=8, course_title="医院感染管理", completed_on=f"{YEAR}-09-01")
    assert (await api.post("/api/v1/hr/records", json={"records": [other]}, headers=setup["hr"])).json()["accepted"] == 1
    assert (await api.get(f"/api/v1/me/records/{mine['id']}")).json()["status"] == "submitted"
    assert await professional_hours(api, setup["review"]) == {"registered": 8, "pending": 12.5}


async def test_a_waiting_official_record_does_not_supersede(api, db, setup):
    await api.post("/api/v1/provider/records", json={"records": [official("P-9")]}, headers=setup["provider"])
    mine = await own_submitted(api, setup["csrf"], {**OWN, "course_code": None})
    assert mine["status"] == "submitted"


@pytest.mark.parametrize("by", ["hr_system", "hr_reviewer"])
async def test_a_revoked_official_record_gives_the_own_record_back(api, db, setup, by):
    """Revoked (fraud found), the official record stops counting and the person's own record waits again."""
    mine = await own_submitted(api, setup["csrf"], {**OWN, "course_code": None})
    pushed = (await api.post("/api/v1/hr/records", json={"records": [official("HR-5")]}, headers=setup["hr"])).json()
    official_id = pushed["results"][0]["record_id"]
    assert (await api.get(f"/api/v1/me/records/{mine['id']}")).json()["status"] == "superseded"
    if by == "hr_system":
        revoked = await api.post(f"/api/v1/hr/records/{official_id}/revoke", json={"reason": "证书伪造"},
                                 headers=setup["hr"])
    else:
        await user(db, "hr1", "hr_reviewer", region_prefix="52")
        revoked = await api.post(f"/api/v1/review/records/{official_id}/revoke", json={"reason": "证书伪造"},
                                 headers=await sign_in(api, "hr1"))
    assert revoked.status_code == 200, revoked.text
    row = await db.fetchrow("select status, superseded_by from records where id = $1", mine["id"])
    assert (row["status"], row["superseded_by"]) == ("submitted", None)
    last = await db.fetchrow("select action, from_status, to_status, reason from record_events where record_id = $1"
                             " order by id desc limit 1", mine["id"])
    assert (last["action"], last["from_status"], last["to_status"]) == ("restore", "superseded", "submitted")
    assert official_id in last["reason"] and "撤销" in last["reason"]
    assert await professional_hours(api, setup["review"]) == {"registered": 0, "pending": 12.5}


async def test_department_reviewers_see_and_close_duplicate_flags_in_their_region(api, db, setup):
    own = await own_submitted(api, setup["csrf"], {**OWN, "hours": 40})
    await db.execute("update records set status = 'registered', registered_at = now() where id = $1", own["id"])
    await db.execute("insert into record_events (record_id, actor_kind, actor_name, role, action, from_status,"
                     " to_status) values ($1, 'system', 't', 'system', 'register', 'submitted', 'registered')", own["id"])
    same = official("HR-8", hours=40, course_code="JZ-07")
    official_id = (await api.post("/api/v1/hr/records", json={"records": [same]},
                                  headers=setup["hr"])).json()["results"][0]["record_id"]
    await user(db, "hr-elsewhere", "hr_reviewer", region_prefix="42")
    assert (await api.get("/api/v1/review/duplicates", headers=await sign_in(api, "hr-elsewhere"))).json()["total"] == 0
    await user(db, "hr1", "hr_reviewer", region_prefix="52")
    hr = await sign_in(api, "hr1")
    page = (await api.get("/api/v1/review/duplicates", headers=hr)).json()
    assert page["total"] == 1
    flag = page["items"][0]
    assert (flag["own"]["id"], flag["official"]["id"]) == (own["id"], official_id)
    assert flag["own"]["status"] == flag["official"]["status"] == "registered"
    # The reviewer revokes the extra one, then closes the flag saying so.
    assert (await api.post(f"/api/v1/review/records/{official_id}/revoke", json={"reason": "与本人登记重复"},
                           headers=hr)).status_code == 200
    empty = await api.post(f"/api/v1/review/duplicates/{flag['id']}/close", json={"reason": " "}, headers=hr)
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "reason"
    closed = await api.post(f"/api/v1/review/duplicates/{flag['id']}/close", json={"reason": "已撤销重复的官方记录"},
                            headers=hr)
    assert closed.status_code == 200 and "已撤销重复的官方记录" in closed.json()["closed_by"]
    again = await api.post(f"/api/v1/review/duplicates/{flag['id']}/close", json={"reason": "再次"}, headers=hr)
    assert again.status_code == 409
    assert (await api.get("/api/v1/review/duplicates", headers=hr)).json()["total"] == 0
    assert (await api.get("/api/v1/review/duplicates?open_only=false", headers=hr)).json()["total"] == 1
    assert await professional_hours(api, setup["review"]) == {"registered": 40, "pending": 0}
    outside = await api.post(f"/api/v1/review/duplicates/{flag['id']}/close", json={"reason": "x"},
                             headers=await sign_in(api, "hr-elsewhere"))
    assert outside.status_code == 404


async def test_a_restored_record_is_looked_at_again(api, db, setup):
    """The red team's double count: restored after one official record was revoked, the own record was approved
    beside another registered official record of the same course. Restored, it is superseded by that one."""
    mine = await own_submitted(api, setup["csrf"], {**OWN, "course_code": None})
    first = (await api.post("/api/v1/hr/records", json={"records": [official("HR-A")]}, headers=setup["hr"])).json()
    assert (await db.fetchval("select status from records where id = $1", mine["id"])) == "superseded"
    provider = (await api.post("/api/v1/provider/records", json={"records": [official("P-B")]},
                               headers=setup["provider"])).json()["results"][0]["record_id"]
    await user(db, "hr1", "hr_reviewer", region_prefix="52")
    hr = await sign_in(api, "hr1")
    assert (await api.post(f"/api/v1/review/records/{provider}/approve", headers=hr)).json()["status"] == "registered"
    revoked = await api.post(f"/api/v1/hr/records/{first['results'][0]['record_id']}/revoke",
                             json={"reason": "证书伪造"}, headers=setup["hr"])
    assert revoked.status_code == 200
    row = await db.fetchrow("select status, superseded_by from records where id = $1", mine["id"])
    assert (row["status"], str(row["superseded_by"])) == ("superseded", provider)
    actions = [r["action"] for r in await db.fetch("select action from record_events where record_id = $1 order by"
                                                    " chain_seq", mine["id"])]
    assert actions == ["create", "submit", "supersede", "restore", "supersede"]
    assert await professional_hours(api, setup["review"]) == {"registered": 12.5, "pending": 0}


async def test_a_flag_id_out_of_range_is_404(api, db, setup):
    await user(db, "hr1", "hr_reviewer", region_prefix="52")
    answer = await api.post(f"/api/v1/review/duplicates/{2**63}/close", json={"reason": "x"},
                            headers=await sign_in(api, "hr1"))
    assert answer.status_code in (404, 400), answer.text
