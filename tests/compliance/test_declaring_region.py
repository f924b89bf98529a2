"""The compliance API judged by the declaring region, the national floor, test credits and the integrity file.

Seed 004 六(三): "…取得的继续教育学时，在我省参加职称评定时视同达到相应时长的继续教育学时" (the declaring province's
rules); seed 003: "继续教育情况需符合国家、我省及行业的相关规定" (the national floor); seed 001 四(二): "学习测试合格计
30学时…学员可结合实际选择未学习课件进行学习" (test credit, a course once); seeds 001/002/004: the integrity file.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
import respx

from ce_service.compliance.receipts import unb64url, verify
from ce_service.db import create_pool
from ce_service.platforms.fetch import RetryPolicy
from ce_service.platforms.service import add_platform, pull
from tests.builders import UNIT, api_client, national_id, person, record
from tests.platforms.fake import BASE, TOKEN, FakePlatform, result

UTC = timezone.utc
THIS_YEAR = datetime.now(timezone(timedelta(hours=8))).year


@pytest.fixture
async def review(db) -> dict[str, str]:
    """Headers of a review_system client limited to no region."""
    return {"Authorization": "Bearer " + await api_client(db, "review_system")}


async def ask(api, headers, nid, from_year, to_year, **params):
    response = await api.get(f"/api/v1/compliance/{nid}",
                             params={"from_year": from_year, "to_year": to_year, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_mover_is_judged_where_they_declare(api, db, review):
    """Beijing in 2021, Kaili from 2022: declaring in Guizhou (the latest period) 2021 is met under GZ-2021-ON."""
    nid = national_id(301, region="110105")
    pid = await person(db, nid, periods=[(2015, "intermediate", "standard", "110105", UNIT),
                                         (2022, "intermediate", "standard", "522601", UNIT)])
    await record(db, pid, 2021, "public", 30)
    await record(db, pid, 2021, "professional", 60)
    body = await ask(api, review, nid, 2021, 2021)
    assert body["declaring_region"] == "522601"
    year = body["years"][0]
    assert (year["status"], year["rule"], year["rule_set"], year["region"]) == ("met", "GZ-2021-ON", "guizhou@1",
                                                                                "110105")
    assert body["compliant"] is True
    # Asked as a Hubei declaration: Beijing is outside the belt, the 90 h are shown as not counted.
    body = await ask(api, review, nid, 2021, 2021, region="420000")
    year = body["years"][0]
    assert body["declaring_region"] == "420000" and body["compliant"] is False
    assert (year["status"], year["rule"], year["registered"]["total"]) == ("short", "HB-2016-ON", 0)
    assert year["not_counted"] == [{"reason": "not_recognised", "detail": year["not_counted"][0]["detail"],
                                    "public": 30, "professional": 60, "total": 90, "pending": 0}]


async def test_the_declaring_region_is_signed(api, db, review):
    nid = national_id(302, region="532930")
    await person(db, nid, periods=[(2015, "intermediate", "standard", "532930", UNIT)])
    answer = await ask(api, review, nid, 2023, 2023, region="520000")
    keys = (await api.get("/api/v1/compliance/keys")).json()["keys"]
    public = {k["kid"]: unb64url(k["public_key"]) for k in keys}
    assert verify(answer, public)
    assert not verify({**answer, "declaring_region": "530000"}, public)


async def test_yunnan_is_held_to_the_national_floor(api, db, review):
    """Seed 003 (洱源县): "继续教育情况需符合国家、我省及行业的相关规定" — no Yunnan figures, so 人社部令第25号."""
    nid = national_id(303, region="532930")
    pid = await person(db, nid, periods=[(2014, "intermediate", "standard", "532930", UNIT)])
    for year in (2016, 2023):
        await record(db, pid, year, "public", 30)
        await record(db, pid, year, "professional", 60)
    body = await ask(api, review, nid, 2015, 2016)
    assert [(y["status"], y["rule"]) for y in body["years"]] == [("no_rule", None), ("met", "CN-2016-ON")]
    assert body["years"][1]["rule_set"] == "national@1"
    body = await ask(api, review, nid, 2023, 2023)
    assert body["compliant"] is True and body["years"][0]["required_professional_hours"] == 60


async def test_years_before_the_first_period_and_the_running_year(api, db, review):
    nid = national_id(304)
    pid = await person(db, nid, periods=[(THIS_YEAR - 1, "intermediate", "standard", "522601", UNIT)])
    await record(db, pid, THIS_YEAR - 1, "professional", 90)
    await record(db, pid, THIS_YEAR, "professional", 10, history=[("registered", datetime.now(UTC) - timedelta(days=1))])
    body = await ask(api, review, nid, THIS_YEAR - 2, THIS_YEAR)
    assert [y["status"] for y in body["years"]] == ["not_applicable", "met", "in_progress"]
    assert body["years"][0]["rule"] is None
    assert body["compliant"] is False  # the running year is not met yet
    body = await ask(api, review, nid, THIS_YEAR - 2, THIS_YEAR - 1)
    assert body["compliant"] is True   # not_applicable and met


async def test_the_default_declaring_region_is_a_one_province_client_s(api, db):
    nid = national_id(305, region="420106")
    await person(db, nid, periods=[(2015, "intermediate", "grassroots", "420106", UNIT)])
    two = await api_client(db, "review_system", "two provinces")
    one = await api_client(db, "review_system", "Hubei")
    await db.execute("update api_clients set regions = '{52,42}' where name = 'two provinces'")
    await db.execute("update api_clients set regions = '{42}' where name = 'Hubei'")
    body = await ask(api, {"Authorization": "Bearer " + two}, nid, 2023, 2023)
    assert body["declaring_region"] == "420106"  # two provinces: the person's latest period
    body = await ask(api, {"Authorization": "Bearer " + one}, nid, 2023, 2023)
    assert (body["declaring_region"], body["years"][0]["rule"]) == ("420106", "HB-2016-ON")  # where in Hubei


async def test_a_region_limited_client_asks_only_about_its_own_regions(api, db):
    """A Hubei review system judges declarations made in Hubei: it cannot pick Guizhou's laxer 45 h."""
    nid = national_id(310, region="420106")
    await person(db, nid, periods=[(2015, "intermediate", "grassroots", "420106", UNIT)])
    token = await api_client(db, "review_system", "Hubei only")
    await db.execute("update api_clients set regions = '{42}' where name = 'Hubei only'")
    response = await api.get(f"/api/v1/compliance/{nid}", params={"from_year": 2023, "to_year": 2023,
                                                                  "region": "520000"},
                             headers={"Authorization": "Bearer " + token})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "region",
                                          "message": "is outside the regions this client may act for",
                                          "code": "out_of_scope", "params": {}}]


