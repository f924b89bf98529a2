"""People without an employer unit: their agency or industry department verifies, then HR (or health)."""

from __future__ import annotations

from datetime import date

import pytest

from ce_service.auth.service import create_user
from ce_service.identity import make_credit_code
from ce_service.people.units import save_unit
from tests.builders import UNIT, api_client, national_id, sign_in, user

YEAR = date.today().year - 1
AGENCY = make_credit_code("12421200700000001")     # 咸宁市人才服务中心 (人事代理机构)
INDUSTRY = make_credit_code("11532930700000002")   # 洱源县住房和城乡建设局 (行业主管部门)
DRAFT = {"year": YEAR, "category": "professional", "hours": 20, "course_title": "建设工程质量管理",
         "completed_on": f"{YEAR}-05-20", "provider": "继续教育基地"}


def period(region: str, **who: str) -> dict:
    return {"from_year": 2019, "level": "intermediate", "workplace": "private", "region": region, **who}


@pytest.fixture
async def world(api, db) -> dict:
    """An agency in Xianning and an industry department in Eryuan, each with its reviewer; a freelancer
    (engineer) with the agency, a nurse of a private clinic with the industry department; HR and health."""
    await save_unit(db, AGENCY, "咸宁市人才服务中心", "agency", "421200")
    await save_unit(db, INDUSTRY, "洱源县住房和城乡建设局", "industry", "532930")
    hr = {"Authorization": "Bearer " + await api_client(db, "hr_system")}
    people = {
        national_id(1, region="421202"): {"name": "王五", "series": "engineering",
                                          "periods": [period("421202", agency=AGENCY)]},
        national_id(2, region="532930"): {"name": "赵六", "series": "health",
                                          "periods": [period("532930", agency=INDUSTRY)]},
        national_id(3, region="421202"): {"name": "孙七", "series": "engineering",      # the agency's own employee
                                          "periods": [period("421202", unit=AGENCY)]},
    }
    for nid, body in people.items():
        assert (await api.put(f"/api/v1/persons/{nid}", json=body, headers=hr)).status_code == 201
    ids = {r["national_id"]: r["id"] for r in await db.fetch("select national_id, id from persons")}
    nids = list(people)
    await user(db, "freelancer", "professional", person_id=ids[nids[0]])
    await user(db, "nurse", "professional", person_id=ids[nids[1]])
    await user(db, "agency-staff", "professional", person_id=ids[nids[2]])
    # Reviewer accounts made as `ce-service users create` makes them (roles and scopes from verifier_kinds).
    for username, role, scope in [("agency", "agency_reviewer", {"unit_code": AGENCY}),
                                  ("industry", "industry_reviewer", {"unit_code": INDUSTRY}),
                                  ("agency-hr-office", "unit_reviewer", {"unit_code": AGENCY}),
                                  ("unit", "unit_reviewer", {"unit_code": UNIT}),
                                  ("hr-hubei", "hr_reviewer", {"region_prefix": "42"}),
                                  ("hr-yunnan", "hr_reviewer", {"region_prefix": "53"}),
                                  ("health-yunnan", "health_reviewer", {"region_prefix": "53"})]:
        await create_user(db, username=username, display_name=username, role=role, password="correct-horse-battery",
                          **scope)
    return {"hr": hr, "nids": nids}


async def submitted(api, who: str) -> str:
    headers = await sign_in(api, who)
    record = (await api.post("/api/v1/me/records", json=DRAFT, headers=headers)).json()
    response = await api.post(f"/api/v1/me/records/{record['id']}/submit", headers=headers)
    assert response.status_code == 200 and response.json()["status"] == "submitted", response.text
    return record["id"]


async def queue_ids(api, who: str) -> tuple[dict, list[str]]:
    headers = await sign_in(api, who)
    return headers, [i["id"] for i in (await api.get("/api/v1/review/queue")).json()["items"]]


async def test_a_freelancers_hours_go_to_the_agency_then_hr(api, db, world):
    """Seed 004 (Xianning): "自由职业专业技术人员，由人事代理机构履行审核、公示、推荐程序。" The agency
    verifies what a freelancer logs; HR of the region registers it; no employer unit ever sees it."""
    record_id = await submitted(api, "freelancer")
    # agency-hr-office: the unit reviewer of the agency's own staff (same credit code, other affiliation)
    for outsider in ("unit", "agency-hr-office", "industry"):
        _, ids = await queue_ids(api, outsider)
        assert ids == []
        assert (await api.get(f"/api/v1/review/records/{record_id}")).status_code == 404
    headers, ids = await queue_ids(api, "agency")
    assert ids == [record_id]
    approved = await api.post(f"/api/v1/review/records/{record_id}/approve", headers=headers)
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["next_step"]) == ("unit_approved", "hr")
    headers, ids = await queue_ids(api, "hr-hubei")
    assert ids == [record_id]
    registered = await api.post(f"/api/v1/review/records/{record_id}/approve", headers=headers)
    assert registered.json()["status"] == "registered"
    assert [(e["action"], e["role"]) for e in registered.json()["history"]][-2:] == [
        ("approve", "agency_reviewer"), ("register", "hr_reviewer")]


