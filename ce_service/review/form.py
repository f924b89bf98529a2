"""The 《继续教育学时审核登记表》 as PDF (A4) and XLSX: pure rendering of FormData to bytes."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from xml.sax.saxutils import escape

from ce_service.cells import as_text, printable
from ce_service.clock import CHINA

TITLE = "专业技术人员继续教育学时审核登记表"
CATEGORY_ZH = {"public": "公需科目", "professional": "专业科目"}
SOURCE_ZH = {"self": "个人登记", "provider": "培训机构", "platform": "继续教育平台", "import": "批量导入",
             "recognised": "外地认定", "hr": "人社登记"}
STATUS_ZH = {"submitted": "待单位审核", "unit_approved": "待审核验印", "registered": "已登记", "returned": "已退回",
             "revoked": "已撤销", "draft": "草稿", "withdrawn": "已撤回", "superseded": "已被取代"}
LEVEL_ZH = {"senior_full": "正高级", "senior_associate": "副高级", "intermediate": "中级", "junior": "初级"}
VERDICT_ZH = {"met": "达标", "short": "未达标", "in_progress": "年度进行中", "exempt": "免修",
              "not_applicable": "不适用", "no_rule": "无适用规则"}
ROLE_ZH = {"unit_reviewer": "用人单位", "hr_reviewer": "人社部门", "health_reviewer": "卫生健康部门",
           "agency_reviewer": "人事代理机构", "industry_reviewer": "行业主管部门"}
ACTION_ZH = {"approve": "审核通过", "register": "审核验印登记", "return": "退回", "revoke": "撤销"}


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
            ["专业技术职务级别", LEVEL_ZH.get(d.level, d.level or "—"), "登记年度", str(d.year)]]


def _courses(d: FormData) -> list[list[str]]:
    rows = [["序号", "课程名称", "培训机构", "完成日期", "类别", "学时", "来源", "状态"]]
    for i, c in enumerate(d.courses, 1):
        rows.append([str(i), c.title, c.provider or "—", c.completed_on.isoformat(), CATEGORY_ZH.get(c.category, c.category),
                     _fmt(c.hours), SOURCE_ZH.get(c.source, c.source), STATUS_ZH.get(c.status, c.status)])
    return rows


def _totals(d: FormData) -> list[list[str]]:
    return [["已登记公需科目学时", _fmt(d.public), "已登记专业科目学时", _fmt(d.professional)],
            ["已登记合计", _fmt(d.total), "适用规则", d.rule or "—"],
            ["要求学时", _fmt(d.required), "其中专业科目不少于", _fmt(d.required_professional)],
            ["结论", VERDICT_ZH.get(d.verdict, d.verdict), "制表时间", d.generated_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")]]


def _decisions(d: FormData) -> list[list[str]]:
    rows = [["课程", "审核意见", "审核人", "角色", "日期"]]
    for x in d.decisions:
        rows.append([x.course, ACTION_ZH.get(x.action, x.action), x.reviewer, ROLE_ZH.get(x.role, x.role),
                     x.at.astimezone(CHINA).strftime("%Y-%m-%d")])
    return rows


def render_pdf(d: FormData) -> bytes:
    """The form on A4, Chinese text in the standard Song CID font (no font file needed)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = "STSong-Light"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
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
                            bottomMargin=15 * mm, title=TITLE, author="ce-service")
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