async def test_batch_takes_the_region(api, db, review):
    nid = national_id(306, region="420106")
    await person(db, nid, periods=[(2015, "intermediate", "grassroots", "420106", UNIT)])
    response = await api.post("/api/v1/compliance/batch", json={"national_ids": [nid], "from_year": 2023,
                                                                 "to_year": 2023, "region": "520000"}, headers=review)
    assert response.status_code == 200, response.text
    [answer] = response.json()["results"]
    assert answer["declaring_region"] == "520000"
    assert (answer["years"][0]["rule"], answer["years"][0]["required_hours"]) == ("GZ-2021-ON", 45)


@pytest.mark.parametrize("region", ["52", "5200001", "990000", "abcdef", ""])
async def test_a_bad_region_is_422_naming_it(api, db, review, region):
    nid = national_id(307)
    await person(db, nid)
    response = await api.get(f"/api/v1/compliance/{nid}", params={"from_year": 2023, "to_year": 2023,
                                                                  "region": region}, headers=review)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["region"]
    response = await api.post("/api/v1/compliance/batch", json={"national_ids": [nid], "from_year": 2023,
                                                                 "to_year": 2023, "region": region}, headers=review)
    assert response.status_code == 422 and [e["field"] for e in response.json()["errors"]] == ["region"]


