"""Sign-in and the administrator's page in Chromium (issue 15): tries left and the wait, 忘记密码, coming back to the
page asked for, and the administrator's page in Chinese with uploads, templates, progress and pull now, on a
360×740 phone and a 1280×800 desk."""

from __future__ import annotations

import csv
import io
import re

import httpx
import pytest
import respx
from playwright.async_api import expect
from redis.asyncio import Redis

from ce_service.auth.limits import LOGIN_FAILURES_PER_NAME, LOGIN_WINDOW_SECONDS
from ce_service.db import create_pool
from ce_service.imports import service as imports
from ce_service.imports.tables import COLUMNS
from ce_service.platforms.fetch import RetryPolicy
from ce_service.platforms.service import add_platform, pull
from tests.builders import PASSWORD, UNIT, national_id, person, user
from tests.platforms.fake import BASE, TOKEN
from tests.web.browsing import EXPECT_MS, PHONE, YEAR, shot, sign_in

DESK = {"viewport": {"width": 1280, "height": 800}, "locale": "zh-CN"}
SCREENS = {"phone": PHONE, "desk": DESK}


@pytest.fixture(autouse=True)
async def fresh_redis(servers):
    """No sign-in counters or jobs left from an earlier test (the live server shares the test Redis)."""
    redis = Redis.from_url(servers.redis_url)
    await redis.flushdb()
    await redis.aclose()


async def no_sleep(seconds: float) -> None:
    """The backoff between a pull's tries, not waited for."""


async def try_password(page, username: str, password: str) -> None:
    await page.get_by_label("身份证号或用户名").fill(username)
    await page.get_by_label("密码").fill(password)
    await page.get_by_role("button", name="登录").click()
    await page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("screen", ["phone", "desk"])
async def test_sign_in_says_the_tries_left_the_wait_and_whom_to_ask(live_server, browser, db, screen):
    pid = await person(db, national_id(1), name="张三", periods=[(2015, "intermediate", "standard", "522601", UNIT)])
    await user(db, "zhangsan", "professional", person_id=pid)
    context = await browser.new_context(**SCREENS[screen])
    page = await context.new_page()
    page.set_default_timeout(EXPECT_MS)
    await page.goto(f"{live_server}/login")
    await expect(page.get_by_text("接口文档")).to_have_count(0)
    await expect(page.locator('a[href^="/schema"]')).to_have_count(0)

    await try_password(page, "zhangsan", "not-the-password")
    alert = page.get_by_role("alert")
    await expect(alert).to_have_text(f"身份证号（用户名）或密码不正确，还可尝试 {LOGIN_FAILURES_PER_NAME - 1} 次。")
    await expect(page.get_by_label("身份证号或用户名")).to_have_value("zhangsan")   # kept for the next try
    await shot(page, f"login-error-{screen}")

    for i in range(LOGIN_FAILURES_PER_NAME - 2):
        await try_password(page, "zhangsan", f"wrong-{i}")
    await expect(alert).to_contain_text("还可尝试 1 次")
    await try_password(page, "zhangsan", "wrong-last")
    minutes = LOGIN_WINDOW_SECONDS // 60
    await expect(alert).to_have_text(f"身份证号（用户名）或密码不正确。失败次数已达上限，请 {minutes} 分钟后再试。")
    await try_password(page, "zhangsan", PASSWORD)   # the right password waits too
    await expect(alert).to_have_text(f"登录失败次数过多，请 {minutes} 分钟后再试。")
    assert page.url.startswith(f"{live_server}/login")

    # The way out: whom to ask about a forgotten password.
    forgot = page.get_by_text("忘记密码？")
    await forgot.click()
    await expect(page.get_by_text("请联系所在单位的继续教育管理员重置密码。")).to_be_visible()
    await shot(page, f"login-lockout-{screen}")
    await context.close()


async def test_signing_in_again_comes_back_to_the_page_asked_for(live_server, browser, db):
    pid = await person(db, national_id(2), name="李四", periods=[(2015, "intermediate", "standard", "522601", UNIT)])
    await user(db, "lisi", "professional", person_id=pid)
    context = await browser.new_context(**PHONE)
    page = await context.new_page()
    page.set_default_timeout(EXPECT_MS)
    await page.goto(f"{live_server}/years/{YEAR}")
    assert page.url == f"{live_server}/login?next=%2Fyears%2F{YEAR}"
    await try_password(page, "lisi", PASSWORD)
    assert page.url == f"{live_server}/years/{YEAR}"
    # A hostile next is never followed: the professional lands on their own home.
    await context.clear_cookies()
    await page.goto(f"{live_server}/login?next=//evil.example/x")
    await try_password(page, "lisi", PASSWORD)
    assert page.url == f"{live_server}/"
    await context.close()


