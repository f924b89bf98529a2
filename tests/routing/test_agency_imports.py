"""Files of people may name an agency instead of a unit; an agency imports records of its own people."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import asyncpg
import pytest

from ce_service.db import create_pool
from ce_service.identity import make_credit_code
from ce_service.imports.service import run_import
from ce_service.imports.tables import table_bytes
from ce_service.people.units import save_unit
from tests.builders import UNIT, national_id, sign_in, user

YEAR = date.today().year - 1
AGENCY = make_credit_code("12522601700000003")   # 凯里市人才交流服务中心 (人事代理机构)


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_url, 1, 4)
    yield pool
    await pool.close()


async def upload(api, headers, content: bytes, filename: str, kind: str) -> dict:
    response = await api.post("/api/v1/imports", files={"file": (filename, content)}, data={"kind": kind},
                              headers=headers)
    assert response.status_code == 202, response.text
    return response.json()


async def test_people_with_an_agency_column_then_the_agency_imports_their_hours(api, db, pool):
    """Seed 004: "自由职业专业技术人员，由人事代理机构履行审核、公示、推荐程序。" HR imports a freelancer with the
    agency's code in the agency column; the agency's own upload of records reaches its queue, routed agency → HR."""
    await save_unit(db, AGENCY, "凯里市人才交流服务中心", "agency", "522601")
    await user(db, "hr1", "hr_reviewer", region_prefix="52")
    await user(db, "agency1", "agency_reviewer", unit_code=AGENCY)
    hr = await sign_in(api, "hr1")
    header = ["身份证号", "姓名", "职称系列", "起始年度", "职称级别", "单位类型", "所在地区代码", "单位统一社会信用代码",
              "代理机构或行业主管部门统一社会信用代码"]
    rows = [[national_id(1), "人员1", "engineering", 2019, "中级", "非公", "522601", None, AGENCY],
            [national_id(2), "人员2", "engineering", 2019, "中级", "一般", "522601", UNIT, None],
            [national_id(3), "人员3", "engineering", 2019, "中级", "一般", "522601", UNIT, AGENCY]]
    job = await upload(api, hr, table_bytes("xlsx", header, rows), "人员.xlsx", "people")
    await run_import(pool, job["id"], max_hours=200)
    status = (await api.get(f"/api/v1/imports/{job['id']}")).json()
    assert (status["accepted"], status["rejected"]) == (2, 1)
    assert await db.fetchval("select affiliation from person_periods pp join persons p on p.id = pp.person_id"
                             " where p.national_id = $1", national_id(1)) == "agency"

    agency = await sign_in(api, "agency1")
    header = ["记录编号", "身份证号", "姓名", "年度", "类别", "学时", "课程名称", "完成日期"]
    records = [["A-1", national_id(1), "人员1", YEAR, "专业", 12, "建筑结构抗震设计", f"{YEAR}-05-20"],
               ["A-2", national_id(2), "人员2", YEAR, "专业", 12, "建筑结构抗震设计", f"{YEAR}-05-20"]]
    job = await upload(api, agency, table_bytes("csv", header, records), "学时.csv", "records")
    await run_import(pool, job["id"], max_hours=200)
    status = (await api.get(f"/api/v1/imports/{job['id']}")).json()
    assert (status["accepted"], status["rejected"]) == (1, 1)   # 人员2 is a unit's, not the agency's
    assert await db.fetchval("select route from records") == ["agency", "hr"]
    queue = (await api.get("/api/v1/review/queue")).json()
    assert [i["national_id"] for i in queue["items"]] == [national_id(1)]


async def test_a_unit_desk_with_the_agency_s_code_imports_only_the_agency_s_own_staff(api, db, pool):
    """The agency's own staff office (a unit reviewer under the same credit code) answers for the agency's
    employees, not for the freelancers it represents: the code alone does not decide, its affiliation does."""
    await save_unit(db, AGENCY, "凯里市人才交流服务中心", "agency", "522601")
    from tests.builders import person
    await person(db, national_id(11), name="自由职业者", periods=[(2019, "intermediate", "private", "522601", AGENCY,
                                                                "agency")])
    await person(db, national_id(12), name="中心职工", periods=[(2019, "intermediate", "standard", "522601", AGENCY)])
    await user(db, "desk", "unit_reviewer", unit_code=AGENCY)
    await user(db, "agency2", "agency_reviewer", unit_code=AGENCY)
    header = ["记录编号", "身份证号", "姓名", "年度", "类别", "学时", "课程名称", "完成日期"]
    records = [["D-1", national_id(11), "自由职业者", YEAR, "专业", 12, "建筑结构抗震设计", f"{YEAR}-05-20"],
               ["D-2", national_id(12), "中心职工", YEAR, "专业", 12, "建筑结构抗震设计", f"{YEAR}-05-20"]]
    for who, staff_ok in (("desk", True), ("agency2", False)):
        headers = await sign_in(api, who)
        rows = [[f"{who}-{r[0]}", *r[1:]] for r in records]
        job = await upload(api, headers, table_bytes("csv", header, rows), "学时.csv", "records")
        await run_import(pool, job["id"], max_hours=200)
        report = {r["national_id"]: r["status"] for r in await db.fetch(
            "select p.national_id, r.status from records r join persons p on p.id = r.person_id"
            " where r.external_id like $1", f"{who}-%")}
        assert report == ({national_id(12): "submitted"} if staff_ok else {national_id(11): "submitted"}), who
