"""What the browser tests share: the phone and desk, screenshots, signing in, filling the record form, waiting."""

from __future__ import annotations

import asyncio
import io
import os
import socket
from datetime import date
from pathlib import Path

import httpx
from PIL import Image
from playwright.async_api import Page

from tests.builders import PASSWORD

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--lang=zh-CN"]
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "zh-CN"}
DESK = {"viewport": {"width": 1280, "height": 900}, "locale": "zh-CN"}
SCREENS = Path(os.environ.get("CE_ARTIFACTS_DIR", Path(__file__).parents[2] / "test-artifacts")) / "screens"
YEAR = date.today().year - 1
EXPECT_MS = 15_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# What a finger must hit: every visible control, at least 44 CSS pixels tall (WCAG 2.5.5's target size).
SMALL_TARGETS = """() => [...document.querySelectorAll(
    'button, a.button, a.row, input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, textarea,'
    + ' label.choice, label.tick, header nav a')]
  .filter((e) => e.offsetParent !== null)
  .map((e) => [e.tagName + (e.id ? '#' + e.id : '') + ' ' + (e.textContent || e.name || '').trim().slice(0, 20),
               Math.round(e.getBoundingClientRect().height)])
  .filter(([, h]) => h < 44)"""


async def shot(page: Page, name: str) -> None:
    """The screen as the phone shows it (360×740 CSS pixels), and the whole page below it; checks that the
    page fits the width (no sideways scrolling) and that every control is big enough to tap."""
    width = await page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{name}: the page is {width[0]} px wide in a {width[1]} px window"
    if width[1] <= 400:
        assert await page.evaluate(SMALL_TARGETS) == [], f"{name}: controls under 44 px"
    SCREENS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENS / f"{name}.png"), scale="css")
    await page.screenshot(path=str(SCREENS / f"{name}-full.png"), full_page=True, scale="css")


async def sign_in(page: Page, base: str, username: str) -> None:
    await page.goto(f"{base}/login")
    await page.get_by_label("身份证号或用户名").fill(username)
    await page.get_by_label("密码").fill(PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await page.wait_for_load_state("networkidle")


def certificate_photo(path: Path) -> Path:
    image = Image.new("RGB", (2400, 1700), "#fdf6e3")
    for x in range(0, 2400, 100):
        image.paste((200, 60, 40), (x, 700, x + 50, 760))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    path.write_bytes(out.getvalue())
    return path


async def fill_record(page: Page, title: str, hours: str, when: str, photo: Path | None = None) -> None:
    await page.get_by_label("课程名称").fill(title)
    await page.get_by_label("专业科目", exact=True).check()
    await page.get_by_label("学时数").fill(hours)
    await page.get_by_label("完成日期").fill(when)
    await page.get_by_label("培训机构").fill("贵州省专业技术人员继续教育基地")
    if photo:
        await page.locator("#certificate").set_input_files(str(photo))


async def eventually(check, seconds: float = 15) -> None:
    """Wait until the page's background work (the outbox being sent) has reached the database."""
    for _ in range(int(seconds * 10)):
        if await check():
            return
        await asyncio.sleep(0.1)
    assert await check()


async def is_(value, expected) -> bool:
    return await value == expected


async def status_of(db, title: str) -> list[str]:
    return [r["status"] for r in await db.fetch("select status from records where course_title = $1", title)]


async def count(db, title: str) -> int:
    return await db.fetchval("select count(*) from records where course_title = $1", title)




async def api_session(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    """Sign in through the API as the phone's script does; the headers a write needs (the cookie stays in client)."""
    response = await client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}


async def submitted(base: str, tmp_path: Path, username: str, titles: tuple[str, ...]) -> list[str]:
    """Records of `username` with a certificate photo, submitted through the API as the phone does."""
    photo = certificate_photo(tmp_path / "cert.jpg").read_bytes()
    ids = []
    async with httpx.AsyncClient(base_url=base) as client:
        headers = await api_session(client, username)
        for title in titles:
            ref = (await client.post("/api/v1/me/evidence", files={"file": ("cert.jpg", io.BytesIO(photo), "image/jpeg")},
                                     headers=headers)).json()["evidence_ref"]
            made = await client.post("/api/v1/me/records", headers=headers, json={
                "year": YEAR, "category": "professional", "hours": 8, "course_title": title,
                "completed_on": f"{YEAR}-06-18", "provider": "贵州省专业技术人员继续教育基地", "evidence_ref": ref})
            assert made.status_code == 201, made.text
            ids.append(made.json()["id"])
            assert (await client.post(f"/api/v1/me/records/{ids[-1]}/submit", headers=headers)).status_code == 200
    return ids
