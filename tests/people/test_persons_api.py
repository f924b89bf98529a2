"""PUT /api/v1/persons/{id} and POST …/exemptions, to the letter of the contract."""

from __future__ import annotations

import pytest

from ce_service.identity import make_credit_code
from ce_service.people.units import save_unit
from tests.builders import OTHER_UNIT, UNIT, api_client, national_id, person

NID = national_id(123)
MASKED = NID[:4] + "*" * 10 + NID[-4:]

BODY = {
    "name": "张三",
    "series": "engineering",
    "periods": [
        {"from_year": 2015, "level": "junior", "workplace": "standard", "region": "522601", "unit": UNIT},
        {"from_year": 2019, "level": "intermediate", "workplace": "grassroots", "region": "522601", "unit": UNIT},
    ],
}


@pytest.fixture
async def hr(db) -> dict[str, str]:
    """Headers of an hr_system client."""
    return {"Authorization": "Bearer " + await api_client(db, "hr_system")}


async def test_put_creates_then_replaces(api, db, hr):
    created = await api.put(f"/api/v1/persons/{NID}", json=BODY, headers=hr)
    assert created.status_code == 201, created.text
    assert created.json() == {**BODY, "national_id": MASKED}

    changed = {**BODY, "name": "张三丰", "periods": BODY["periods"][:1]}
    replaced = await api.put(f"/api/v1/persons/{NID}", json=changed, headers=hr)
    assert replaced.status_code == 200
    assert replaced.json()["name"] == "张三丰"

    rows = await db.fetch("select from_year from person_periods pp join persons p on p.id = pp.person_id"
                          " where p.national_id = $1", NID)
    assert [r["from_year"] for r in rows] == [2015]
    history = await db.fetch("select before, after from person_history order by id")
    assert history[0]["before"] is None and history[1]["before"]["name"] == "张三"
    assert history[1]["after"]["name"] == "张三丰"


async def test_missing_token_is_401(api):
    response = await api.put(f"/api/v1/persons/{NID}", json=BODY)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 401


async def test_unknown_token_is_401(api):
    response = await api.put(f"/api/v1/persons/{NID}", json=BODY, headers={"Authorization": "Bearer ce_nope"})
    assert response.status_code == 401


