"""The web app in a real browser (Debian's Chromium, driven by Playwright) against a real server, database and Redis.

One professional logs hours with a photo, logs more while offline and sees them sent exactly once (also when
the answer to the first try is lost), reviewers clear their queues, and the year's card turns 达标. Screenshots
of the main screens at 360×740 are saved under test-artifacts/screens.
"""

from __future__ import annotations

import asyncio
import re

from playwright.async_api import expect

from tests.builders import UNIT, national_id, person, record, user
from tests.web.browsing import (
    DESK,
    EXPECT_MS,
    PHONE,
    YEAR,
    certificate_photo,
    count,
    eventually,
    fill_record,
    is_,
    shot,
    sign_in,
    status_of,
)


async def accept(dialog) -> None:
    """Yes to a confirmation (bulk approval names its count and asks)."""
    await dialog.accept()


async def test_a_professional_logs_hours_even_offline_and_reviewers_bring_the_year_to_met(
        live_server, browser, db, tmp_path):
    base = live_server
    pid = await person(db, national_id(5), name="王芳", periods=[(2015, "intermediate", "standard", "522601", UNIT)])
    await user(db, "wangfang", "professional", person_id=pid)
    await user(db, "unitboss", "unit_reviewer", unit_code=UNIT)
    await user(db, "hrboss", "hr_reviewer", region_prefix="52")
    # 72 of the 90 hours (48 of the 60 professional) registered: 18 professional hours to go.
    await record(db, pid, YEAR, "public", 24)
    await record(db, pid, YEAR, "professional", 48)

    phone = await browser.new_context(**PHONE)
    page = await phone.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    await page.goto(f"{base}/login")
    await shot(page, "01-login")
    await sign_in(page, base, "wangfang")
    card = page.locator(f'[data-year="{YEAR}"]')
    await expect(card).to_have_attribute("data-status", "short")
    await expect(card.locator(".badge")).to_have_text("未达标")
    await shot(page, "02-home")

    # Add hours with a photo of the certificate.
    await page.get_by_role("link", name="＋ 登记学时").click()
    await fill_record(page, "BIM 技术应用", "8", f"{YEAR}-06-18", certificate_photo(tmp_path / "cert.jpg"))
    await shot(page, "03-add-hours")
    await page.get_by_role("button", name="保存并提交审核").click()
    await expect(page.locator(".badge")).to_have_text("待单位审核", timeout=EXPECT_MS)
    await expect(page.locator("img.evidence")).to_be_visible()
    width = await page.wait_for_function("() => { const i = document.querySelector('img.evidence');"
                                         " return i.complete && i.naturalWidth; }")
    assert await width.json_value() == 1280   # scaled down from the camera's 2400 px
    await shot(page, "04-record-with-photo")
    assert await count(db, "BIM 技术应用") == 1

    # Offline: the shell and home open from the cache, the new hours wait on the device as 待同步.
    await page.goto(f"{base}/")
    await page.evaluate("navigator.serviceWorker.ready")
    await page.reload()
    await page.wait_for_load_state("networkidle")
    await phone.set_offline(True)
    await page.goto(f"{base}/records/new")
    await fill_record(page, "装配式建筑施工技术", "6", f"{YEAR}-09-02")
    await page.get_by_role("button", name="保存并提交审核").click()
    await page.wait_for_url(f"{base}/")
    outbox = page.locator("#outbox")
    await expect(outbox).to_be_visible()
    await expect(outbox).to_contain_text("装配式建筑施工技术")
    await expect(outbox).to_contain_text("待同步")
    await expect(page.locator("#offline-banner")).to_be_visible()
    await shot(page, "05-offline-pending")
    assert await count(db, "装配式建筑施工技术") == 0

    await phone.set_offline(False)
    await eventually(lambda: is_(status_of(db, "装配式建筑施工技术"), ["submitted"]))
    await expect(page.locator("#outbox")).to_be_hidden(timeout=EXPECT_MS)

    # The answer to the first try is lost after the server stored the record: the retry finds it, no second one.
    lost = []

    async def lose_answer(route):
        if route.request.method == "POST" and not lost:
            lost.append(await route.fetch())
            await route.abort("connectionreset")
        else:
            await route.continue_()

    await page.route(re.compile(r".*/api/v1/me/records$"), lose_answer)
    await page.goto(f"{base}/records/new")
    await fill_record(page, "绿色建筑评价标准", "4", f"{YEAR}-10-10")
    await page.get_by_role("button", name="保存并提交审核").click()
    await page.wait_for_url(f"{base}/")
    assert lost and lost[0].status == 201
    await page.unroute(re.compile(r".*/api/v1/me/records$"))
    await page.reload()
    await eventually(lambda: is_(status_of(db, "绿色建筑评价标准"), ["submitted"]))
    await expect(page.locator("#outbox")).to_be_hidden(timeout=EXPECT_MS)

    # The unit reviewer approves one from its page and the others at once.
    desk = await browser.new_context(**DESK)
    review = await desk.new_page()
    review.on("pageerror", lambda e: errors.append(str(e)))
    await sign_in(review, base, "unitboss")
    await expect(review.get_by_text("共 3 条")).to_be_visible()
    await review.set_viewport_size({"width": 360, "height": 740})
    await shot(review, "06-unit-queue")
    await review.get_by_role("link", name=re.compile("BIM 技术应用")).click()
    await expect(review.locator("img.evidence")).to_be_visible()
    await shot(review, "07-unit-record")
    await review.get_by_role("button", name="通过", exact=True).click()
    # The next record waiting opens (tests/web/test_browser_review.py); back to the queue for the rest.
    await expect(review.get_by_text("上一条记录已通过。")).to_be_visible(timeout=EXPECT_MS)
    await review.get_by_role("link", name="‹ 待审核").click()
    await expect(review.get_by_text("共 2 条")).to_be_visible(timeout=EXPECT_MS)
    await review.get_by_label("全选").check()
    review.on("dialog", accept)   # bulk approval asks to confirm the count
    await review.get_by_role("button", name="批量通过所选").click()
    await expect(review.locator("#flash")).to_contain_text("已通过 2 条", timeout=EXPECT_MS)
    await expect(review.get_by_text("没有待审核的记录")).to_be_visible(timeout=EXPECT_MS)
    await desk.close()

    # HR registers them.
    desk = await browser.new_context(**DESK)
    review = await desk.new_page()
    await sign_in(review, base, "hrboss")
    await expect(review.get_by_text("共 3 条")).to_be_visible()
    await review.get_by_label("全选").check()
    review.on("dialog", accept)
    await review.get_by_role("button", name="批量通过所选").click()
    await expect(review.locator("#flash")).to_contain_text("已通过 3 条", timeout=EXPECT_MS)
    await desk.close()
    assert await db.fetchval("select count(*) from records where person_id = $1 and status = 'registered'", pid) == 5

    # 72 + 8 + 6 + 4 = 90 hours, 66 professional: the card turns 达标.
    await page.goto(f"{base}/")
    await expect(card).to_have_attribute("data-status", "met")
    await expect(card.locator(".badge")).to_have_text("达标")
    await shot(page, "08-home-met")
    await page.goto(f"{base}/years/{YEAR}")
    await shot(page, "09-year")
    await phone.close()
    assert not [e for e in errors if "Failed to load resource" not in e], errors


