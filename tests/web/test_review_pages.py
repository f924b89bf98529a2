"""The reviewers' pages over HTTP: the certificate before the decision, units by name, the labelled return reason,
search and export of the queue, bulk approval said in Chinese, on to the next record, duplicate flags."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook

from ce_service.identity import make_credit_code
from ce_service.review import service as review_service
from tests.builders import OTHER_UNIT, UNIT, national_id, person, record, user, web_sign_in

YEAR = date.today().year - 1
UNIT_NAME = "凯里市建筑设计院"
HX = {"HX-Request": "true"}


async def waiting(db, pid: int, title: str, minutes: int, route: str = "{unit,hr}", step: int = 0) -> str:
    """A record of `pid` waiting at step `step` of `route`, submitted `minutes` after a fixed instant."""
    rid = await record(db, pid, YEAR, "professional", 8, history=[
        ("draft", datetime(YEAR, 5, 1, tzinfo=timezone.utc)), ("submitted", datetime(YEAR, 5, 2, tzinfo=timezone.utc))])
    await db.execute("update records set course_title = $2, route = $3::text::text[], step = $4::smallint, submitted_at = $5,"
                     " status = case when $4::smallint = 0 then 'submitted' else 'unit_approved' end where id = $1",
                     rid, title, route, step, datetime(YEAR, 6, 1, tzinfo=timezone.utc) + timedelta(minutes=minutes))
    return rid


@pytest.fixture
async def people(db):
    """Two people of UNIT (a named unit) and one of another unit; a unit reviewer and an HR reviewer."""
    await db.execute("insert into units (credit_code, name, kind, region) values ($1, $2, 'enterprise', '522601')",
                     UNIT, UNIT_NAME)
    zhang = await person(db, national_id(1), name="张三丰")
    li = await person(db, national_id(2), name="李四")
    other = await person(db, national_id(3), name="张外单位",
                         periods=[(2015, "intermediate", "standard", "420100", OTHER_UNIT)])
    await user(db, "unitboss", "unit_reviewer", unit_code=UNIT)
    await user(db, "hrboss", "hr_reviewer", region_prefix="52")
    return {"zhang": zhang, "li": li, "other": other}


def position(text: str, needle: str) -> int:
    at = text.find(needle)
    assert at >= 0, f"{needle!r} is not on the page"
    return at


async def test_the_record_page_shows_the_certificate_before_the_decision_and_the_unit_by_name(api, db, people):
    rid = await waiting(db, people["zhang"], "BIM 技术应用", 1)
    await db.execute("update records set status_reason = '请上传结业证书照片' where id = $1", rid)
    await web_sign_in(api, "unitboss")
    page = (await api.get(f"/review/records/{rid}")).text
    # The certificate, then the buttons: a record cannot be approved without passing its certificate.
    assert position(page, "证书</h2>") < position(page, 'id="approve"')
    assert position(page, "证书</h2>") < position(page, 'id="reason"')
    assert f'<dd id="unit">{UNIT_NAME}</dd>' in page and UNIT not in page
    assert re.search(r"上次退回原因：</strong><bdi>请上传结业证书照片</bdi>", page)
    for reason in ("未上传结业证书或证书不清晰", "学时数与证书不一致", "完成日期与证书不一致", "课程类别选择有误",
                   "培训机构与证书不一致"):
        assert f'data-reason="{reason}"' in page
    assert "快捷键：" in page and '<script src="/static/review.js"' in page


async def test_a_unit_without_a_name_in_the_registry_shows_its_code(api, db, people):
    unnamed = make_credit_code("91522601799999999")
    pid = await person(db, national_id(4), name="王五", periods=[(2015, "intermediate", "standard", "522601", unnamed)])
    rid = await waiting(db, pid, "无名单位的课程", 1, route="{hr}")
    await web_sign_in(api, "hrboss")
    assert f'<dd id="unit">{unnamed}</dd>' in (await api.get(f"/review/records/{rid}")).text


async def test_the_queue_is_a_table_with_masked_ids_and_unit_names_and_searches_by_name_or_id(api, db, people):
    await waiting(db, people["zhang"], "BIM 技术应用", 1)
    await waiting(db, people["li"], "工程测量", 2)
    await waiting(db, people["other"], "外单位的课程", 3)
    await web_sign_in(api, "unitboss")
    whole = (await api.get("/review")).text
    assert "共 2 条" in whole and "外单位的课程" not in whole
    assert '<table class="queue">' in whole and UNIT_NAME in whole
    masked = national_id(1)[:4] + "*" * 10 + national_id(1)[-4:]
    assert masked in whole and national_id(1) not in whole
    # A part of the name.
    found = (await api.get("/review", params={"q": "三丰"})).text
    assert "共 1 条" in found and "BIM 技术应用" in found and "工程测量" not in found
    # An ID number: exactly, all 18 characters.
    by_id = (await api.get("/review", params={"q": national_id(2)})).text
    assert "共 1 条" in by_id and "工程测量" in by_id
    assert "共 0 条" in (await api.get("/review", params={"q": national_id(2)[:17]})).text
    # Search never widens the scope: another unit's person stays out, by name and by ID number.
    assert "共 0 条" in (await api.get("/review", params={"q": "张外单位"})).text
    assert "共 0 条" in (await api.get("/review", params={"q": national_id(3)})).text
    # Text is text: no SQL, no wildcard, escaped on the page.
    for text in ("%", "_", "' or 1=1 --", "<script>"):
        answer = await api.get("/review", params={"q": text})
        assert answer.status_code == 200 and "共 0 条" in answer.text and "<script>alert" not in answer.text
    assert "&lt;script&gt;" in (await api.get("/review", params={"q": "<script>"})).text
    # The filters travel with the links: to the record, to the export, to the reload after a bulk approval.
    assert 'href="/review/export.xlsx?q=%E4%B8%89%E4%B8%B0"' in found
    assert 'hx-get="/review?q=%E4%B8%89%E4%B8%B0"' in found


async def test_the_export_is_the_filtered_queue_as_safe_cells_with_the_cap_said(api, db, people, monkeypatch):
    first = await waiting(db, people["zhang"], "=HYPERLINK(\"http://x\",\"点我\")", 1)
    await waiting(db, people["zhang"], "工程测量", 2)
    await waiting(db, people["li"], "李四的课程", 3)
    await waiting(db, people["other"], "外单位的课程", 4)
    await web_sign_in(api, "unitboss")
    answer = await api.get("/review/export.xlsx", params={"q": "张三丰"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert re.match(r'attachment; filename="review-queue-\d{8}-\d{4}\.xlsx"', answer.headers["content-disposition"])
    sheet = load_workbook(io.BytesIO(answer.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert "共 2 条" in rows[0][0] and "按姓名或身份证号检索" in rows[0][0]
    assert rows[1][:4] == ["姓名", "身份证号", "单位", "年度"]
    assert [r[6] for r in rows[2:]] == ["=HYPERLINK(\"http://x\",\"点我\")", "工程测量"]
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    assert rows[2][1] == national_id(1)[:4] + "*" * 10 + national_id(1)[-4:] and rows[2][2] == UNIT_NAME
    assert rows[2][11] == "待单位审核" and "外单位的课程" not in str(rows)
    assert first  # the oldest first
    # Past the cap: the file holds the oldest ones and says so, and so does the page.
    monkeypatch.setattr(review_service, "EXPORT_CAP", 2)
    capped = load_workbook(io.BytesIO((await api.get("/review/export.xlsx")).content)).active
    assert capped.max_row == 4 and "每次最多导出 2 条" in capped["A1"].value and "共 3 条" in capped["A1"].value
    assert "导出文件只含最早提交的 2 条" in (await api.get("/review")).text


async def test_bulk_approval_says_in_chinese_what_went_wrong(api, db, people):
    rid = await waiting(db, people["zhang"], "BIM 技术应用", 1)
    token = await web_sign_in(api, "unitboss")
    headers = {**HX, "X-CSRF-Token": token}
    nothing = await api.post("/review/approve-many", data={}, headers=headers)
    assert nothing.status_code == 422
    [error] = nothing.json()["errors"]
    assert (error["field"], error["message"]) == ("record_id", "请先勾选要通过的记录")
    done = await api.post("/review/approve-many", data={"record_id": [rid, rid]}, headers=headers)
    assert "已通过 1 条。" in done.text
    again = await api.post("/review/approve-many", data={"record_id": [rid, "00000000-0000-0000-0000-000000000000"]},
                           headers=headers)
    assert again.status_code == 200
    assert "已通过 0 条。" in again.text and "1 条已由他人处理或状态已变化" in again.text
    assert "1 条不存在或不在您的审核范围内" in again.text
    assert not re.search(r"[A-Za-z]{3,}", re.sub(r"<[^>]+>", "", again.text)), again.text


async def test_after_a_decision_the_next_waiting_record_opens(api, db, people):
    first = await waiting(db, people["zhang"], "一", 1)
    second = await waiting(db, people["li"], "二", 2)
    third = await waiting(db, people["zhang"], "三", 3)
    token = await web_sign_in(api, "unitboss")
    headers = {**HX, "X-CSRF-Token": token}
    # Opened second: its skip link goes to the third, and deciding it goes there too.
    page = (await api.get(f"/review/records/{second}")).text
    assert f'id="skip" href="/review/records/{third}"' in page
    approved = await api.post(f"/review/records/{second}/approve", headers=headers)
    assert approved.headers["hx-redirect"] == f"/review/records/{third}?done=approved"
    assert "上一条记录已通过。" in (await api.get(f"/review/records/{third}?done=approved")).text
    # After the last one, the queue starts again from its top.
    returned = await api.post(f"/review/records/{third}/return", data={"reason": "学时数与证书不一致"}, headers=headers)
    assert returned.headers["hx-redirect"] == f"/review/records/{first}?done=returned"
    # The search is kept: only the records it finds are next.
    searched = await api.post(f"/review/records/{first}/approve?q=%E6%9D%8E%E5%9B%9B", headers=headers)
    assert searched.headers["hx-redirect"] == "/review?done=1&q=%E6%9D%8E%E5%9B%9B"
    assert await db.fetchval("select count(*) from records where status = 'submitted'") == 0


async def test_departments_see_and_close_duplicate_flags(api, db, people):
    own = await record(db, people["zhang"], YEAR, "professional", 8)
    official = await record(db, people["zhang"], YEAR, "professional", 8, source="provider")
    await db.execute("update records set course_title = 'BIM 技术应用' where id = any($1::uuid[])", [own, official])
    flag = await db.fetchval("insert into duplicate_flags (record_id, official_id, reason) values ($1, $2, $3)"
                             " returning id", own, official, "本人登记的记录已登记，与官方记录疑似同一课程，请审核人员核实")
    token = await web_sign_in(api, "unitboss")
    assert "/review/duplicates" not in (await api.get("/review")).text
    assert (await api.get("/review/duplicates")).status_code == 403
    await api.post("/logout", headers={**HX, "X-CSRF-Token": token})
    token = await web_sign_in(api, "hrboss")
    assert 'href="/review/duplicates"' in (await api.get("/review")).text
    page = (await api.get("/review/duplicates")).text
    assert "待核实 1 条" in page and f'href="/review/records/{own}"' in page and f'href="/review/records/{official}"' in page
    assert "疑似同一课程" in page and national_id(1) not in page
    headers = {**HX, "X-CSRF-Token": token}
    empty = await api.post(f"/review/duplicates/{flag}/close", data={"reason": " "}, headers=headers)
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "reason"
    closed = await api.post(f"/review/duplicates/{flag}/close", data={"reason": "两条为不同场次，均有效"}, headers=headers)
    assert closed.headers["hx-redirect"] == "/review/duplicates?done=1"
    assert "两条为不同场次，均有效" in await db.fetchval("select closed_by from duplicate_flags where id = $1", flag)
    after = (await api.get("/review/duplicates?done=1")).text
    assert "已关闭该疑似重复登记。" in after and "没有待核实的疑似重复登记。" in after