def records_file() -> bytes:
    """A CSV in the importer's own columns: one good row and one with a bad ID number."""
    columns = COLUMNS["records"]
    rows = [{c.key: c.example for c in columns} | {"external_id": f"DW-{n}", "national_id": nid, "name": "王五",
                                                   "year": str(YEAR), "completed_on": f"{YEAR}-05-20"}
            for n, nid in ((1, national_id(3)), (2, "522601198001011230"))]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.label for c in columns])
    writer.writerows([[row[c.key] for c in columns] for row in rows])
    return out.getvalue().encode()


async def test_the_administrator_uploads_follows_progress_and_pulls_now(live_server, browser, db, database_url,
                                                                        tmp_path):
    await user(db, "root", "admin")
    await person(db, national_id(3), name="王五", periods=[(2015, "intermediate", "standard", "522601", UNIT)])
    await add_platform(db, "gzjxjy", BASE, TOKEN, "520000", 3600, display_name="贵州省专业技术人员继续教育平台")
    await add_platform(db, "qdn", "https://qdn.example.gov.cn", TOKEN, "522601", 900)
    pool = await create_pool(database_url, 1, 2)
    try:
        with respx.mock(assert_all_called=False) as mock:
            mock.get(f"{BASE}/api/v1/results").mock(side_effect=httpx.ConnectError("refused"))
            await pull(pool, "gzjxjy", max_hours=200, policy=RetryPolicy(attempts=6), sleep=no_sleep)

        for screen in ("phone", "desk"):
            context = await browser.new_context(**SCREENS[screen], accept_downloads=True)
            page = await context.new_page()
            page.set_default_timeout(EXPECT_MS)
            await sign_in(page, live_server, "root")
            assert page.url == f"{live_server}/admin"
            gz = page.locator('[data-platform="gzjxjy"]')
            await expect(gz.get_by_role("heading")).to_have_text("贵州省专业技术人员继续教育平台")
            await expect(gz).to_contain_text("无法连接平台服务器（已重试 6 次）")
            await expect(gz.get_by_text("connection failed")).to_be_hidden()   # only under 技术细节, closed
            await expect(page.locator('[data-platform="qdn"]').get_by_role("heading")).to_have_text(
                "贵州省黔东南苗族侗族自治州凯里市继续教育平台")
            main = await page.locator("main").inner_text()
            for internal in ("gzjxjy", "520000", "游标", "ConnectError"):
                assert internal not in main, internal

            if screen == "phone":
                # The template, downloaded from the page, has the importer's own headers.
                async with page.expect_download() as info:
                    await page.get_by_role("link", name="学时记录模板（CSV）").click()
                download = await info.value
                saved = tmp_path / "template.csv"
                await download.save_as(saved)
                header = next(csv.reader(io.StringIO(saved.read_bytes().decode("utf-8-sig"))))
                assert header == [c.label for c in COLUMNS["records"]]

                # Upload a file of records: it is queued, shown with its progress, and the page refreshes.
                upload = tmp_path / "单位学时.csv"
                upload.write_bytes(records_file())
                await page.locator("#import_file").set_input_files(str(upload))
                await page.get_by_role("button", name="上传并导入").click()
                await expect(page.locator("#flash")).to_have_text("已收到「单位学时.csv」，正在排队导入。")
                card = page.locator("[data-import]").first
                await expect(card).to_contain_text("排队中")
                await expect(page.locator("#import_file")).to_have_value("")   # a fresh form: no second upload
                # The worker runs it (here, the test does); the page, refreshing, shows it done with its reports.
                import_id = await card.get_attribute("data-import")
                await imports.run_import(pool, import_id, max_hours=200)
                await expect(card).to_contain_text("已完成", timeout=15_000)
                await expect(card.get_by_role("link", name="结果报告（Excel）")).to_be_visible()
                await expect(card.get_by_role("link", name="未通过的行（修改后可重新上传）")).to_be_visible()

            await shot(page, f"admin-{screen}")
            await page.locator('[data-platform="gzjxjy"] summary').click()
            await expect(gz.get_by_text("connection failed: ConnectError (6 tries)")).to_be_visible()
            await shot(page, f"admin-details-{screen}")

            if screen == "desk":
                button = gz.get_by_role("button", name="立即拉取")
                await button.click()
                await expect(page.locator("#flash")).to_have_text(
                    "已安排立即拉取「贵州省专业技术人员继续教育平台」，完成后本页会显示结果。")
                await expect(gz).to_contain_text("正在拉取")
                await expect(gz.get_by_role("button", name="立即拉取")).to_be_disabled()
                await shot(page, "admin-pull-now-desk")
            await context.close()
        assert re.fullmatch(r"queued|running|done", await db.fetchval("select status from imports"))
    finally:
        await pool.close()