async def test_integrity_entries_and_the_bar_in_the_answer(api, db, review):
    """Seeds 001/002: "情节严重的，取消三年内职称申报"; seed 004: "仍在记录期限的不得申报"."""
    nid = national_id(308)
    pid = await person(db, nid)
    body = await ask(api, review, nid, 2023, 2023)
    assert body["integrity"] == {"entries": 0, "barred_until": None}
    recorded = datetime.now(UTC) - timedelta(days=10)
    entry_date = date.today() - timedelta(days=30)
    await db.execute("insert into integrity_entries (person_id, at, kind, reason, actor, entry_date, bars_declaration)"
                     " values ($1, $2, 'falsification', '伪造证书', 'test', $3, true),"
                     " ($1, $2, 'misconduct', '轻微', 'test', $3, false)", pid, recorded, entry_date)
    body = await ask(api, review, nid, 2023, 2023)
    until = entry_date.replace(year=entry_date.year + 3) - timedelta(days=1)
    assert body["integrity"] == {"entries": 2, "barred_until": until.isoformat()}
    # As the registry stood before the entries were made: nothing.
    before = (recorded - timedelta(seconds=1)).isoformat()
    assert (await ask(api, review, nid, 2023, 2023, as_of=before))["integrity"] == {"entries": 0, "barred_until": None}


FAST = RetryPolicy(attempts=2, base_seconds=0.001, cap_seconds=0.01, timeout_seconds=5)


async def test_platform_passes_count_the_test_credit_once_per_course(api, db, database_url, review):
    """Seed 001 四(二): "学习测试合格计30学时。2021年及2022年开设的课件继续延用,学员可结合实际选择未学习课件进行学习"."""
    n = 309
    nid = national_id(n)
    await person(db, nid, name=f"人员{n}", periods=[(2015, "intermediate", "standard", "522601", UNIT)])
    await add_platform(db, "gz", BASE, TOKEN, "520000", 3600)
    y = THIS_YEAR - 2
    items = [
        # The same course passed twice in one year, reported as 30 h then 45 h: 30 h count.
        result(n, y, result_id="A1", course_code=f"GX-{y}", credited_hours=30, finished_at=f"{y}-05-01T10:00:00+08:00"),
        result(n, y, result_id="A2", course_code=f"GX-{y}", credited_hours=45, finished_at=f"{y}-09-01T10:00:00+08:00"),
        # Earlier courseware passed in y (finished early the next year, still exam year y) and again in y + 1.
        result(n, y, result_id="B1", course_code="GX-2021", credited_hours=45,
               finished_at=f"{y + 1}-01-05T10:00:00+08:00"),
        result(n, y + 1, result_id="B2", course_code="GX-2021", credited_hours=30,
               finished_at=f"{y + 1}-06-01T10:00:00+08:00"),
    ]
    pool = await create_pool(database_url, 1, 2)
    try:
        with respx.mock(assert_all_called=False) as mock:
            mock.get(f"{BASE}/api/v1/results").mock(side_effect=FakePlatform(items))
            report = await pull(pool, "gz", max_hours=200, policy=FAST)
    finally:
        await pool.close()
    assert (report.stored, report.set_aside, report.error) == (4, 0, None)
    stored = await db.fetch("select external_id, year, completed_on, half_hours from records order by external_id")
    assert [(r["external_id"], r["year"]) for r in stored] == [("A1", y), ("A2", y), ("B1", y), ("B2", y + 1)]
    assert stored[2]["completed_on"] == date(y + 1, 1, 5)  # kept as it happened
    first, second = (await ask(api, review, nid, y, y + 1))["years"]
    assert first["registered"]["public"] == 60  # GX-y once and GX-2021 once, 30 h each
    assert {c["reason"]: c["public"] for c in first["not_counted"]} == {"repeated_course": 45, "test_credit": 15}
    assert second["registered"]["public"] == 0
    assert {c["reason"]: c["public"] for c in second["not_counted"]} == {"repeated_course": 30}
    # Asked about the later year alone, the earlier pass still makes the second one a repeat.
    [alone] = (await ask(api, review, nid, y + 1, y + 1))["years"]
    assert alone["registered"]["public"] == 0
    # And as the registry stood: the same reading from the events.
    [as_of] = (await ask(api, review, nid, y + 1, y + 1, as_of=datetime.now(UTC).isoformat()))["years"]
    assert as_of["registered"] == alone["registered"] and as_of["not_counted"] == alone["not_counted"]
