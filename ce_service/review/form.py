"""The 《继续教育学时审核登记表》 as PDF (A4) and XLSX: pure rendering of FormData to bytes."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from xml.sax.saxutils import escape

from ce_service import words
from ce_service.cells import as_text, printable
from ce_service.clock import CHINA

# Noto Sans SC (SIL OFL 1.1), subset to GB 2312 and the 通用规范汉字表: ce_service/fonts/README.md
FONT_FILE = Path(__file__).resolve().parent.parent / "fonts" / "NotoSansSC-Regular-subset.ttf"
FONT_NAME = "NotoSansSC"

TITLE = "专业技术人员继续教育学时审核登记表"
# Decisions on the form use the words of the paper form (审核通过, 审核验印登记); everything else is the catalogue's.
DECISION_ZH = {**words.ACTION, "register": "审核验印登记"}


@dataclass(frozen=True)
class Course:
    """One line of the form."""

    title: str
    provider: str
    completed_on: date
    hours: float | int
    category: str
    source: str
    status: str
    next_step: str | None = None   # the office a waiting course waits for


@dataclass(frozen=True)
class Decision:
    """A signed decision on one of the courses (谁审核谁签字)."""

    course: str
    action: str
    reviewer: str
    role: str
    at: datetime


@dataclass(frozen=True)
class FormData:
    """Everything the form shows."""

    name: str
    national_id: str          # full or masked, by the viewer's rights
    unit: str
    series: str
    level: str
    year: int
    courses: list[Course]
    public: float | int
    professional: float | int
    total: float | int
    rule: str
    required: float | int
    required_professional: float | int
    verdict: str
    decisions: list[Decision]
    generated_at: datetime


def _fmt(hours: float | int) -> str:
    return f"{hours:g}"


def _head(d: FormData) -> list[list[str]]:
    return [["姓名", d.name, "公民身份号码", d.national_id],
            ["工作单位", d.unit, "职称系列", d.series],
            ["专业技术职务级别", words.LEVEL.get(d.level, d.level or "—"), "登记年度", str(d.year)]]


def _courses(d: FormData) -> list[list[str]]:
    rows = [["序号", "课程名称", "培训机构", "完成日期", "类别", "学时", "来源", "状态"]]
    for i, c in enumerate(d.courses, 1):
        rows.append([str(i), c.title, c.provider or "—", c.completed_on.isoformat(), words.CATEGORY.get(c.category, c.category),
                     _fmt(c.hours), words.SOURCE.get(c.source, c.source), words.status_words(c.status, c.next_step)])
    return rows


def _totals(d: FormData) -> list[list[str]]:
    return [["已登记公需科目学时", _fmt(d.public), "已登记专业科目学时", _fmt(d.professional)],
            ["已登记合计", _fmt(d.total), "适用规则", d.rule or "—"],
            ["要求学时", _fmt(d.required), "其中专业科目不少于", _fmt(d.required_professional)],
            ["结论", words.VERDICT.get(d.verdict, d.verdict), "制表时间", d.generated_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")]]


def _decisions(d: FormData) -> list[list[str]]:
    rows = [["课程", "审核意见", "审核人", "角色", "日期"]]
    for x in d.decisions:
        rows.append([x.course, DECISION_ZH.get(x.action, x.action), x.reviewer, words.ROLE.get(x.role, x.role),
                     x.at.astimezone(CHINA).strftime("%Y-%m-%d")])
    return rows


def _register_font(pdfmetrics) -> str:
    """Our font registered with reportlab once per process; its name."""
    # A font of our own, embedded as a subset: a non-embedded CID font (STSong-Light) printed boxes in viewers
    # without it, and a system font would make the PDF depend on the machine. A character the font lacks prints
    # as its .notdef box (reportlab maps it to glyph 0) instead of failing the form.
    from reportlab.pdfbase import ttfonts

    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        if not getattr(ttfonts.makeToUnicodeCMap, "utf16", False):
            ttfonts.makeToUnicodeCMap = _utf16_cmap(ttfonts.makeToUnicodeCMap)
        pdfmetrics.registerFont(ttfonts.TTFont(FONT_NAME, str(FONT_FILE)))
    return FONT_NAME


def _utf16_cmap(make):
    """reportlab's ToUnicode map, its targets written in UTF-16 as PDF wants."""
    # reportlab writes each target as <%04X> of the code point: a hanzi past U+FFFF (𬌗, found in names) was
    # copied out of the PDF as another character, and the .notdef box as U+0000. Surrogate pairs, and U+FFFD
    # for the box, make copying and searching the form give what it shows.
    def utf16(match: re.Match) -> str:
        point = int(match.group(2), 16) or 0xFFFD
        return f"<{match.group(1)}> <{chr(point).encode('utf-16-be').hex().upper()}>"

    def made(fontname: str, subset: list[int]) -> str:
        return re.sub(r"^<([0-9A-F]{2})> <([0-9A-F]+)>$", utf16, make(fontname, subset), flags=re.M)

    made.utf16 = True
    return made


