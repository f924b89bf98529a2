"""Uploading files of records and people, watching their progress, fixing rejected rows and sending them again."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from ce_service.identity import make_credit_code
from ce_service.imports.service import run_import
from ce_service.imports.tables import table_bytes
from tests.builders import UNIT, national_id, person, sign_in, user

YEAR = date.today().year - 1
HEADER = ["记录编号", "身份证号", "姓名", "年度", "类别", "学时", "课程名称", "课程编号", "完成日期"]


def row(n: int, **changes) -> list:
    values = {"external_id": f"DW-{n}", "national_id": national_id(n), "name": f"人员{n}", "year": YEAR,
              "category": "专业", "hours": 12, "course_title": "建筑结构抗震设计", "course_code": f"C-{n}",
              "completed_on": f"{YEAR}-05-20", **changes}
    return list(values.values())


@pytest.fixture
async def unit_reviewer(api, db) -> dict[str, str]:
    await user(db, "unit1", "unit_reviewer", unit_code=UNIT)
    return await sign_in(api, "unit1")


async def upload(api, headers, content: bytes, filename="学时.csv", kind="records"):
    return await api.post("/api/v1/imports", files={"file": (filename, content)}, data={"kind": kind},
                          headers=headers)


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


async def test_upload_progress_report_fix_and_send_again(api, db, pool, unit_reviewer):
    for n in range(1, 2501):
        await person(db, national_id(n), name=f"人员{n}")
    rows = [row(n) for n in range(1, 2501)]
    rows[9] = row(10, hours=0.3)                 # impossible hours
    rows[19] = row(20, name="别人")               # name does not match the registry
    rows.append(row(9000))                        # not registered yet: held
    created = await upload(api, unit_reviewer, table_bytes("csv", HEADER, rows))
    assert created.status_code == 202, created.text
    job = created.json()
    assert job["status"] == "queued" and job["rows_done"] == 0

    seen = []
    finished = await run_import(pool, job["id"], max_hours=200, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1000, 2501), (2000, 2501), (2501, 2501)]
    status = (await api.get(f"/api/v1/imports/{job['id']}")).json()
    assert status == {**status, "status": "done", "rows_total": 2501, "rows_done": 2501, "accepted": 2498,
                      "duplicates": 0, "held": 1, "rejected": 2}
    assert finished.status == "done"
    assert await db.fetchval("select count(*) from records where source = 'import' and status = 'submitted'") == 2498

    report = await api.get(f"/api/v1/imports/{job['id']}/report")
    assert report.status_code == 200 and "attachment" in report.headers["content-disposition"]
    lines = csv_rows(report.content)
    assert lines[0] == ["行号", "记录编号", "结果", "系统记录号", "失败原因", "技术细节"]
    assert lines[1][:3] == ["2", "DW-1", "已接收"] and lines[1][3]
    assert lines[10][:3] == ["11", "DW-10", "未通过"] and lines[10][4] == "学时：须为 0.5 的整数倍"
    assert lines[10][5].startswith("hours:")   # the API's words stay for systems, last, under 技术细节

    rejected = await api.get(f"/api/v1/imports/{job['id']}/report?rejected=true&format=xlsx")
    assert rejected.content.startswith(b"PK")
    rejected_csv = csv_rows((await api.get(f"/api/v1/imports/{job['id']}/report?rejected=true")).content)
    assert rejected_csv[0][-1] == "失败原因" and [r[0] for r in rejected_csv[1:]] == ["DW-10", "DW-20"]

    # Fix the two rows, send them again with two accepted ones: nothing is doubled.
    fixed = [row(10), row(20), row(1), row(2)]
    again = (await upload(api, unit_reviewer, table_bytes("csv", HEADER + ["失败原因"], [r + ["旧原因"] for r in fixed]))).json()
    await run_import(pool, again["id"], max_hours=200)
    status = (await api.get(f"/api/v1/imports/{again['id']}")).json()
    assert (status["accepted"], status["duplicates"], status["rejected"]) == (2, 2, 0)
    assert await db.fetchval("select count(*) from records where source = 'import'") == 2500

    listed = (await api.get("/api/v1/imports")).json()
    assert [i["id"] for i in listed["items"]] == [again["id"], job["id"]]


async def test_a_killed_run_resumes_where_it_stopped(api, db, pool, unit_reviewer):
    for n in range(1, 2101):
        await person(db, national_id(n), name=f"人员{n}")
    job = (await upload(api, unit_reviewer, table_bytes("csv", HEADER, [row(n) for n in range(1, 2101)]))).json()

    def die_after_first_chunk(done: int, total: int) -> None:
        raise KeyboardInterrupt   # as when the worker is stopped between two chunks

    with pytest.raises(KeyboardInterrupt):
        await run_import(pool, job["id"], max_hours=200, progress=die_after_first_chunk)
    status = (await api.get(f"/api/v1/imports/{job['id']}")).json()
    assert (status["status"], status["rows_done"], status["accepted"]) == ("running", 1000, 1000)
    await run_import(pool, job["id"], max_hours=200)
    status = (await api.get(f"/api/v1/imports/{job['id']}")).json()
    assert (status["status"], status["rows_done"], status["accepted"]) == ("done", 2100, 2100)
    assert await db.fetchval("select count(*) from records") == 2100
    assert await db.fetchval("select count(*) from import_rows") == 2100


async def test_a_unit_imports_only_for_its_people(api, db, pool, unit_reviewer):
    await person(db, national_id(1), name="人员1")
    other_unit = make_credit_code("91522601700000001")
    await person(db, national_id(2), name="人员2", periods=[(2015, "intermediate", "standard", "522601", other_unit)])
    job = (await upload(api, unit_reviewer, table_bytes("csv", HEADER, [row(1), row(2)]))).json()
    await run_import(pool, job["id"], max_hours=200)
    lines = csv_rows((await api.get(f"/api/v1/imports/{job['id']}/report")).content)
    assert [line[2] for line in lines[1:]] == ["已接收", "未通过"]
    assert lines[2][4] == "身份证号：该人员不在本单位"


async def test_hr_imports_people(api, db, pool):
    await user(db, "hr1", "hr_reviewer", region_prefix="52")
    hr = await sign_in(api, "hr1")
    header = ["身份证号", "姓名", "职称系列", "起始年度", "职称级别", "单位类型", "所在地区代码", "单位统一社会信用代码"]
    rows = [[national_id(1), "人员1", "engineering", 2015, "初级", "一般", "522601", UNIT],
            [national_id(1), "人员1", "engineering", 2020, "中级", "基层", "522601", UNIT],
            [national_id(2), "人员2", "engineering", 2018, "大师", "一般", "522601", UNIT],
            [national_id(3), "人员3", "engineering", 2018, "中级", "一般", "110101", UNIT]]
    job = (await upload(api, hr, table_bytes("xlsx", header, rows), "人员.xlsx", "people")).json()
    assert job["format"] == "xlsx"
    await run_import(pool, job["id"], max_hours=200)
    status = (await api.get(f"/api/v1/imports/{job['id']}")).json()
    assert (status["accepted"], status["rejected"]) == (2, 2)
    periods = await db.fetch("select from_year, level from person_periods pp join persons p on p.id = pp.person_id"
                             " where p.national_id = $1 order by from_year", national_id(1))
    assert [tuple(p) for p in periods] == [(2015, "junior"), (2020, "intermediate")]
    lines = csv_rows((await api.get(f"/api/v1/imports/{job['id']}/report")).content)
    assert lines[1][2] == "新增人员" and lines[3][2] == "未通过" and lines[3][4] == "第 1 段任职的职称级别：请从列表中选择"
    assert lines[4][2] == "未通过"   # a region outside the reviewer's


async def test_refusals(api, db, unit_reviewer):
    assert (await upload(api, unit_reviewer, b"\x00\x01\x02garbage")).status_code == 422
    missing = await upload(api, unit_reviewer, "姓名\n张三\n".encode())
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "file"
    assert (await upload(api, unit_reviewer, table_bytes("csv", HEADER, [row(1)]), kind="people")).status_code == 403
    assert (await upload(api, unit_reviewer, table_bytes("csv", HEADER, [row(1)]), kind="cars")).status_code == 422
    assert (await upload(api, {}, table_bytes("csv", HEADER, [row(1)]))).status_code == 403   # no CSRF token
    assert (await api.get("/api/v1/imports/not-a-uuid")).status_code == 404
    assert (await api.get("/api/v1/imports/templates/records.pdf")).status_code == 404
    template = await api.get("/api/v1/imports/templates/records.xlsx")
    assert template.status_code == 200 and template.content.startswith(b"PK")
    pid = await person(db, national_id(5), name="人员5")
    await user(db, "pro", "professional", person_id=pid)
    pro = await sign_in(api, "pro")
    assert (await upload(api, pro, table_bytes("csv", HEADER, [row(5)]))).status_code == 403
    assert (await api.get("/api/v1/imports")).status_code == 403   # professionals have no imports to list


async def test_a_report_does_not_wait_behind_an_import_being_read(api, db, pool, unit_reviewer, tmp_path):
    """Reports have their own process: reading a large file in an import job holds none of them up."""
    import asyncio

    from ce_service.rendering import off_loop
    from tests.test_rendering import wait_for_file

    await person(db, national_id(1), name="人员1")
    job = (await upload(api, unit_reviewer, table_bytes("csv", HEADER, [row(1, hours=0.3)]))).json()
    await run_import(pool, job["id"], max_hours=200)
    gate = tmp_path / "gate"
    reading = asyncio.create_task(off_loop(wait_for_file, str(gate), timeout=300, pool="import"))   # a long read
    try:
        report = await asyncio.wait_for(api.get(f"/api/v1/imports/{job['id']}/report?rejected=true"), 60)
        assert report.status_code == 200, report.text
        assert csv_rows(report.content)[1][0] == "DW-1"
        assert not reading.done()
    finally:
        gate.touch()
    await reading
