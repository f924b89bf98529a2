"""A reviewer's queue as an XLSX file (rendered in its own process: plain data in, bytes out)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime

from ce_service import words
from ce_service.cells import as_text, printable, xlsx_value
from ce_service.clock import CHINA

HEADERS = ("姓名", "身份证号", "单位", "年度", "科目类别", "学时", "课程名称", "培训机构", "完成日期", "来源", "提交时间",
           "状态")
WIDTHS = (10, 22, 30, 8, 10, 8, 40, 30, 12, 14, 18, 20)


@dataclass(frozen=True)
class Row:
    """One waiting record as the file shows it (the ID number masked: the file leaves the screen)."""

    masked_id: str
    name: str
    unit: str
    year: int
    category: str
    hours: float | int
    course_title: str
    provider: str
    completed_on: date
    source: str
    submitted_at: datetime | None
    next_step: str | None
    status: str


@dataclass(frozen=True)
class QueueSheet:
    """What the file holds: the rows, how many the queue had, the cap, when, and which filters."""

    rows: list[Row]
    total: int
    cap: int
    made_at: datetime
    searched: bool
    year: int | None


def _note(sheet: QueueSheet) -> str:
    filters = "、".join(([f"{sheet.year} 年度"] if sheet.year else []) + (["按姓名或身份证号检索"] if sheet.searched else []))
    text = f"待审核记录（{filters or '全部'}），导出于 {sheet.made_at.astimezone(CHINA):%Y-%m-%d %H:%M}，共 {sheet.total} 条"
    if sheet.total > len(sheet.rows):
        text += f"；每次最多导出 {sheet.cap} 条，本文件只含最早提交的 {len(sheet.rows)} 条，其余请按年度或姓名筛选后分别导出"
    return text + "。"


def render_queue_xlsx(sheet: QueueSheet) -> bytes:
    """The queue as one worksheet: a line saying what it holds (and the cap), the headers, one row per record."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook(write_only=False)
    ws = wb.active
    ws.title = "待审核记录"
    ws.append([_note(sheet)])
    ws["A1"].font = Font(bold=True)
    ws.append(list(HEADERS))
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for r in sheet.rows:
        ws.append([xlsx_value(printable(v)) for v in (
            r.name, r.masked_id, r.unit, r.year, words.CATEGORY.get(r.category, r.category), r.hours, r.course_title,
            r.provider, r.completed_on.isoformat(), words.SOURCE.get(r.source, r.source),
            r.submitted_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if r.submitted_at else "",
            words.status_words(r.status, r.next_step))])
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            as_text(cell)   # a course title like =HYPERLINK(…) is text, never a live formula
    for width, column in zip(WIDTHS, "ABCDEFGHIJKL"):
        ws.column_dimensions[column].width = width
    ws.freeze_panes = "A3"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
