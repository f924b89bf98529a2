"""Spreadsheets in and out: templates, reading CSV or XLSX rows, and turning cells into records or people.

Pure, no I/O beyond bytes in and bytes out. Columns are found by their header, in Chinese (as in the
templates) or by their API name, in any order; unknown columns (such as 失败原因 in a report of
rejected rows sent back after fixing) are ignored.
"""

from __future__ import annotations

import csv
import io
import posixpath
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from xml.parsers import expat

from ce_service.cells import as_text, csv_value, printable, unquote, xlsx_value

KINDS = ("records", "people")
XLSX_MAGIC = b"PK\x03\x04"
MAX_ROWS = 200_000
# An XLSX file is a ZIP archive: a few kilobytes can unpack to gigabytes, or to millions of shared
# strings that openpyxl reads before the first row. Checked from the archive's directory, before any XML.
MAX_UNPACKED_BYTES = 256 << 20
MAX_SHARED_STRINGS_BYTES = 32 << 20
MAX_RATIO = 200


@dataclass(frozen=True)
class Column:
    key: str          # the API field name
    label: str        # the template header
    required: bool
    example: str


COLUMNS: dict[str, tuple[Column, ...]] = {
    "records": (
        Column("external_id", "记录编号", True, "DW-2025-0001"),
        Column("national_id", "身份证号", True, "522601198001011238"),
        Column("name", "姓名", True, "张三"),
        Column("year", "年度", True, "2025"),
        Column("category", "类别", True, "专业科目"),
        Column("hours", "学时", True, "12.5"),
        Column("course_title", "课程名称", True, "建筑结构抗震设计新规范"),
        Column("course_code", "课程编号", False, "JZ-2025-07"),
        Column("completed_on", "完成日期", True, "2025-05-20"),
        Column("region_earned", "学时取得地区代码", False, "520000"),
    ),
    "people": (
        Column("national_id", "身份证号", True, "522601198001011238"),
        Column("name", "姓名", True, "张三"),
        Column("series", "职称系列", True, "engineering"),
        Column("from_year", "起始年度", True, "2019"),
        Column("level", "职称级别", True, "中级"),
        Column("workplace", "单位类型", True, "基层"),
        Column("region", "所在地区代码", True, "522601"),
        Column("unit", "单位统一社会信用代码", False, "91522601700000000X"),
        # People without an employer unit: their personnel agency's or industry department's code instead.
        Column("agency", "代理机构或行业主管部门统一社会信用代码", False, ""),
    ),
}

REASON_LABEL = "失败原因"
TECHNICAL_LABEL = "技术细节"   # the API's English messages, for systems; people read 失败原因

CATEGORY = {"公需": "public", "公需科目": "public", "专业": "professional", "专业科目": "professional"}
LEVEL = {"正高级": "senior_full", "正高": "senior_full", "副高级": "senior_associate", "副高": "senior_associate",
         "中级": "intermediate", "初级": "junior"}
WORKPLACE = {"一般": "standard", "普通": "standard", "基层": "grassroots", "非公": "private", "非公经济": "private"}


class TableError(ValueError):
    """The file as a whole cannot be read (not CSV or XLSX, no header, a required column missing).

    The message is English, for machines and logs; `code` and `params` say it in people's words (CODE_ZH)."""

    def __init__(self, message: str, code: str = "file_unreadable", **params: str | int | float) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


def file_format(content: bytes) -> str:
    """'xlsx' or 'csv', told by the content (an XLSX file is a ZIP archive), not by the file name."""
    return "xlsx" if content.startswith(XLSX_MAGIC) else "csv"


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK unless told otherwise
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableError("the CSV file is neither UTF-8 nor GB18030 (GBK) text", code="file_encoding")