async def test_a_returned_record_is_fixed_and_resubmitted_and_a_draft_withdrawn(live_server, browser, db):
    base = live_server
    pid = await person(db, national_id(6), name="赵磊", periods=[(2015, "intermediate", "standard", "522601", UNIT)])
    await user(db, "zhaolei", "professional", person_id=pid)
    await user(db, "unitboss", "unit_reviewer", unit_code=UNIT)
    phone = await browser.new_context(**PHONE)
    page = await phone.new_page()
    await sign_in(page, base, "zhaolei")
    await page.goto(f"{base}/records/new")
    await fill_record(page, "工程测量", "5", f"{YEAR}-03-03")
    await page.get_by_role("button", name="保存并提交审核").click()
    await expect(page.locator(".badge")).to_have_text("待单位审核", timeout=EXPECT_MS)
    record_url = page.url

    desk = await browser.new_context(**DESK)
    review = await desk.new_page()
    await sign_in(review, base, "unitboss")
    await review.get_by_role("link", name=re.compile("工程测量")).click()
    await review.get_by_label("退回原因（将告知本人）").fill("请上传结业证书照片")
    await review.get_by_role("button", name="退回").click()
    await expect(review.get_by_text("没有待审核的记录")).to_be_visible(timeout=EXPECT_MS)
    await desk.close()

    await page.goto(record_url)
    await expect(page.locator(".notice")).to_contain_text("请上传结业证书照片")
    await page.get_by_role("link", name="修改").click()
    await expect(page.locator(".notice")).to_contain_text("请上传结业证书照片")
    await shot(page, "10-returned-edit")
    await page.get_by_label("学时数").fill("5.5")
    await page.get_by_role("button", name="保存修改并重新提交").click()
    await expect(page.locator(".badge")).to_have_text("待单位审核", timeout=EXPECT_MS)
    assert await db.fetchval("select half_hours from records where course_title = '工程测量'") == 11

    page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await page.get_by_role("button", name="撤回").click()
    await expect(page.locator(".badge")).to_have_text("已撤回", timeout=EXPECT_MS)

    # A refused form keeps what was typed and says which field is wrong.
    await page.goto(f"{base}/records/new")
    await fill_record(page, "未来课程", "3", f"{YEAR}-01-01")
    await page.get_by_label("学时数").fill("500")
    await page.get_by_role("button", name="保存并提交审核").click()
    await expect(page.locator("#form-errors")).to_contain_text("学时数")
    await expect(page.get_by_label("课程名称")).to_have_value("未来课程")
    await shot(page, "11-form-error")
    await phone.close()