async def test_the_agencys_own_staff_stay_with_its_unit_reviewer(api, db, world):
    """Seed 001: "验证登记需加盖单位公章,谁审核谁签字" — the agency's own employees are verified by the agency as
    their employer (a unit reviewer of that code), not by its agency desk."""
    record_id = await submitted(api, "agency-staff")
    _, ids = await queue_ids(api, "agency")
    assert ids == []
    _, ids = await queue_ids(api, "agency-hr-office")
    assert ids == [record_id]


async def test_a_private_clinics_nurse_goes_to_the_industry_department_then_health(api, db, world):
    """Seed 003 (Eryuan): "非公经济组织专业技术人才和自由职业者申报职称评审，由县级各行业主管部门…审核推荐评审。"
    and seed 001: "卫生系列继续教育学时(学分)需经卫生健康部门审核验印"."""
    record_id = await submitted(api, "nurse")
    for outsider in ("unit", "agency"):
        _, ids = await queue_ids(api, outsider)
        assert ids == []
    headers, ids = await queue_ids(api, "industry")
    assert ids == [record_id]
    approved = await api.post(f"/api/v1/review/records/{record_id}/approve", headers=headers)
    assert approved.json()["next_step"] == "health"
    _, ids = await queue_ids(api, "hr-yunnan")
    assert ids == []
    headers, ids = await queue_ids(api, "health-yunnan")
    assert ids == [record_id]
    registered = await api.post(f"/api/v1/review/records/{record_id}/approve", headers=headers)
    assert registered.json()["status"] == "registered"


async def test_imported_and_recognised_hours_follow_the_affiliation_too(db, world):
    """Seed 004: "由人事代理机构履行审核、公示、推荐程序" holds for every record that needs checking, not only
    self-logged ones; provider and HR records are not checked by a unit, so they keep their route."""
    route = "select route_for($1, $2, '421202', $3)"
    assert await db.fetchval(route, "import", "engineering", "agency") == ["agency", "hr"]
    assert await db.fetchval(route, "import", "health", "industry") == ["industry", "health"]
    assert await db.fetchval(route, "recognised", "engineering", "industry") == ["industry", "hr"]
    assert await db.fetchval(route, "self", "engineering", "unit") == ["unit", "hr"]
    assert await db.fetchval(route, "provider", "engineering", "agency") == ["hr"]
    assert await db.fetchval(route, "hr", "engineering", "agency") == []


async def test_an_agency_reviewer_needs_the_agencys_code(db):
    """Seed 004: "人事代理机构履行审核" — an agency reviewer is bound to one agency, like a unit reviewer to a unit."""
    from ce_service.errors import Invalid

    with pytest.raises(Invalid, match="unit"):
        await create_user(db, username="a", display_name="a", role="agency_reviewer", password="long-enough-pw")
    assert await create_user(db, username="a", display_name="a", role="industry_reviewer", password="long-enough-pw",
                             unit_code=INDUSTRY)


async def test_the_agency_works_its_queue_on_the_web_pages(api, db, world):
    """Seed 004: "由人事代理机构履行审核" — on the pages too: the agency's queue, and its decision named in the
    history HR sees."""
    record_id = await submitted(api, "freelancer")
    headers = await sign_in(api, "agency")
    page = await api.get("/review")
    assert page.status_code == 200 and record_id in page.text
    assert (await api.post(f"/review/records/{record_id}/approve", headers=headers)).status_code in (200, 201, 303)
    await sign_in(api, "hr-hubei")
    page = await api.get(f"/review/records/{record_id}")
    assert page.status_code == 200 and "人事代理机构" in page.text


async def test_a_series_rule_outranks_an_affiliation_rule(db):
    """卫生系列继续教育学时（学分）需经卫生健康部门审核验印: a rule naming only an affiliation cannot send health
    records to HR, which does not verify the health series."""
    await db.execute("insert into routing_rules (source, affiliation, steps) values ('self', 'unit', '{unit,hr}')")
    assert await db.fetchval("select route_for('self', 'health', '522601', 'unit')") == ["unit", "health"]
    assert await db.fetchval("select route_for('self', 'engineering', '522601', 'unit')") == ["unit", "hr"]
    assert await db.fetchval("select route_for('self', 'health', '522601', 'agency')") == ["agency", "health"]
