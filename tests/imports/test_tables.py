"""Reading spreadsheets: CSV in UTF-8 or GBK, XLSX, headers in Chinese or English, cells made into records."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from openpyxl import Workbook

from ce_service.imports.tables import TableError, period_from_row, read_rows, record_from_row, table_bytes, template


def xlsx(rows: list[list]) -> bytes:
    import io

    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


HEADER = ["记录编号", "身份证号", "姓名", "年度", "类别", "学时", "课程名称", "课程编号", "完成日期"]


def test_template_reads_back_as_its_example():
    for fmt in ("csv", "xlsx"):
        rows = list(read_rows(template("records", fmt), "records"))
        assert len(rows) == 1 and rows[0][0] == 2
        record = record_from_row(rows[0][1])
        assert record["category"] == "professional" and record["hours"] == 12.5 and record["year"] == 2025
        assert record["completed_on"] == "2025-05-20"


def test_csv_in_gbk_with_english_headers_in_another_order():
    text = "name,external_id,national_id,year,category,hours,course_title,completed_on\n张三,A-1,X,2024,公需,30,课,2024/6/1\n"
    [(line, cells)] = list(read_rows(text.encode("gb18030"), "records"))
    record = record_from_row(cells)
    assert line == 2 and record["name"] == "张三" and record["category"] == "public"
    assert record["completed_on"] == "2024-06-01" and record["hours"] == 30


def test_xlsx_cells_of_every_type():
    content = xlsx([HEADER + ["备注"], ["A-1", "522601198001011238", "张三", 2024.0, "专业科目", 12.5, "课", 701,
                                      datetime(2024, 5, 20)],
                    [None] * 9, ["A-2", "x", "李四", "2024", "other", "abc", "课", None, "2024年5月1日"]])
    rows = list(read_rows(content, "records"))
    assert [line for line, _ in rows] == [2, 4]   # the empty row is skipped, lines keep their numbers
    first, second = (record_from_row(c) for _, c in rows)
    assert first["year"] == 2024 and first["course_code"] == "701" and first["completed_on"] == "2024-05-20"
    assert second["hours"] == "abc" and second["category"] == "other" and second["completed_on"] == "2024-05-01"


@pytest.mark.parametrize(("content", "message"), [
    (b"", "empty"),
    ("姓名,学时\n张三,3\n".encode(), "missing columns: 记录编号 (external_id)"),
    (b"\xff\xfe\x00\x00bad", "GB18030"),
])
def test_unreadable_files(content, message):
    with pytest.raises(TableError, match=message.split(":")[0]):
        list(read_rows(content, "records"))


def test_people_rows_become_periods():
    period = period_from_row({"from_year": "2019", "level": "副高级", "workplace": "基层", "region": 522601.0,
                              "unit": "91522601700000000X"})
    assert period == {"from_year": 2019, "level": "senior_associate", "workplace": "grassroots", "region": "522601",
                      "unit": "91522601700000000X"}


def test_table_bytes_round_trip():
    content = table_bytes("xlsx", ["a", "b"], [[1, date(2024, 1, 2)]])
    assert content.startswith(b"PK")
    assert table_bytes("csv", ["a"], [["x"]]).startswith("\ufeff".encode())
