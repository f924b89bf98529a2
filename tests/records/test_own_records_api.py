"""A professional's own records over JSON: draft, edit, submit, withdraw, list, history."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ce_service import clock
from tests.builders import national_id, person, sign_in, user

YEAR = date.today().year - 1
DRAFT = {"year": YEAR, "category": "professional", "hours": 12.5, "course_title": "建筑结构抗震设计新规范",
         "completed_on": f"{YEAR}-05-20", "provider": "贵州省继续教育基地", "course_code": "JZ-07"}


@pytest.fixture
async def pro(api, db) -> dict[str, str]:
    """A signed-in professional; returns the CSRF header."""
    pid = await person(db)
    await user(db, "zhangsan", "professional", person_id=pid)
    return await sign_in(api, "zhangsan")


async def test_full_lifecycle_with_history(api, db, pro):
    created = await api.post("/api/v1/me/records", json=DRAFT, headers=pro)
    assert created.status_code == 201, created.text
    record = created.json()
    assert record["status"] == "draft" and record["hours"] == 12.5 and record["source"] == "self"
    assert await db.fetchval("select half_hours from records") == 25

    edited = await api.patch(f"/api/v1/me/records/{record['id']}", json={"hours": 14}, headers=pro)
    assert edited.status_code == 200 and edited.json()["hours"] == 14

    submitted = await api.post(f"/api/v1/me/records/{record['id']}/submit", headers=pro)
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    assert await db.fetchval("select submitted_at is not null from records")

    # Submitted: no more edits, and no second submit.
    again = await api.post(f"/api/v1/me/records/{record['id']}/submit", headers=pro)
    assert again.status_code == 409 and "submitted" in again.json()["detail"]
    locked = await api.patch(f"/api/v1/me/records/{record['id']}", json={"hours": 1}, headers=pro)
    assert locked.status_code == 409

    withdrawn = await api.post(f"/api/v1/me/records/{record['id']}/withdraw", headers=pro)
    assert withdrawn.json()["status"] == "withdrawn"

    detail = (await api.get(f"/api/v1/me/records/{record['id']}")).json()
    assert [(e["action"], e["from_status"], e["to_status"]) for e in detail["history"]] == [
        ("create", None, "draft"), ("edit", "draft", "draft"), ("submit", "draft", "submitted"),
        ("withdraw", "submitted", "withdrawn"),
    ]
    assert all(e["actor"] == "zhangsan" and e["role"] == "professional" for e in detail["history"])


async def test_returned_record_can_be_fixed_and_resubmitted(api, db, pro):
    record = (await api.post("/api/v1/me/records", json=DRAFT, headers=pro)).json()
    await api.post(f"/api/v1/me/records/{record['id']}/submit", headers=pro)
    # A reviewer returns it (the review workflow writes the same row and event).
    await db.execute("update records set status = 'returned', status_reason = '证书照片不清晰'")
    mine = (await api.get(f"/api/v1/me/records/{record['id']}")).json()
    assert mine["status"] == "returned" and mine["status_reason"] == "证书照片不清晰"
    fixed = await api.patch(f"/api/v1/me/records/{record['id']}", json={"course_title": "抗震设计规范（2023版）"}, headers=pro)
    assert fixed.status_code == 200 and fixed.json()["status"] == "returned"
    resubmitted = await api.post(f"/api/v1/me/records/{record['id']}/submit", headers=pro)
    assert resubmitted.json()["status"] == "submitted"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"hours": 0}, "hours"), ({"hours": -2}, "hours"), ({"hours": 1.25}, "hours"), ({"hours": 201}, "hours"),
        ({"hours": "12"}, "hours"), ({"completed_on": f"{YEAR - 1}-12-31"}, "completed_on"),
        ({"completed_on": "2023-02-30"}, "completed_on"), ({"year": date.today().year + 1, "completed_on": f"{date.today().year + 1}-01-01"}, "year"),
        ({"category": "fun"}, "category"), ({"course_title": ""}, "course_title"), ({"course_title": "题" * 201}, "course_title"),
        ({"evidence_ref": "not-a-hash"}, "evidence_ref"), ({"region_earned": "123"}, "region_earned"),
    ],
)
async def test_bad_content_is_422_and_not_stored(api, db, pro, change, field):
    response = await api.post("/api/v1/me/records", json={**DRAFT, **change}, headers=pro)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field
    assert await db.fetchval("select count(*) from records") == 0


async def test_completion_in_the_future_is_refused(api, db, pro):
    # "Today" is China's date (UTC+8), not the machine's: a UTC evening is already tomorrow in China.
    today = clock.today()
    later = today + timedelta(days=1)
    if later.year != today.year:
        pytest.skip("no later day in this year to use")
    response = await api.post("/api/v1/me/records", json={**DRAFT, "year": today.year, "completed_on": later.isoformat()},
                              headers=pro)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "completed_on"


async def test_bad_edit_changes_nothing(api, db, pro):
    record = (await api.post("/api/v1/me/records", json=DRAFT, headers=pro)).json()
    response = await api.patch(f"/api/v1/me/records/{record['id']}", json={"completed_on": f"{YEAR - 3}-01-01"}, headers=pro)
    assert response.status_code == 422
    assert await db.fetchval("select completed_on from records") == date(YEAR, 5, 20)
    assert await db.fetchval("select count(*) from record_events") == 1


async def test_list_filters_and_pages(api, db, pro):
    for year in (YEAR - 2, YEAR - 1, YEAR, YEAR):
        await api.post("/api/v1/me/records", json={**DRAFT, "year": year, "completed_on": f"{year}-03-01"}, headers=pro)
    page = (await api.get("/api/v1/me/records", params={"limit": 2})).json()
    assert page["total"] == 4 and len(page["items"]) == 2 and page["items"][0]["year"] == YEAR
    rest = (await api.get("/api/v1/me/records", params={"limit": 2, "offset": 2})).json()
    assert [r["year"] for r in rest["items"]] == [YEAR - 1, YEAR - 2]
    only = (await api.get("/api/v1/me/records", params={"year": YEAR})).json()
    assert only["total"] == 2
    drafts = (await api.get("/api/v1/me/records", params={"status": "registered"})).json()
    assert drafts["total"] == 0
    bad = await api.get("/api/v1/me/records", params={"status": "nope", "limit": 0})
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["errors"]} == {"status", "limit"}
    assert (await api.get("/api/v1/me/records", params={"year": "abc"})).status_code in (400, 422)


async def test_a_professional_sees_only_their_own(api, db, pro):
    other = await person(db, national_id(999), name="李四")
    theirs = await db.fetchval(
        "insert into records (person_id, year, category, half_hours, course_title, completed_on, source, status)"
        " values ($1, $2, 'public', 6, '别人的课', $3, 'self', 'draft') returning id", other, YEAR, date(YEAR, 3, 1))
    assert (await api.get(f"/api/v1/me/records/{theirs}")).status_code == 404
    assert (await api.post(f"/api/v1/me/records/{theirs}/submit", headers=pro)).status_code == 404
    assert (await api.patch(f"/api/v1/me/records/{theirs}", json={"hours": 1}, headers=pro)).status_code == 404
    assert (await api.get("/api/v1/me/records/not-a-uuid")).status_code == 404
    assert (await api.get("/api/v1/me/records")).json()["total"] == 0


@pytest.mark.parametrize("role", ["unit_reviewer", "hr_reviewer", "admin"])
async def test_other_roles_have_no_own_records(api, db, role):
    from tests.builders import UNIT

    scope = {"unit_reviewer": {"unit_code": UNIT}, "hr_reviewer": {"region_prefix": "52"}, "admin": {}}[role]
    await user(db, "someone", role, **scope)
    headers = await sign_in(api, "someone")
    assert (await api.get("/api/v1/me/records")).status_code == 403
    assert (await api.post("/api/v1/me/records", json=DRAFT, headers=headers)).status_code == 403


async def test_machine_token_does_not_open_own_records(api, db):
    from tests.builders import api_client

    token = await api_client(db, "provider")
    response = await api.get("/api/v1/me/records", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


async def test_owner_cannot_change_records_sent_by_others(api, db, pro):
    pid = await db.fetchval("select person_id from users where username = 'zhangsan'")
    sent = await db.fetchval(
        "insert into records (person_id, year, category, half_hours, course_title, completed_on, source, status)"
        " values ($1, $2, 'public', 6, '基地推送', $3, 'provider', 'submitted') returning id", pid, YEAR, date(YEAR, 3, 1))
    assert (await api.get(f"/api/v1/me/records/{sent}")).status_code == 200
    assert (await api.post(f"/api/v1/me/records/{sent}/withdraw", headers=pro)).status_code == 409
    assert (await api.patch(f"/api/v1/me/records/{sent}", json={"hours": 1}, headers=pro)).status_code == 409
    assert await db.fetchval("select status from records where id = $1", sent) == "submitted"


async def test_huge_offset_is_a_422(api, pro):
    response = await api.get("/api/v1/me/records", params={"offset": 10**20})
    assert response.status_code in (400, 422)
    response = await api.get("/api/v1/me/records", params={"offset": 2_000_000})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "offset"


async def test_region_earned_defaults_to_the_persons_region(api, db, pro):
    record = (await api.post("/api/v1/me/records", json=DRAFT, headers=pro)).json()
    assert record["region_earned"] == "522601"