async def test_a_record_the_server_refused_from_the_outbox_is_fixed_and_sent_once(live_server, browser, db):
    base = live_server
    pid = await person(db, national_id(7), name="钱敏", periods=[(2015, "intermediate", "standard", "522601", UNIT)])
    await user(db, "qianmin", "professional", person_id=pid)
    phone = await browser.new_context(**PHONE)
    page = await phone.new_page()
    await sign_in(page, base, "qianmin")
    # Typed offline on an older version of the form: 0.3 hours, which the server refuses (halves only).
    await page.evaluate("""(year) => new Promise((resolve, reject) => {
        const open = indexedDB.open("ce-outbox", 1);
        open.onupgradeneeded = () => open.result.createObjectStore("items", { keyPath: "key" });
        open.onsuccess = () => {
          const tx = open.result.transaction("items", "readwrite");
          tx.objectStore("items").put({ key: crypto.randomUUID(), user: document.body.dataset.user, file: null,
            createdAt: Date.now(), fields: { year, category: "professional", hours: 0.3, course_title: "混凝土结构检测",
            completed_on: `${year}-04-04`, provider: "贵州省建设培训中心" } });
          tx.oncomplete = () => resolve();
          tx.onerror = () => reject(tx.error);
        };
      })""", YEAR)
    await page.reload()
    outbox = page.locator("#outbox")
    await expect(outbox).to_contain_text("未能提交", timeout=EXPECT_MS)
    await expect(outbox).to_contain_text("学时数")
    await shot(page, "12-outbox-refused")
    assert await count(db, "混凝土结构检测") == 0

    await outbox.get_by_role("button", name="修改后重新提交").click()
    await page.wait_for_url(f"{base}/records/new")
    await expect(page.get_by_label("课程名称")).to_have_value("混凝土结构检测")
    await expect(page.locator("#form-errors")).to_contain_text("学时数")
    await page.get_by_label("学时数").fill("3")
    await page.get_by_role("button", name="保存并提交审核").click()
    await expect(page.locator(".badge")).to_have_text("待单位审核", timeout=EXPECT_MS)
    assert await status_of(db, "混凝土结构检测") == ["submitted"]
    assert await db.fetchval("select half_hours from records where course_title = '混凝土结构检测'") == 6
    await page.goto(f"{base}/")
    await expect(page.locator("#outbox")).to_be_hidden()
    assert await page.evaluate("sessionStorage.getItem('fix-outbox-item')") is None
    await phone.close()


async def test_a_returned_record_fixed_offline_waits_on_the_device_and_is_resubmitted_once(live_server, browser, db):
    from datetime import datetime, timezone

    base = live_server
    pid = await person(db, national_id(8), name="孙丽", periods=[(2015, "intermediate", "standard", "522601", UNIT)])
    await user(db, "sunli", "professional", person_id=pid)
    at = datetime(YEAR, 6, 1, tzinfo=timezone.utc)
    rid = await record(db, pid, YEAR, "professional", 5, history=[("draft", at), ("submitted", at), ("returned", at)])
    await db.execute("update records set status_reason = '学时数与证书不符', provider = '贵州省建设培训中心'"
                     " where id = $1", rid)
    phone = await browser.new_context(**PHONE)
    page = await phone.new_page()
    await sign_in(page, base, "sunli")
    await page.evaluate("navigator.serviceWorker.ready")
    await page.goto(f"{base}/records/{rid}/edit")
    await expect(page.locator(".notice")).to_contain_text("学时数与证书不符")
    await phone.set_offline(True)
    await page.get_by_label("学时数").fill("6.5")
    await page.get_by_role("button", name="保存修改并重新提交").click()
    await page.wait_for_url(f"{base}/")
    await expect(page.locator("#outbox")).to_contain_text("待同步")
    assert await db.fetchval("select status from records where id = $1", rid) == "returned"

    await phone.set_offline(False)
    await eventually(lambda: is_(db.fetchval("select status from records where id = $1", rid), "submitted"))
    assert await db.fetchval("select half_hours from records where id = $1", rid) == 13
    assert await db.fetchval("select count(*) from records where person_id = $1", pid) == 1
    await expect(page.locator("#outbox")).to_be_hidden(timeout=EXPECT_MS)
    await phone.close()