def check_archive(content: bytes) -> None:
    """Refuse an XLSX whose members unpack too large or too far (a ZIP bomb), before openpyxl reads any of it.

    From the ZIP directory, and the two small parts that say what the others are: [Content_Types].xml
    names the shared strings part (openpyxl finds it there, whatever its name), the workbook's
    relationships name the worksheets. Worksheets are read row by row; every other part is read whole,
    so it may unpack to MAX_SHARED_STRINGS_BYTES at most.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise TableError("the XLSX file is not a readable ZIP archive") from None
    if sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
        raise TableError(f"the XLSX file unpacks to more than {MAX_UNPACKED_BYTES >> 20} MB: split the file",
                         code="file_unpacks_too_large", max_mb=MAX_UNPACKED_BYTES >> 20)
    for m in members:
        if m.file_size > 1 << 20 and m.file_size > MAX_RATIO * max(m.compress_size, 1):
            raise TableError(f"the XLSX member {m.filename[:60]} is packed {m.file_size // max(m.compress_size, 1)} "
                             "times: not a spreadsheet we read")
    shared, worksheets = _package_parts(archive)
    for m in members:
        if m.file_size <= MAX_SHARED_STRINGS_BYTES:
            continue
        if m.filename in shared or m.filename.endswith("sharedStrings.xml"):
            raise TableError(f"the XLSX file has more than {MAX_SHARED_STRINGS_BYTES >> 20} MB of text: split the file",
                             code="file_unpacks_too_large", max_mb=MAX_SHARED_STRINGS_BYTES >> 20)
        if m.filename not in worksheets:
            raise TableError(f"the XLSX member {m.filename[:60]} unpacks to more than {MAX_SHARED_STRINGS_BYTES >> 20} MB"
                             " (only worksheets may): save the file again without pictures or other objects",
                             code="file_has_objects", max_mb=MAX_SHARED_STRINGS_BYTES >> 20)


SMALL_PART_BYTES = 1 << 20   # [Content_Types].xml and the workbook's relationships: a few kilobytes in any real file
SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
WORKBOOK_TYPES = ("application/vnd.ms-excel.template.macroEnabled.main+xml",      # in the order openpyxl looks
                  "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
                  "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml")


def _package_parts(archive: Any) -> tuple[set[str], set[str]]:
    """(shared strings parts, worksheet parts) as openpyxl finds them: by content type, and by the workbook's relationships."""
    types = _small_xml(archive, "[Content_Types].xml")
    overrides = [(a.get("PartName", ""), a.get("ContentType", "")) for tag, a in types if tag == "Override"]
    # openpyxl drops the first character of a part name (the leading "/") to find the member.
    shared = {name[1:] for name, kind in overrides if kind == SHARED_STRINGS_TYPE}
    workbook = next((name[1:] for kind in WORKBOOK_TYPES for name, k in overrides if k == kind), "xl/workbook.xml")
    folder, base = posixpath.split(workbook)
    rels = _small_xml(archive, posixpath.join(folder, "_rels", f"{base}.rels"))
    worksheets = set()
    for tag, a in rels:
        target = a.get("Target", "")
        if tag != "Relationship" or a.get("TargetMode") == "External" or not a.get("Type", "").endswith("/worksheet"):
            continue
        worksheets.add(target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target)))
    return shared, worksheets


def _small_xml(archive: Any, name: str) -> list[tuple[str, dict[str, str]]]:
    """The elements (local name, attributes) of a small part; none if it is missing. No DTD, no entities, 1 MB at most."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        return []
    if info.file_size > SMALL_PART_BYTES:
        raise TableError(f"the XLSX member {name} is larger than {SMALL_PART_BYTES >> 20} MB: not a spreadsheet we read")

    def refuse(*_: Any) -> None:
        raise TableError(f"the XLSX member {name} declares a DTD or entities: not a spreadsheet we read")

    found: list[tuple[str, dict[str, str]]] = []
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = lambda tag, attributes: found.append((tag.rpartition(" ")[2], attributes))
    try:
        with archive.open(info) as part:
            parser.Parse(part.read(SMALL_PART_BYTES + 1), True)
    except (expat.ExpatError, zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise TableError(f"the XLSX member {name} cannot be read: {_why(exc)}") from None
    return found


def first_row(content: bytes, kind: str) -> None:
    """Read the header and the first row (TableError when the file cannot be read): the upload's check."""
    next(read_rows(content, kind), None)


def all_rows(content: bytes, kind: str) -> list[tuple[int, dict[str, Any]]]:
    """Every row of the file (run it apart from the event loop: a file is someone's upload)."""
    return list(read_rows(content, kind))


def _raw_rows(content: bytes) -> Iterator[list[Any]]:
    if file_format(content) == "xlsx":
        from openpyxl import load_workbook

        check_archive(content)
        try:
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged archive
            raise TableError(f"the XLSX file cannot be opened: {exc.__class__.__name__}") from None
        line = 0
        try:
            if not book.worksheets:
                raise TableError("the XLSX file has no worksheet")
            for line, row in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):  # noqa: B007 (read after)
                yield list(row)
        except TableError:
            raise
        except Exception as exc:  # a damaged cell or row (bad XML, a date serial out of range, a missing string)
            raise TableError(f"the XLSX file cannot be read beyond row {line} ({_why(exc)})", code="row_unreadable",
                             line=line + 1) from None
        finally:
            book.close()
    else:
        text = _decode(content)
        if "\x00" in text:
            raise TableError("the file holds NUL characters: it is not a CSV text file")
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            yield from reader
        except csv.Error as exc:  # e.g. a field longer than the csv module takes (128 KiB)
            raise TableError(f"the CSV file cannot be read at line {reader.line_num}: {_why(exc)}", code="row_unreadable",
                             line=reader.line_num) from None


