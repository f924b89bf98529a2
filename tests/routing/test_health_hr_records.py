"""HR-pushed records of the health series wait for the health department; other series register on arrival."""

from __future__ import annotations

from datetime import date

from tests.builders import api_client, national_id, person, sign_in, user

YEAR = date.today().year - 1


def rec(external_id: str, nid: str, name: str) -> dict:
    return {"external_id": external_id, "national_id": nid, "name": name, "year": YEAR, "category": "professional",
            "hours": 12, "course_title": "院内感染防控", "completed_on": f"{YEAR}-05-20"}


async def test_health_records_from_hr_wait_for_the_health_department(api, db):
    """Seed 001 (Guizhou 2023): "卫生系列继续教育学时(学分)需经卫生健康部门审核验印,其他各系列继续教育学时需经
    同级人社部门审核验印" — an HR system's push of a doctor's hours is accepted, then waits for the health
    department, which registers it; an engineer's hours pushed with it are registered on arrival."""
    await person(db, national_id(1), name="李四", series="health")
    await person(db, national_id(2), name="张三")
    await user(db, "hr", "hr_reviewer", region_prefix="52")
    await user(db, "health", "health_reviewer", region_prefix="52")
    hr = {"Authorization": "Bearer " + await api_client(db, "hr_system")}
    answer = await api.post("/api/v1/hr/records", json={"records": [
        rec("H-1", national_id(1), "李四"), rec("H-2", national_id(2), "张三")]}, headers=hr)
    assert answer.status_code == 200, answer.text
    assert [r["status"] for r in answer.json()["results"]] == ["accepted", "accepted"]
    doctor, engineer = (r["record_id"] for r in answer.json()["results"])
    rows = {str(r["id"]): r for r in await db.fetch("select id, status, route, step from records")}
    assert (rows[doctor]["status"], rows[doctor]["route"], rows[doctor]["step"]) == ("submitted", ["health"], 0)
    assert rows[engineer]["status"] == "registered"

    await sign_in(api, "hr")
    assert (await api.get("/api/v1/review/queue")).json()["total"] == 0
    headers = await sign_in(api, "health")
    items = (await api.get("/api/v1/review/queue")).json()["items"]
    assert [(i["id"], i["source"], i["next_step"]) for i in items] == [(doctor, "hr", "health")]
    registered = await api.post(f"/api/v1/review/records/{doctor}/approve", headers=headers)
    assert registered.status_code == 200 and registered.json()["status"] == "registered"
    assert [e["action"] for e in registered.json()["history"]] == ["create", "register"]

    review = {"Authorization": "Bearer " + await api_client(db, "review_system")}
    answer = (await api.get(f"/api/v1/compliance/{national_id(1)}", params={"from_year": YEAR, "to_year": YEAR},
                            headers=review)).json()
    assert answer["years"][0]["registered"]["professional"] == 12
