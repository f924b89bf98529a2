"""The professional's home, a year, a record and the help page in a real browser, on a phone and on a desk (issue 15):
what needs action comes first (returned, drafts, waiting on the device), long titles take two lines in lists, and
the screenshots of these screens are saved at 360×740 and 1280×800."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone

from playwright.async_api import expect

from tests.builders import UNIT, national_id, person, record, user
from tests.web.browsing import EXPECT_MS, PHONE, YEAR, fill_record, shot, sign_in

DESK_800 = {"viewport": {"width": 1280, "height": 800}, "locale": "zh-CN"}
LONG_TITLE = ("住房和城乡建设领域专业技术人员继续教育专业科目：装配式混凝土建筑深化设计、构件生产与现场施工质量控制"
              "关键技术及典型工程案例分析（含建筑信息模型BIM协同应用、绿色建造与智能建造政策解读）") * 2


async def _people(db) -> dict[str, str]:
    """A grassroots engineer in Kaili with a returned record, a draft, registered hours and a record logged twice."""
    pid = await person(db, national_id(41), name="吴雪", periods=[(2015, "intermediate", "grassroots", "522601", UNIT)])
    await user(db, "wuxue", "professional", person_id=pid)
    at = datetime(YEAR, 5, 1, tzinfo=timezone.utc)
    await record(db, pid, YEAR, "public", 20)
    await record(db, pid, YEAR, "professional", 12)
    returned = await record(db, pid, YEAR, "professional", 16, history=[("draft", at), ("returned", at)])
    await db.execute("update records set course_title = $2, status_reason = $3 where id = $1", uuid.UUID(returned),
                     LONG_TITLE[:200], "证书上的学时是 12 学时，与填写的 16 学时不符，请核对后重新提交。")
    draft = await record(db, pid, YEAR, "public", 3, history=[("draft", at)])
    await db.execute("update records set course_title = '职业道德与诚信建设' where id = $1", uuid.UUID(draft))
    twice = [await record(db, pid, YEAR, "professional", 8, history=[("draft", at)]) for _ in range(2)]
    for rid in twice:
        await db.execute("update records set course_title = 'BIM 技术应用', completed_on = $2 where id = $1",
                         uuid.UUID(rid), datetime(YEAR, 6, 18).date())
    return {"returned": returned, "draft": draft, "twice": twice[1]}


async def test_the_home_puts_returned_drafts_and_the_outbox_first_and_lists_keep_long_titles_short(
        live_server, browser, db):
    base = live_server
    ids = await _people(db)
    phone = await browser.new_context(**PHONE)
    page = await phone.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await sign_in(page, base, "wuxue")
    await page.evaluate("navigator.serviceWorker.ready")
    await page.reload()
    await page.wait_for_load_state("networkidle")

    # Hours saved offline wait on the device, listed on the home with the returned record and the drafts.
    await phone.set_offline(True)
    await page.goto(f"{base}/records/new")
    await fill_record(page, "钢结构焊接质量检测", "6", f"{YEAR}-09-02")
    await page.get_by_role("button", name="保存并提交审核").click()
    await page.wait_for_url(f"{base}/")
    await expect(page.locator("#outbox")).to_contain_text("钢结构焊接质量检测", timeout=EXPECT_MS)
    returned, drafts, outbox = page.locator("#returned"), page.locator("#drafts"), page.locator("#outbox")
    await expect(returned).to_contain_text("证书上的学时是 12 学时")
    await expect(drafts).to_contain_text("职业道德与诚信建设")
    first_card = page.locator(".card.year").first
    tops = [(await x.bounding_box())["y"] for x in (returned, drafts, outbox, first_card)]
    assert tops == sorted(tops), tops   # what needs action comes first, the years after

    # A 200-character title takes two lines in a list, and keeps the whole title for whoever hovers or reads it.
    title = returned.locator(".title")
    line = await title.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)")
    assert (await title.bounding_box())["height"] <= 2 * line + 1
    assert await title.get_attribute("title") == LONG_TITLE[:200]
    row = await returned.locator("a.row").bounding_box()
    assert row["height"] < 200, row
    await shot(page, "w2b-01-home-action-phone")
    await phone.set_offline(False)
    # Back online, the outbox is sent and the home reloads to count it: wait for that before clicking on.
    await expect(page.locator("#flash")).to_contain_text(re.compile("已同步|未能提交"), timeout=EXPECT_MS)
    await page.wait_for_load_state("networkidle")

    # The fix link opens the form of the returned record.
    await returned.locator("a.row").click()
    await page.wait_for_url(f"{base}/records/{ids['returned']}/edit")

    await page.goto(f"{base}/years/{YEAR}")
    year_title = page.locator(".list .title", has_text="住房和城乡建设领域")
    assert (await year_title.bounding_box())["height"] <= 2 * line + 1
    await shot(page, "w2b-02-year-phone")

    await page.goto(f"{base}/records/{ids['twice']}")
    await expect(page.locator("#duplicate-warning")).to_contain_text("这条记录已保存")
    await shot(page, "w2b-03-record-duplicate-phone")

    await page.goto(f"{base}/")
    card = page.locator(f'[data-year="{YEAR}"]')
    await expect(card).to_contain_text("每年不少于 45 学时，其中专业科目不少于 30 学时")
    await expect(card).to_contain_text("公需科目")
    await card.scroll_into_view_if_needed()
    await shot(page, "w2b-04-home-year-card-phone")

    await page.get_by_role("link", name="帮助").click()
    await page.wait_for_url(f"{base}/help")
    await expect(page.locator("#install")).to_contain_text("在浏览器打开")
    await shot(page, "w2b-05-help-phone")
    assert errors == []
    await phone.close()


async def test_the_same_screens_on_a_desk_and_help_without_signing_in(live_server, browser, db):
    base = live_server
    ids = await _people(db)
    desk = await browser.new_context(**DESK_800)
    page = await desk.new_page()
    await page.goto(f"{base}/help")
    await expect(page.get_by_role("heading", name="使用帮助")).to_be_visible()
    await expect(page.locator("#rules")).to_contain_text("人社部令第25号")
    await shot(page, "w2b-06-help-desk")

    await sign_in(page, base, "wuxue")
    await expect(page.locator("#returned")).to_be_visible()
    await shot(page, "w2b-07-home-desk")
    await page.goto(f"{base}/years/{YEAR}")
    await shot(page, "w2b-08-year-desk")
    await page.goto(f"{base}/records/{ids['twice']}")
    await shot(page, "w2b-09-record-desk")
    await desk.close()
