"""An import's report says, in Chinese, why each row was refused: by the error's code, under Chinese headers."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

from openpyxl import load_workbook

from ce_service import clock
from ce_service.imports.service import run_import
from ce_service.imports.tables import table_bytes
from tests.builders import UNIT, national_id, person, sign_in, user
from tests.imports.test_imports_api import HEADER, row

YEAR = date.today().year - 1
LATIN = re.compile(r"[a-z]")


async def upload(api, headers, content: bytes, filename: str, kind: str) -> dict:
    answer = await api.post("/api/v1/imports", files={"file": (filename, content)}, data={"kind": kind}, headers=headers)
    assert answer.status_code == 202, answer.text
    return answer.json()


def sheet(content: bytes) -> list[list]:
    """The first worksheet of an XLSX report, as openpyxl reads it back."""
    book = load_workbook(io.BytesIO(content), read_only=True)
    try:
        return [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()


def chinese(reason: str, *sent: str) -> bool:
    """True when no ASCII letter is left in the reason once the values the user sent are taken out."""
    for value in sent:
        reason = reason.replace(value, "")
    return not LATIN.search(reason)


async def test_a_records_import_reports_each_refusal_in_chinese(api, db, pool):
    await user(db, "unit1", "unit_reviewer", unit_code=UNIT)
    unit = await sign_in(api, "unit1")
    for n in range(1, 12):
        await person(db, national_id(n), name=f"人员{n}")
    bad_id = national_id(5)[:17] + ("0" if national_id(5)[17] != "0" else "1")
    formula = '=HYPERLINK("http://evil.example/","点此")'
    rows = [
        row(1),                                                    # accepted
        row(2, hours=0.3),                                         # not a multiple of 0.5
        row(3, hours=500),                                         # more than a record may hold
        row(4, name="别人"),                                        # not the registered name
        row(5, national_id=bad_id),                                # wrong check character
        row(6, course_title="课" * 201),                            # too long
        row(7, completed_on=f"{YEAR - 1}-05-20"),                  # outside its year
        row(8, category="art", course_title=formula),              # no such category; the title stays text
        row(9, year=clock.today().year + 1, completed_on=f"{clock.today().year + 1}-01-02"),
        row(10, hours="十二"),                                      # not a number
        row(11, course_title="", category="professional"),         # the API's word for the category
    ]
    job = await upload(api, unit, table_bytes("csv", HEADER, rows), "学时.csv", "records")
    await run_import(pool, job["id"], max_hours=200)

    report = await api.get(f"/api/v1/imports/{job['id']}/report?format=xlsx")
    assert report.status_code == 200 and report.content.startswith(b"PK")
    header, *lines = sheet(report.content)
    assert header == ["行号", "记录编号", "结果", "系统记录号", "失败原因", "技术细节"]
    assert [line[2] for line in lines] == ["已接收"] + ["未通过"] * 10
    reasons = {line[1]: line[4] for line in lines}
    assert reasons["DW-1"] is None and lines[0][3]
    assert reasons["DW-2"] == "学时：须为 0.5 的整数倍"
    assert reasons["DW-3"] == "学时：不能大于 200"
    assert reasons["DW-4"] == "姓名：姓名与登记系统中该身份证号的姓名不一致"
    assert reasons["DW-5"].startswith("身份证号：身份证号码不正确")
    assert reasons["DW-6"] == "课程名称：太长（最多 200 字）"
    assert reasons["DW-7"] == f"完成日期：须在 {YEAR} 年内"
    assert reasons["DW-8"] == "类别：请从列表中选择"
    assert reasons["DW-9"].startswith(f"年度：不能晚于今年（{clock.today().year} 年）")
    assert reasons["DW-10"] == "学时：格式不正确"
    assert reasons["DW-11"] == "课程名称：必须填写"
    for line in lines[1:]:
        assert chinese(line[4]), line
        assert line[5] and line[5].isascii()   # the API's English, last, for systems
    assert "must be a multiple of 0.5" in lines[1][5]

    # The rows to fix: the template's columns as they were sent, with the Chinese reason beside them.
    fix = await api.get(f"/api/v1/imports/{job['id']}/report?rejected=true&format=xlsx")
    book = load_workbook(io.BytesIO(fix.content))
    cells = list(book.worksheets[0].iter_rows())
    assert [c.value for c in cells[0]] == HEADER + ["学时取得地区代码", "失败原因"]
    by_id = {r[0].value: r for r in cells[1:]}
    assert set(by_id) == {f"DW-{n}" for n in range(2, 12)}
    title = by_id["DW-8"][6]
    assert title.value == formula and title.data_type == "s"   # text, never a formula
    assert by_id["DW-11"][4].value == "专业科目"                 # the category in the template's words
    assert all(chinese(r[-1].value) for r in cells[1:])

    rejected_csv = list(csv.reader(io.StringIO((await api.get(
        f"/api/v1/imports/{job['id']}/report?rejected=true")).content.decode("utf-8-sig"))))
    assert rejected_csv[0][-1] == "失败原因"
    dw8 = next(r for r in rejected_csv if r[0] == "DW-8")
    assert dw8[6] == "'" + formula and dw8[-1] == "类别：请从列表中选择"

    # Rows stored before errors had codes are said by their message, still in Chinese.
    await db.execute("""update import_rows set errors = (select jsonb_agg(e - 'code' - 'params')
                        from jsonb_array_elements(errors) e) where errors is not null""")
    header, *lines = sheet((await api.get(f"/api/v1/imports/{job['id']}/report?format=xlsx")).content)
    old = {line[1]: line[4] for line in lines}
    assert old["DW-2"] == "学时：须为 0.5 的整数倍" and old["DW-11"] == "课程名称：必须填写"
    assert all(chinese(line[4]) for line in lines[1:])


async def test_a_people_import_reports_each_refusal_in_chinese(api, db, pool):
    await user(db, "hr1", "hr_reviewer", region_prefix="52")
    hr = await sign_in(api, "hr1")
    header = ["身份证号", "姓名", "职称系列", "起始年度", "职称级别", "单位类型", "所在地区代码", "单位统一社会信用代码"]
    rows = [[national_id(1), "人员1", "engineering", 2015, "初级", "一般", "522601", UNIT],
            [national_id(1), "人员1", "engineering", 2020, "中级", "基层", "5226", UNIT],        # a bad region, 2nd period
            [national_id(2), "人员2", "engineering", 2018, "大师", "一般", "522601", UNIT],      # no such level
            [national_id(3), "人员3", "engineering", 2018, "中级", "一般", "110101", UNIT],      # outside HR's region
            [national_id(4), "人员4", "engineering", 2018, "中级", "一般", "522601", "91522601ABC"],
            [national_id(5), "人员5", "no_such_series", 2018, "中级", "一般", "522601", UNIT],
            [national_id(6), "人员6", "engineering", 2018, "中级", "一般", "522601", UNIT],
            [national_id(6), "人员六", "engineering", 2020, "中级", "一般", "522601", UNIT]]   # two names for one person
    job = await upload(api, hr, table_bytes("xlsx", header, rows), "人员.xlsx", "people")
    await run_import(pool, job["id"], max_hours=200)
    top, *lines = sheet((await api.get(f"/api/v1/imports/{job['id']}/report?format=xlsx")).content)
    assert top == ["行号", "身份证号", "结果", "系统记录号", "失败原因", "技术细节"]
    assert [line[2] for line in lines] == ["未通过"] * 8
    reasons = [line[4] for line in lines]
    assert reasons[0] == reasons[1] == "第 2 段任职的所在地区代码：地区代码不正确（须为 6 位行政区划代码）"
    assert reasons[2] == "第 1 段任职的职称级别：请从列表中选择"
    assert reasons[3] == "身份证号：该人员不在您可以办理的地区范围内"
    assert reasons[4] == "第 1 段任职的单位统一社会信用代码：统一社会信用代码不正确，请核对 18 位代码"
    assert reasons[5] == "职称系列：没有这个职称系列"
    assert reasons[6] == reasons[7] == "姓名：同一人员的各行姓名和职称系列须一致"
    assert all(chinese(r) for r in reasons)

    fix = sheet((await api.get(f"/api/v1/imports/{job['id']}/report?rejected=true&format=xlsx")).content)
    assert fix[0][-1] == "失败原因" and fix[1][4] == "初级" and fix[2][5] == "基层"
    assert all(chinese(r[-1]) for r in fix[1:])


async def test_an_upload_refused_whole_says_why_by_code(api, db):
    await user(db, "unit1", "unit_reviewer", unit_code=UNIT)
    unit = await sign_in(api, "unit1")
    answer = await api.post("/api/v1/imports", files={"file": ("x.csv", "姓名\n张三\n".encode())},
                            data={"kind": "records"}, headers=unit)
    assert answer.status_code == 422
    (error,) = answer.json()["errors"]
    assert error["field"] == "file" and error["code"] == "missing_columns"
    assert error["params"]["columns"].startswith("记录编号、身份证号")
    assert error["message"].startswith("missing columns:")
    empty = await api.post("/api/v1/imports", files={"file": ("x.csv", b"")}, data={"kind": "records"}, headers=unit)
    assert empty.json()["errors"][0]["code"] == "file_empty"