async def test_revoked_token_is_401(api, db):
    token = await api_client(db, "hr_system")
    await db.execute("update api_clients set revoked_at = now()")
    response = await api.put(f"/api/v1/persons/{NID}", json=BODY, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


@pytest.mark.parametrize("kind", ["provider", "review_system"])
async def test_wrong_kind_is_403(api, db, kind):
    token = await api_client(db, kind)
    response = await api.put(f"/api/v1/persons/{NID}", json=BODY, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert await db.fetchval("select count(*) from persons") == 0


async def test_auth_comes_before_body_checks(api):
    response = await api.put(f"/api/v1/persons/{NID}", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 401


async def test_malformed_json_is_400(api, hr):
    response = await api.put(f"/api/v1/persons/{NID}", content=b'{"name": ', headers={**hr, "content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["type"].endswith("malformed-json")


async def test_invalid_utf8_is_400(api, hr):
    response = await api.put(f"/api/v1/persons/{NID}", content=b'{"name": "\xff"}', headers={**hr, "content-type": "application/json"})
    assert response.status_code == 400


async def test_too_large_is_413(api, hr):
    body = b'{"name": "' + b"x" * 3_000_000 + b'"}'
    response = await api.put(f"/api/v1/persons/{NID}", content=body, headers={**hr, "content-type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"series": "astrology"}, "series", "unknown series"),
        ({"name": ""}, "name", "length"),
        ({"name": "   "}, "name", "blank"),
        ({"periods": []}, "periods", "length"),
        ({"periods": [{**BODY["periods"][0], "level": "master"}]}, "periods[0].level", "Invalid enum value"),
        ({"periods": [{**BODY["periods"][0], "workplace": "home"}]}, "periods[0].workplace", "Invalid enum value"),
        ({"periods": [{**BODY["periods"][0], "from_year": "2015"}]}, "periods[0].from_year", "Expected `int`"),
        ({"periods": [{**BODY["periods"][0], "from_year": 1900}]}, "periods[0].from_year", ">= 1950"),
        ({"periods": [{**BODY["periods"][0], "from_year": 2999}]}, "periods[0].from_year", "<= 2200"),
        ({"periods": [{**BODY["periods"][0], "region": "5226"}]}, "periods[0].region", "6 digits"),
        ({"periods": [{**BODY["periods"][0], "region": "992601"}]}, "periods[0].region", "province"),
        ({"periods": [{**BODY["periods"][0], "unit": UNIT[:-1] + ("0" if UNIT[-1] != "0" else "1")}]},
         "periods[0].unit", "check character"),
        ({"periods": [BODY["periods"][1], BODY["periods"][0]]}, "periods[1].from_year", "sorted"),
        ({"periods": [BODY["periods"][0], BODY["periods"][0]]}, "periods[1].from_year", "repeats"),
        ({"extra": 1}, "body", "unknown field"),
        ({"name": 5}, "name", "Expected `str`"),
    ],
)
async def test_schema_and_rule_violations_are_422_naming_the_field(api, db, hr, change, field, words):
    response = await api.put(f"/api/v1/persons/{NID}", json={**BODY, **change}, headers=hr)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["status"] == 422 and problem["title"] and problem["type"]
    assert any(e["field"] == field and words in e["message"] for e in problem["errors"]), problem
    assert await db.fetchval("select count(*) from persons") == 0


async def test_several_rule_errors_are_reported_together(api, hr):
    body = {**BODY, "series": "astrology", "periods": [{**BODY["periods"][0], "region": "992601", "unit": "X"}]}
    response = await api.put(f"/api/v1/persons/{NID}", json=body, headers=hr)
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"series", "periods[0].region", "periods[0].unit"}


@pytest.mark.parametrize("bad", [NID[:-1] + ("0" if NID[-1] != "0" else "1"), "12345", "52260119800231123X", NID[:-1] + "x"])
async def test_bad_id_is_422_and_never_stored(api, db, hr, bad):
    response = await api.put(f"/api/v1/persons/{bad}", json=BODY, headers=hr)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "national_id"
    assert await db.fetchval("select count(*) from persons") == 0


async def test_exemption_is_recorded(api, db, hr):
    await person(db, NID)
    body = {"from_year": 2022, "to_year": 2023, "reason": "green_channel", "note": "省级人才绿色通道"}
    response = await api.post(f"/api/v1/persons/{NID}/exemptions", json=body, headers=hr)
    assert response.status_code == 201
    assert response.json()["national_id"] == MASKED
    row = await db.fetchrow("select from_year, to_year, reason, note from exemptions")
    assert dict(row) == {"from_year": 2022, "to_year": 2023, "reason": "green_channel", "note": "省级人才绿色通道"}


async def test_exemption_before_the_first_period_is_422(api, db, hr):
    """Years before the person's first period are not_applicable already; an exemption there is refused."""
    await person(db, NID, periods=[(2021, "intermediate", "standard", "522601", UNIT)])
    body = {"from_year": 2020, "to_year": 2022, "reason": "green_channel"}
    response = await api.post(f"/api/v1/persons/{NID}/exemptions", json=body, headers=hr)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "from_year" and "2021" in response.json()["errors"][0]["message"]
    assert await db.fetchval("select count(*) from exemptions") == 0
    response = await api.post(f"/api/v1/persons/{NID}/exemptions", json={**body, "from_year": 2021}, headers=hr)
    assert response.status_code == 201


async def test_exemption_for_unknown_person_is_404(api, hr):
    body = {"from_year": 2022, "to_year": 2023, "reason": "green_channel"}
    response = await api.post(f"/api/v1/persons/{NID}/exemptions", json=body, headers=hr)
    assert response.status_code == 404
    assert response.json()["type"].endswith("not-found")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"from_year": 2023, "to_year": 2022, "reason": "green_channel"}, "to_year"),
        ({"from_year": 2022, "to_year": 2023, "reason": "tired"}, "reason"),
        ({"from_year": 2022, "to_year": 2023, "reason": "other"}, "note"),
        ({"from_year": 2022, "reason": "green_channel"}, "body"),
    ],
)
async def test_bad_exemption_is_422(api, db, hr, body, field):
    await person(db, NID)
    response = await api.post(f"/api/v1/persons/{NID}/exemptions", json=body, headers=hr)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field
    assert await db.fetchval("select count(*) from exemptions") == 0


