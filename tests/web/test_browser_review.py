"""Reviewers in the browser: the certificate is seen before the buttons, bulk approval counts and confirms, a desk
clears its queue from the keyboard, ready-made return reasons, the duplicate flags. Screenshots of the queue and a
record at 360×740 and 1280×800, and of the duplicates page."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from tests.builders import UNIT, national_id, person, record, user
from tests.web.browsing import DESK, EXPECT_MS, PHONE, YEAR, eventually, shot, sign_in, submitted
from tests.web.test_accessibility import audit

DESK_800 = {**DESK, "viewport": {"width": 1280, "height": 800}}
UNIT_NAME = "凯里市建筑设计院"
TITLES = ("建筑信息模型（BIM）技术应用", "装配式混凝土结构施工与质量验收", "工程测量新技术", "绿色建筑评价标准解读")


@pytest.fixture
async def queue_of_four(live_server, db, tmp_path):
    await db.execute("insert into units (credit_code, name, kind, region) values ($1, $2, 'enterprise', '522601')",
                     UNIT, UNIT_NAME)
    pid = await person(db, national_id(21), name="刘晓燕")
    await user(db, "liuxiaoyan", "professional", person_id=pid)
    await user(db, "unitboss", "unit_reviewer", unit_code=UNIT)
    await user(db, "hrboss", "hr_reviewer", region_prefix="52")
    return await submitted(live_server, tmp_path, "liuxiaoyan", TITLES)


async def statuses(db) -> list[str]:
    return [r["status"] for r in await db.fetch("select status from records order by submitted_at")]


async def test_the_record_page_shows_the_certificate_before_the_buttons(live_server, browser, db, queue_of_four):
    base, ids = live_server, queue_of_four
    for size, options in (("phone", PHONE), ("desk", DESK_800)):
        context = await browser.new_context(**options)
        page = await context.new_page()
        await sign_in(page, base, "unitboss")
        await shot(page, f"w3-{size}-queue")
        assert await audit(page, f"{size} queue") == []
        await page.goto(f"{base}/review/records/{ids[0]}")
        certificate = page.locator("img.evidence")
        await expect(certificate).to_be_visible()
        await page.wait_for_function("() => document.querySelector('img.evidence').complete")
        image, button = await certificate.bounding_box(), await page.locator("#approve").bounding_box()
        if size == "phone":
            # One column: the buttons come only after the whole certificate.
            assert button["y"] >= image["y"] + image["height"], (image, button)
        else:
            # Side by side on a desk: the certificate and the buttons are both on the first screen.
            assert image["y"] < 800 and button["y"] + button["height"] <= 800, (image, button)
            assert image["x"] + image["width"] <= button["x"]
        await expect(page.locator("#unit")).to_have_text(UNIT_NAME)
        await shot(page, f"w3-{size}-record")
        await context.close()


async def test_bulk_approval_counts_confirms_and_says_when_nothing_is_ticked(live_server, browser, db, queue_of_four):
    base, ids = live_server, queue_of_four
    context = await browser.new_context(**PHONE)
    page = await context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await sign_in(page, base, "unitboss")
    # One decided from its page; the queue then opens with its "done" message.
    await page.goto(f"{base}/review?done=1")
    await expect(page.get_by_text("已处理。")).to_be_visible()
    dialogs = []

    async def answer(dialog) -> None:
        dialogs.append(dialog.message)
        await dialog.accept()

    page.on("dialog", answer)
    button = page.locator("#approve-many")
    await expect(button).to_have_text("批量通过所选")
    await button.click()
    await expect(page.locator("#flash")).to_have_text("请先勾选要通过的记录")
    await expect(page.get_by_text("已处理。")).to_have_count(0)     # the stale message went with the new action
    assert dialogs == [] and await statuses(db) == ["submitted"] * 4
    for rid in ids[:3]:
        await page.locator(f"#pick-{rid}").check()
    await expect(button).to_have_text("批量通过所选（3 条）")
    await button.click()
    await expect(page.locator("#flash")).to_contain_text("已通过 3 条", timeout=EXPECT_MS)
    assert dialogs == ["确定通过所选的 3 条记录吗？"]
    await expect(page.locator("#queue-total")).to_have_text("共 1 条", timeout=EXPECT_MS)
    await expect(button).to_have_text("批量通过所选")
    # "Select all" works on the reloaded list too, and a refusal of the confirmation sends nothing.
    await page.get_by_label("全选").check()
    await expect(button).to_have_text("批量通过所选（1 条）")
    assert await statuses(db) == ["unit_approved"] * 3 + ["submitted"]
    assert errors == []
    await context.close()


async def test_a_desk_clears_its_queue_from_the_keyboard(live_server, browser, db, queue_of_four):
    base, ids = live_server, queue_of_four
    context = await browser.new_context(**DESK_800)
    page = await context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await sign_in(page, base, "unitboss")
    await expect(page.locator("table.queue")).to_be_visible()
    await expect(page.get_by_text("快捷键：J 或 ↓ 下一行")).to_be_visible()
    # Typing in the search box is text, not commands.
    await page.locator("#q").focus()
    await page.keyboard.type("jkx")
    await expect(page.locator("#q")).to_have_value("jkx")
    await expect(page.locator("tr.current")).to_have_count(0)
    await page.locator("#q").fill("")
    await page.locator("#q").blur()
    # j, j, k: the first row; x ticks it; the button counts it.
    for key in ("j", "j", "k", "x"):
        await page.keyboard.press(key)
    await expect(page.locator("tr.current")).to_have_count(1)
    await expect(page.locator(f"#pick-{ids[0]}")).to_be_checked()
    await expect(page.locator("#approve-many")).to_have_text("批量通过所选（1 条）")
    await page.keyboard.press("x")
    await expect(page.locator(f"#pick-{ids[0]}")).not_to_be_checked()
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(re.compile(f"/review/records/{ids[1]}$"))
    await expect(page.get_by_text("快捷键：Alt+A 通过并打开下一条")).to_be_visible()
    # Alt+A approves and opens the next record waiting; R goes to the reason, and typing there is text.
    await page.keyboard.press("Alt+A")
    await expect(page).to_have_url(re.compile(f"/review/records/{ids[2]}$"), timeout=EXPECT_MS)
    await expect(page.get_by_text("上一条记录已通过。")).to_be_visible()
    await page.keyboard.press("r")
    await expect(page.locator("#reason")).to_be_focused()
    await page.keyboard.type("a")   # an "a" typed in the reason approves nothing
    await expect(page.locator("#reason")).to_have_value("a")
    await page.locator("#reason").fill("")
    await page.get_by_role("button", name="学时数与证书不一致").click()
    await page.get_by_role("button", name="完成日期与证书不一致").click()
    await expect(page.locator("#reason")).to_have_value("学时数与证书不一致；完成日期与证书不一致")
    await page.keyboard.type("，请核对")
    await page.get_by_role("button", name="退回", exact=True).click()
    await expect(page).to_have_url(re.compile(f"/review/records/{ids[3]}$"), timeout=EXPECT_MS)
    await expect(page.get_by_text("上一条记录已退回。")).to_be_visible()
    await page.keyboard.press("Alt+A")
    # After the last one, the first one left (it was skipped), then the queue.
    await expect(page).to_have_url(re.compile(f"/review/records/{ids[0]}"), timeout=EXPECT_MS)
    await page.keyboard.press("Alt+A")
    await expect(page).to_have_url(re.compile("/review$"), timeout=EXPECT_MS)
    await expect(page.get_by_text("没有待审核的记录")).to_be_visible()
    await eventually(lambda: _is(statuses(db), ["unit_approved", "unit_approved", "returned", "unit_approved"]))
    reason = await db.fetchval("select status_reason from records where id = $1", ids[2])
    assert reason == "学时数与证书不一致；完成日期与证书不一致，请核对"
    assert errors == []
    await context.close()


async def _is(value, expected) -> bool:
    return sorted(await value) == sorted(expected)


async def test_a_desk_searches_and_exports_its_queue(live_server, browser, db, queue_of_four):
    base = live_server
    other = await person(db, national_id(22), name="王建国")
    await user(db, "wangjianguo", "professional", person_id=other)
    context = await browser.new_context(**DESK_800, accept_downloads=True)
    page = await context.new_page()
    await sign_in(page, base, "unitboss")
    await page.get_by_label("姓名或身份证号").fill(national_id(21))
    await page.get_by_role("button", name="查询").click()
    await expect(page.locator("#queue-total")).to_contain_text("共 4 条")
    masked = national_id(21)[:4] + "*" * 10 + national_id(21)[-4:]
    await expect(page.locator("table.queue tbody tr").first).to_contain_text(masked)
    await expect(page.locator("table.queue tbody tr").first).to_contain_text(UNIT_NAME)
    async with page.expect_download() as waiting:
        await page.get_by_role("link", name="导出 Excel").click()
    download = await waiting.value
    assert download.suggested_filename.endswith(".xlsx")
    await page.get_by_label("姓名或身份证号").fill("王建国")
    await page.get_by_role("button", name="查询").click()
    await expect(page.get_by_text("没有符合条件的待审核记录。")).to_be_visible()
    await context.close()


async def test_departments_close_duplicate_flags_on_their_page(live_server, browser, db):
    base = live_server
    pid = await person(db, national_id(31), name="陈明")
    own = await record(db, pid, YEAR, "professional", 8)
    official = await record(db, pid, YEAR, "professional", 8, source="provider")
    await db.execute("update records set course_title = '建筑节能技术', provider = '贵州省建设职业技能培训中心'"
                     " where id = any($1::uuid[])", [own, official])
    await db.execute("insert into duplicate_flags (record_id, official_id, reason) values ($1, $2, $3)", own, official,
                     "本人登记的记录已登记，与官方记录疑似同一课程，请审核人员核实：与培训机构推送记录重复")
    await user(db, "hrboss", "hr_reviewer", region_prefix="52")
    for size, options in (("phone", PHONE), ("desk", DESK_800)):
        context = await browser.new_context(**options)
        page = await context.new_page()
        await sign_in(page, base, "hrboss")
        await page.get_by_role("link", name="疑似重复登记").click()
        await expect(page.get_by_text("待核实 1 条")).to_be_visible()
        await expect(page.get_by_role("link", name=re.compile("本人登记的记录：建筑节能技术"))).to_be_visible()
        await expect(page.get_by_role("link", name=re.compile("官方记录：建筑节能技术"))).to_be_visible()
        await shot(page, f"w3-{size}-duplicates")
        assert await audit(page, f"{size} duplicates") == []
        await context.close()
    context = await browser.new_context(**PHONE)
    page = await context.new_page()
    await sign_in(page, base, "hrboss")
    await page.goto(f"{base}/review/duplicates")
    await page.get_by_label(re.compile("核实结论")).fill("两条为不同场次的培训，均有效")
    await page.get_by_role("button", name="核实完毕，关闭").click()
    await expect(page.get_by_text("已关闭该疑似重复登记。")).to_be_visible(timeout=EXPECT_MS)
    await expect(page.get_by_text("没有待核实的疑似重复登记。")).to_be_visible()
    await context.close()