def _why(exc: Exception) -> str:
    """An exception from a file's reader, in a few words (its class and the start of its message)."""
    message = " ".join(printable(str(exc)).split())[:120]
    return f"{exc.__class__.__name__}: {message}" if message else exc.__class__.__name__


def read_rows(content: bytes, kind: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, {api field: cell}) for every non-empty row after the header."""
    columns = COLUMNS[kind]
    names = {c.label: c.key for c in columns} | {c.key: c.key for c in columns}
    rows = _raw_rows(content)
    header = next(rows, None)
    if header is None:
        raise TableError("the file is empty: the first row must be the header of the template", code="file_no_header")
    keys = [names.get(str(h).strip().split("(")[0].split("（")[0].strip()) if h is not None else None for h in header]
    missing = [f"{c.label} ({c.key})" for c in columns if c.required and c.key not in keys]
    if missing:
        raise TableError("missing columns: " + ", ".join(missing) + "; download the template for the header",
                         code="missing_columns", columns="、".join(c.label for c in columns if c.required and c.key not in keys))
    for line, row in enumerate(rows, start=2):
        if line - 1 > MAX_ROWS:
            raise TableError(f"more than {MAX_ROWS} rows: split the file", code="too_many_rows", max=MAX_ROWS)
        cells = {key: _clean(row[i]) for i, key in enumerate(keys) if key is not None and i < len(row)}
        if any(v is not None for v in cells.values()):
            yield line, cells


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = unquote(value.strip()).strip()  # a cell of one of our reports, sent back in
        return value or None
    return value


def _number(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return float(value) if "." in value else int(value)
        except ValueError:
            return value   # left as text: the record's checks name the field
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _year(value: Any) -> Any:
    value = _number(value)
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _date(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        for separator in ("/", ".", "年"):
            if separator in value:
                parts = value.replace("年", "-").replace("月", "-").replace("日", "").replace(separator, "-").split("-")
                try:
                    return date(*(int(p) for p in parts if p)).isoformat()
                except (TypeError, ValueError):
                    return value
    return value


def _text(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))   # a code or an ID typed into a number cell
    return str(value) if isinstance(value, int | float) else value


def record_from_row(cells: dict[str, Any]) -> dict[str, Any]:
    """A row as the record the provider and HR APIs take; what cannot be converted is left for the checks."""
    category = cells.get("category")
    return {
        "external_id": _text(cells.get("external_id")), "national_id": _text(cells.get("national_id")),
        "name": cells.get("name"), "year": _year(cells.get("year")),
        "category": CATEGORY.get(category, category) if isinstance(category, str) else category,
        "hours": _number(cells.get("hours")), "course_title": _text(cells.get("course_title")),
        "completed_on": _date(cells.get("completed_on")), "course_code": _text(cells.get("course_code")),
        "region_earned": _text(cells.get("region_earned")),
    }


def period_from_row(cells: dict[str, Any]) -> dict[str, Any]:
    """A row of the people template as one period of the person API."""
    level, workplace = cells.get("level"), cells.get("workplace")
    period = {"from_year": _year(cells.get("from_year")),
              "level": LEVEL.get(level, level) if isinstance(level, str) else level,
              "workplace": WORKPLACE.get(workplace, workplace) if isinstance(workplace, str) else workplace,
              "region": _text(cells.get("region")), "unit": _text(cells.get("unit"))}
    if cells.get("agency") is not None:
        period["agency"] = _text(cells["agency"])
    return period


def template(kind: str, fmt: str) -> bytes:
    """The template: the header and one example row, as CSV (UTF-8 with BOM, for Excel) or XLSX."""
    columns = COLUMNS[kind]
    header = [c.label for c in columns]
    example = [c.example for c in columns]
    return table_bytes(fmt, header, [example])


def table_bytes(fmt: str, header: list[str], rows: list[list[Any]]) -> bytes:
    """A header and rows as CSV (UTF-8 with BOM) or XLSX bytes."""
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows([csv_value(v) for v in row] for row in rows)  # what people typed never runs as a formula
        return ("\ufeff" + out.getvalue()).encode()
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(header)
    for row in rows:
        # Text cells are never formulas in XLSX; only text that would read back as quoted gets a quote.
        sheet.append([as_text(WriteOnlyCell(sheet, xlsx_value(printable(value)))) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