def render_pdf(d: FormData) -> bytes:
    """The form on A4, its text in Noto Sans SC, the glyphs it uses embedded (the same print in every viewer)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = _register_font(pdfmetrics)
    cell = ParagraphStyle("cell", fontName=font, fontSize=9, leading=12, wordWrap="CJK")  # break between any two 汉字
    title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22, alignment=1)
    grid = TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                       ("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), 9)])
    width = A4[0] - 30 * mm

    def table(rows: list[list[str]], widths: list[float], header: bool = False) -> Table:
        # Paragraph reads its text as markup (<img src=…> would make reportlab fetch a URL or read a
        # file): every text is escaped, so it is shown as typed.
        t = Table([[Paragraph(escape(printable(c)), cell) for c in r] for r in rows], colWidths=[w * width for w in widths],
                  repeatRows=1 if header else 0)
        t.setStyle(grid)
        if header:
            t.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8ecf0"))]))
        return t

    right = ParagraphStyle("right", parent=cell, alignment=2)

    def box(heading: str, signer: str, seal: str) -> list:
        date_line = "年" + "&nbsp;" * 4 + "月" + "&nbsp;" * 4 + "日"
        return [Paragraph(heading, cell), Spacer(1, 14 * mm), Paragraph(signer, cell), Paragraph(seal, right),
                Spacer(1, 3 * mm), Paragraph(date_line, right)]

    stamps = Table([[box("用人单位意见：", "经办人（签字）：", "（单位公章）"),
                     box("人社（卫生健康）部门审核验印意见：", "审核人（签字）：", "（部门公章）")]],
                   colWidths=[width / 2, width / 2], rowHeights=[42 * mm])
    stamps.setStyle(grid)
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                            bottomMargin=15 * mm, title=TITLE, author="ce-service",
                            initialFontName=font)  # not Helvetica: every font in the file is embedded
    doc.build([
        Paragraph(TITLE, title), Spacer(1, 4 * mm),
        table(_head(d), [0.18, 0.32, 0.18, 0.32]), Spacer(1, 4 * mm),
        table(_courses(d), [0.06, 0.28, 0.18, 0.12, 0.1, 0.07, 0.1, 0.09], header=True), Spacer(1, 4 * mm),
        table(_totals(d), [0.22, 0.28, 0.22, 0.28]), Spacer(1, 4 * mm),
        table(_decisions(d), [0.34, 0.16, 0.2, 0.15, 0.15], header=True), Spacer(1, 6 * mm),
        stamps,
    ])
    return out.getvalue()


def render_xlsx(d: FormData) -> bytes:
    """The same form as a worksheet, laid out for A4 printing."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    wb = Workbook()
    ws = wb.active
    ws.title = f"{d.year}年度登记表"
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    ws.append([TITLE])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=8)
    ws["A1"].font = Font(size=16, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center")
    for block in (_head(d), _courses(d), _totals(d), _decisions(d)):
        ws.append([])
        for row in block:
            ws.append([printable(c) for c in row])
            for c in ws[ws.max_row]:
                c.border = border
                c.alignment = Alignment(wrap_text=True, vertical="center")
    ws.append([])
    ws.append(["用人单位意见（经办人签字、单位公章）", "", "", "", "人社（卫生健康）部门审核验印意见（审核人签字、部门公章）"])
    for width, column in zip((6, 30, 20, 12, 10, 8, 12, 12), "ABCDEFGH"):
        ws.column_dimensions[column].width = width
    for row in ws.iter_rows():
        for c in row:
            as_text(c)  # a course title like =HYPERLINK(…) is text, not a live formula
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
