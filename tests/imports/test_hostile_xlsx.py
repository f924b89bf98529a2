"""XLSX files made by hand to get past the checks: a renamed shared-strings part, damaged cells deep in the file."""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape

import pytest

from ce_service.imports.service import run_import
from ce_service.imports.tables import MAX_SHARED_STRINGS_BYTES, TableError, check_archive, read_rows, table_bytes
from tests.builders import national_id, person
from tests.imports.test_imports_api import HEADER, row, unit_reviewer, upload  # noqa: F401 (unit_reviewer: a fixture)

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def xlsx(rows: list[list[str]], strings_part: str = "xl/sharedStrings.xml", padding: int = 0,
         content_types_extra: str = "") -> bytes:
    """A workbook whose text is in a shared-strings part of any name (found, as Excel and openpyxl find it,
    through [Content_Types].xml and the workbook's relationships), with `padding` bytes of unused strings.
    Stored, not deflated: no packing ratio gives it away."""
    strings = sorted({v for r in rows for v in r})
    index = {s: i for i, s in enumerate(strings)}
    cells = "".join(f'<row r="{n}">' + "".join(f'<c r="{chr(65 + i)}{n}" t="s"><v>{index[v]}</v></c>'
                                                for i, v in enumerate(r)) + "</row>"
                    for n, r in enumerate(rows, start=1))
    filler = "<si><t>" + "x" * 1000 + "</t></si>"
    sst = (f'<sst xmlns="{MAIN}">' + "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
           + filler * (padding // len(filler) + (1 if padding else 0)) + "</sst>")
    parts = {
        "[Content_Types].xml": f'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                               f'{content_types_extra}'
                               f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                               f'<Default Extension="xml" ContentType="application/xml"/>'
                               f'<Override PartName="/xl/workbook.xml" ContentType="{TYPE}.sheet.main+xml"/>'
                               f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{TYPE}.worksheet+xml"/>'
                               f'<Override PartName="/{strings_part}" ContentType="{TYPE}.sharedStrings+xml"/></Types>',
        "_rels/.rels": f'<Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOC_RELS}/officeDocument"'
                       f' Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{MAIN}" xmlns:r="{DOC_RELS}"><sheets>'
                           f'<sheet name="导入" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{RELS}">'
                                      f'<Relationship Id="rId1" Type="{DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
                                      f'<Relationship Id="rId2" Type="{DOC_RELS}/sharedStrings" Target="/{strings_part}"/>'
                                      f'</Relationships>',
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{MAIN}"><sheetData>{cells}</sheetData></worksheet>',
        strings_part: sst,
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text.encode())
    return out.getvalue()


ROWS = [["记录编号", "课程名称"], ["DW-1", "建筑结构抗震设计"]]


def titles(content: bytes) -> list[str]:
    from ce_service.imports.tables import _raw_rows

    return [r[1] for r in _raw_rows(content)][1:]


def test_the_shared_strings_part_is_found_whatever_its_name():
    """openpyxl finds the text through [Content_Types].xml, not by the part's name: so must the check."""
    for name in ("xl/sharedStrings.xml", "xl/strings-of-mine.xml", "elsewhere/s.bin"):
        assert titles(xlsx(ROWS, name)) == ["建筑结构抗震设计"]   # openpyxl reads the renamed part


@pytest.mark.parametrize("name", ["xl/sharedStrings.xml", "xl/strings-of-mine.xml", "elsewhere/s.bin"])
def test_more_than_32_mb_of_text_is_refused_under_any_name(name):
    content = xlsx(ROWS, name, padding=MAX_SHARED_STRINGS_BYTES)
    with pytest.raises(TableError, match="MB of text"):
        check_archive(content)
    with pytest.raises(TableError, match="MB of text"):
        list(read_rows(content, "records"))


def test_only_worksheets_may_unpack_past_the_cap():
    content = xlsx(ROWS)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as bigger:
        for item in source.infolist():
            bigger.writestr(item.filename, source.read(item))
        bigger.writestr("xl/media/image1.png", b"\x89PNG" + bytes(MAX_SHARED_STRINGS_BYTES))
    with pytest.raises(TableError, match="xl/media/image1.png unpacks to more than 32 MB"):
        check_archive(out.getvalue())


def test_a_content_types_part_with_a_dtd_is_refused():
    laughs = '<!DOCTYPE Types [<!ENTITY a "aaaaaaaaaa">]>'
    content = xlsx(ROWS)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w") as changed:
        for item in source.infolist():
            data = source.read(item)
            changed.writestr(item.filename, laughs.encode() + data if item.filename == "[Content_Types].xml" else data)
    with pytest.raises(TableError, match="DTD"):
        check_archive(out.getvalue())


def damaged(rows: list[list], line: int, cell: str) -> bytes:
    """table_bytes() XLSX with the first cell of spreadsheet row `line` replaced by `cell` (raw XML)."""
    content = table_bytes("xlsx", rows[0], rows[1:])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as changed:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                start = data.index(f'<c r="A{line}"'.encode())
                end = data.index(b"</c>", start) + 4
                data = data[:start] + cell.encode() + data[end:]
            changed.writestr(item.filename, data)
    return out.getvalue()


MANY = [HEADER] + [row(n) for n in range(1, 2001)]


@pytest.mark.parametrize("cell, reason", [
    ('<c r="A1500" t="d"><v>not a date</v></c>', "ValueError"),            # a date cell that is no date
    ('<c r="A1500" t="s"><v>99999</v></c>', "IndexError"),                  # a string that is not in the table
])
def test_a_damaged_cell_deep_in_a_file_is_a_reason_not_a_crash(cell, reason):
    content = damaged(MANY, 1500, cell)
    assert next(read_rows(content, "records"))[0] == 2   # the start of the file reads (the upload's check passes)
    with pytest.raises(TableError, match=f"cannot be read beyond row 1499 .*{reason}"):
        list(read_rows(content, "records"))


def test_broken_xml_in_a_sheet_is_a_reason_not_a_crash():
    with pytest.raises(TableError, match="ParseError"):
        list(read_rows(damaged(MANY, 1500, '<c r="A1500" t="n"><v>12<oops></v></c>'), "records"))


async def test_an_import_whose_file_breaks_mid_way_fails_saying_why(api, db, pool, unit_reviewer):  # noqa: F811
    await person(db, national_id(1), name="人员1")
    content = damaged(MANY, 1500, '<c r="A1500" t="d"><v>not a date</v></c>')
    created = await upload(api, unit_reviewer, content, filename="学时.xlsx")
    assert created.status_code == 202, created.text
    job = created.json()
    finished = await run_import(pool, job["id"], max_hours=200)
    assert finished.status == "failed" and finished.finished_at is not None
    assert "beyond row 1499" in finished.error and "ValueError" in finished.error
    status = (await api.get(f"/api/v1/imports/{job['id']}")).json()
    assert status["status"] == "failed" and status["error"] == finished.error
    # Nothing half-done: no row of it was taken, and its report says so rather than failing.
    assert await db.fetchval("select count(*) from records") == 0
    report = await api.get(f"/api/v1/imports/{job['id']}/report?rejected=true")
    assert report.status_code == 200


def test_a_csv_field_past_the_csv_module_limit_is_a_reason_not_a_crash():
    content = table_bytes("csv", HEADER, [row(1), row(2, course_title="长" * 200_000)])
    with pytest.raises(TableError, match="cannot be read at line 3"):
        list(read_rows(content, "records"))