async def test_unknown_route_and_method_are_problem_documents(api, hr):
    missing = await api.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.json()["status"] == 404
    wrong = await api.delete(f"/api/v1/persons/{NID}", headers=hr)
    assert wrong.status_code == 405 and wrong.json()["status"] == 405


async def test_moving_person_to_other_unit_keeps_history(api, db, hr):
    await api.put(f"/api/v1/persons/{NID}", json=BODY, headers=hr)
    moved = {**BODY, "periods": [*BODY["periods"], {"from_year": 2023, "level": "intermediate", "workplace": "private",
                                                      "region": "420100", "unit": OTHER_UNIT}]}
    response = await api.put(f"/api/v1/persons/{NID}", json=moved, headers=hr)
    assert response.status_code == 200
    assert [p["unit"] for p in response.json()["periods"]] == [UNIT, UNIT, OTHER_UNIT]
    assert await db.fetchval("select count(*) from person_history") == 2


async def test_client_limited_to_regions_cannot_reach_others(api, db):
    from ce_service.auth.secrets import new_token, token_hash

    token = new_token()
    await db.execute("insert into api_clients (name, kind, token_hash, token_hint, regions) values"
                     " ('湖北人社', 'hr_system', $1, 'x', '{42}')", token_hash(token))
    hubei = {"Authorization": f"Bearer {token}"}
    assert (await api.put(f"/api/v1/persons/{NID}", json=BODY, headers=hubei)).status_code == 403
    await person(db, NID)  # a Kaili person
    moved = {**BODY, "periods": [{**BODY["periods"][0], "region": "420106"}]}
    assert (await api.put(f"/api/v1/persons/{NID}", json=moved, headers=hubei)).status_code == 403
    exemption = {"from_year": 2022, "to_year": 2023, "reason": "green_channel"}
    assert (await api.post(f"/api/v1/persons/{NID}/exemptions", json=exemption, headers=hubei)).status_code == 404
    assert await db.fetchval("select count(*) from exemptions") == 0


async def test_nul_character_is_a_422_not_a_500(api, hr):
    body = {**BODY, "name": "张\u0000三"}
    response = await api.put(f"/api/v1/persons/{NID}", json=body, headers=hr)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "body"


AGENCY = make_credit_code("91420100700000001")   # a personnel agency (人事代理机构) in Wuhan


async def test_a_period_names_an_agency_instead_of_a_unit(api, db, hr):
    """Seed 004 (Xianning): "自由职业专业技术人员，由人事代理机构履行审核、公示、推荐程序。" A freelancer's
    period names the agency's credit code as `agency`; the answer echoes exactly what was sent."""
    await save_unit(db, AGENCY, "咸宁市人才服务中心", "agency", "421200")
    body = {"name": "王五", "series": "engineering", "periods": [
        {"from_year": 2019, "level": "intermediate", "workplace": "private", "region": "421202", "agency": AGENCY}]}
    created = await api.put(f"/api/v1/persons/{NID}", json=body, headers=hr)
    assert created.status_code == 201, created.text
    assert created.json() == {**body, "national_id": MASKED}
    row = await db.fetchrow("select unit_code, affiliation from person_periods")
    assert (row["unit_code"], row["affiliation"]) == (AGENCY, "agency")


@pytest.mark.parametrize(("period", "field", "words"), [
    ({"unit": UNIT, "agency": AGENCY}, "periods[0].agency", "not both"),
    ({}, "periods[0].unit", "agency"),
    ({"agency": OTHER_UNIT}, "periods[0].agency", "no personnel agency"),   # a code nobody registered as an agency
    ({"agency": AGENCY[:-1] + ("0" if AGENCY[-1] != "0" else "1")}, "periods[0].agency", "check character"),
])
async def test_a_period_needs_exactly_one_known_unit_or_agency(api, db, hr, period, field, words):
    """Seeds 003 and 004: people of 非公经济组织 and 自由职业者 are vouched for by an industry department or an
    agency, everyone else by their unit: a period says which, once."""
    await save_unit(db, AGENCY, "咸宁市人才服务中心", "agency", "421200")
    base = {k: v for k, v in BODY["periods"][0].items() if k != "unit"}
    response = await api.put(f"/api/v1/persons/{NID}", json={**BODY, "periods": [{**base, **period}]}, headers=hr)
    assert response.status_code == 422, response.text
    assert any(e["field"] == field and words in e["message"] for e in response.json()["errors"]), response.json()
    assert await db.fetchval("select count(*) from persons") == 0
