"""The professional's record form on a phone, in a real browser (Chromium) against a real server, database and Redis.

Big photos are shrunk on the phone and uploaded with a progress bar; what cannot be shrunk is refused in Chinese
with the limit; one file picker, no default category, errors at each field; a lapsed session keeps the form;
Back after saving makes no second record; a returned record is not sent back unchanged; syncing after
reconnecting says what it did; a long course title is never cut without a word.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from PIL import Image
from playwright.async_api import expect

from tests.builders import PASSWORD, UNIT, national_id, person, record, user
from tests.web.browsing import EXPECT_MS, PHONE, YEAR, certificate_photo, count, eventually, fill_record, shot, sign_in

DESK_800 = {"viewport": {"width": 1280, "height": 800}, "locale": "zh-CN"}
SAVE = "保存并提交审核"


async def professional(db, n: int, username: str) -> str:
    pid = await person(db, national_id(n), name="周敏", periods=[(2015, "intermediate", "standard", "522601", UNIT)])
    await user(db, username, "professional", person_id=pid)
    return pid


def noisy_photo(path: Path, width: int = 7000, height: int = 5000) -> Path:
    """A camera-sized photo whose noise keeps JPEG from compressing it: well over 10 MB."""
    image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    image.save(path, "JPEG", quality=90)
    return path


def sideways_photo(path: Path) -> Path:
    """A 3000×2000 picture stored sideways, with EXIF orientation 6 (turn 90° clockwise to show it upright)."""
    image = Image.new("RGB", (3000, 2000), "#fdf6e3")
    image.paste((200, 60, 40), (0, 0, 600, 2000))   # noise-free: small, but larger than PHOTO_EDGE
    exif = Image.Exif()
    exif[0x0112] = 6
    image.save(path, "JPEG", quality=95, exif=exif.tobytes())
    return path


async def stored_evidence(db, tmp_path: Path, title: str) -> Image.Image:
    """The certificate file the server stored for a record (the live server keeps its data in tmp_path)."""
    ref = await db.fetchval("select evidence_ref from records where course_title = $1", title)
    assert ref, f"{title}: no certificate stored"
    return Image.open(tmp_path / "evidence" / ref[:2] / ref[2:4] / ref)


async def test_a_100_megapixel_sized_photo_is_shrunk_on_the_phone_and_sent_with_progress(
        live_server, browser, db, tmp_path):
    base = live_server
    await professional(db, 21, "zhoumin")
    big = noisy_photo(tmp_path / "camera.jpg")
    assert big.stat().st_size > 10 * 1024 * 1024   # over the server's limit as it is
    phone = await browser.new_context(**PHONE)
    page = await phone.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await sign_in(page, base, "zhoumin")
    await page.goto(f"{base}/records/new")
    await fill_record(page, "大型公共建筑节能改造", "6", f"{YEAR}-05-06", big)
    await expect(page.locator("#certificate-state")).to_contain_text("照片已压缩", timeout=EXPECT_MS)

    # A weak connection: the upload takes seconds, and the bar says how far it is.
    cdp = await phone.new_cdp_session(page)
    await cdp.send("Network.enable")
    await cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 50, "downloadThroughput": -1,
                                                         "uploadThroughput": 120_000})
    await page.get_by_role("button", name=SAVE).click()
    await expect(page.locator("#upload-text")).to_have_text(re.compile(r"^正在上传证书 ([1-9]|[1-9]\d)%$"),
                                                            timeout=EXPECT_MS)
    value = await page.locator("#upload-progress").evaluate("p => p.value")
    assert 0 < value < 100
    await shot(page, "form-01-uploading")
    await page.set_viewport_size({"width": 1280, "height": 800})
    await shot(page, "form-01-uploading-desk")
    await cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                         "uploadThroughput": -1})
    await page.wait_for_url(re.compile(r".*/records/[0-9a-f-]{36}$"), timeout=60_000)
    assert await count(db, "大型公共建筑节能改造") == 1
    stored = await stored_evidence(db, tmp_path, "大型公共建筑节能改造")
    assert stored.format == "JPEG"
    assert max(stored.size) == 2000 and stored.size[0] > stored.size[1], stored.size

    # A photo taken sideways is stored upright (its EXIF orientation applied), its long side 2000 px.
    await page.set_viewport_size({"width": 360, "height": 740})
    await page.goto(f"{base}/records/new")
    await fill_record(page, "建筑工程质量验收规范", "4", f"{YEAR}-05-07", sideways_photo(tmp_path / "sideways.jpg"))
    await page.get_by_role("button", name=SAVE).click()
    await page.wait_for_url(re.compile(r".*/records/[0-9a-f-]{36}$"), timeout=EXPECT_MS)
    upright = await stored_evidence(db, tmp_path, "建筑工程质量验收规范")
    assert upright.size == (1333, 2000), upright.size
    top, bottom = upright.getpixel((600, 100)), upright.getpixel((600, 1900))
    assert top[1] < 120 and bottom[1] > 200, (top, bottom)   # the red band, at the left when stored, is on top
    await phone.close()
    assert not errors, errors


async def test_a_file_that_cannot_be_shrunk_meets_the_limit_in_chinese_on_the_device_and_from_the_server(
        live_server, browser, db, tmp_path):
    base = live_server
    await professional(db, 22, "zhoumin")
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(b"%PDF-1.4\n" + b"0" * (11 * 1024 * 1024 + 512 * 1024) + b"\n%%EOF\n")   # 11.5 MB
    phone = await browser.new_context(**PHONE)
    page = await phone.new_page()
    uploads: list[str] = []
    page.on("request", lambda r: uploads.append(r.url) if r.url.endswith("/api/v1/me/evidence") else None)
    await sign_in(page, base, "zhoumin")
    await page.goto(f"{base}/records/new")
    await fill_record(page, "城市轨道交通工程", "3", f"{YEAR}-02-02")
    await page.locator("#certificate").set_input_files(str(pdf))
    said = "证书文件太大：11.5 MB，最大 10 MB。请拍照上传或压缩后再试。"
    await expect(page.locator("#certificate-error")).to_have_text(said)
    await expect(page.locator("#certificate")).to_have_attribute("aria-invalid", "true")
    await page.get_by_role("button", name=SAVE).click()
    await expect(page.locator("#form-errors")).to_contain_text(said)
    assert uploads == [] and await count(db, "城市轨道交通工程") == 0

    # Where the page does not know the limit, the server's refusal (413) is said the same way, with its limit.
    await page.evaluate("document.getElementById('record-form').dataset.maxEvidenceMb = ''")
    async with page.expect_response(re.compile(r".*/api/v1/me/evidence$")) as answer:
        await page.get_by_role("button", name=SAVE).click()
    assert (await answer.value).status == 413
    await expect(page.get_by_role("button", name=SAVE)).to_be_enabled()   # the answer was handled
    await expect(page.locator("#certificate-error")).to_have_text(said)
    await expect(page.locator("#form-errors")).to_contain_text(said)
    assert len(uploads) == 1 and await count(db, "城市轨道交通工程") == 0
    await expect(page.locator("#form-errors")).not_to_contain_text("bytes")
    await phone.close()


async def test_one_picker_no_default_category_and_each_error_at_its_field(live_server, browser, db, tmp_path):
    base = live_server
    await professional(db, 23, "zhoumin")
    for name, options in (("phone", PHONE), ("desk", DESK_800)):
        context = await browser.new_context(**options)
        page = await context.new_page()
        await sign_in(page, base, "zhoumin")
        await page.goto(f"{base}/records/new")
        pickers = page.locator("input[type=file]")
        await expect(pickers).to_have_count(1)
        await expect(pickers).to_have_attribute("accept", "image/*,application/pdf")
        assert await pickers.get_attribute("capture") is None
        label = page.locator("label", has_text="结业证书")
        await expect(label).to_contain_text("建议上传")
        await expect(label).not_to_contain_text("选填")
        await expect(page.locator("input[name=category]:checked")).to_have_count(0)
        await shot(page, f"form-02-new-{name}")

        # Everything but the category: the error stands below the choices, and in the summary at the top.
        await page.get_by_label("课程名称").fill("建设工程消防设计审查")
        await page.get_by_label("学时数").fill("3")
        await page.get_by_label("完成日期").fill(f"{YEAR}-03-03")
        await page.get_by_label("培训机构").fill("贵州省建设培训中心")
        await page.get_by_role("button", name=SAVE).click()
        await expect(page.locator("#category-error")).to_have_text("请选择一项")
        await expect(page.locator("#form-errors")).to_contain_text("科目类别：请选择一项")
        for radio in await page.locator("input[name=category]").all():
            await expect(radio).to_have_attribute("aria-invalid", "true")
        await expect(page.locator("#category")).to_have_attribute("aria-describedby", re.compile("category-error"))
        assert await count(db, "建设工程消防设计审查") == 0
        await shot(page, f"form-03-errors-{name}")

        # The server's refusal is said at its field too, by its code: a broken JPEG the phone cannot shrink is
        # sent as it is, and refused as photo_unreadable (its English message has no Chinese pattern).
        await page.get_by_label("专业科目", exact=True).check()
        await expect(page.locator("#category-error")).to_have_count(0)
        junk = tmp_path / "certificate.jpg"
        junk.write_bytes(b"\xff\xd8\xff\xe0" + b"not a photo at all " * 100)
        await page.locator("#certificate").set_input_files(str(junk))
        await page.get_by_role("button", name=SAVE).click()
        said = "无法识别这张照片，请重新拍照或另存为 JPG 后上传"
        await expect(page.locator("#certificate-error")).to_have_text(said, timeout=EXPECT_MS)
        picker = page.locator("#certificate")
        await expect(picker).to_have_attribute("aria-invalid", "true")
        await expect(picker).to_have_attribute("aria-describedby", re.compile(r"^certificate-error\b"))
        await expect(page.locator("#form-errors")).to_contain_text(f"结业证书：{said}")
        await shot(page, f"form-04-server-error-{name}")
        await context.close()
    assert await count(db, "建设工程消防设计审查") == 0


async def test_a_lapsed_session_keeps_the_form_and_brings_it_back_after_signing_in(live_server, browser, db, tmp_path):
    base = live_server
    pid = await professional(db, 24, "zhoumin")
    phone = await browser.new_context(**PHONE)
    page = await phone.new_page()
    await sign_in(page, base, "zhoumin")
    await page.goto(f"{base}/records/new")
    await phone.clear_cookies(name="ce_session")   # the session ends while the form is open
    await fill_record(page, "建筑信息模型高级应用", "7.5", f"{YEAR}-08-08", certificate_photo(tmp_path / "cert.jpg"))
    await page.get_by_role("button", name=SAVE).click()
    await page.wait_for_url(re.compile(r".*/login\?next=%2Frecords%2Fnew$"), timeout=EXPECT_MS)
    await expect(page.locator("#flash")).to_have_text("登录已过期，您填写的内容已保存在本机，请重新登录")
    await expect(page.locator("#flash")).not_to_contain_text("出错了")
    assert await count(db, "建筑信息模型高级应用") == 0

    await page.get_by_label("身份证号或用户名").fill("zhoumin")
    await page.get_by_label("密码").fill(PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await page.wait_for_url(f"{base}/records/new", timeout=EXPECT_MS)
    await expect(page.get_by_label("课程名称")).to_have_value("建筑信息模型高级应用")
    await expect(page.get_by_label("学时数")).to_have_value("7.5")
    await expect(page.get_by_label("专业科目", exact=True)).to_be_checked()
    await expect(page.locator("#certificate-state")).to_contain_text("已保留之前选择的证书")
    await expect(page.locator("#form-restored")).to_be_visible()
    await page.wait_for_load_state("networkidle")
    assert await count(db, "建筑信息模型高级应用") == 0   # nothing sent behind the form's back
    await page.get_by_role("button", name=SAVE).click()
    await page.wait_for_url(re.compile(r".*/records/[0-9a-f-]{36}$"), timeout=EXPECT_MS)
    assert await count(db, "建筑信息模型高级应用") == 1
    assert await db.fetchval("select evidence_ref from records where course_title = '建筑信息模型高级应用'")
    await page.goto(f"{base}/")
    await expect(page.locator("#outbox")).to_be_hidden()
    assert await db.fetchval("select count(*) from records where person_id = $1", pid) == 1
    await phone.close()


async def test_back_after_saving_shows_no_filled_form_and_saving_again_makes_no_second_record(
        live_server, browser, db):
    base = live_server
    await professional(db, 25, "zhoumin")
    phone = await browser.new_context(**PHONE)
    page = await phone.new_page()
    await sign_in(page, base, "zhoumin")
    await page.get_by_role("link", name="＋ 登记学时").click()
    await page.wait_for_url(f"{base}/records/new")
    await fill_record(page, "钢结构焊接技术", "5", f"{YEAR}-07-07")
    await page.get_by_role("button", name=SAVE).click()
    await page.wait_for_url(re.compile(r".*/records/[0-9a-f-]{36}$"), timeout=EXPECT_MS)
    assert await count(db, "钢结构焊接技术") == 1

    await page.go_back()
    await page.wait_for_load_state("networkidle")
    # Back leads past the form (its entry was replaced); wherever it lands, no filled form is offered.
    titles = page.locator("#course_title")
    if await titles.count():
        await expect(titles).to_have_value("")
    await page.go_back()
    await page.wait_for_load_state("networkidle")
    if await titles.count():
        await expect(titles).to_have_value("")
    assert await count(db, "钢结构焊接技术") == 1

    # The same form saved twice (a double tap, a reload mid-save): one key, so one record.
    await page.goto(f"{base}/records/new")
    await fill_record(page, "钢结构防火涂装", "2", f"{YEAR}-07-08")
    key = await page.evaluate("history.state.formKey")
    await page.reload()
    assert await page.evaluate("history.state.formKey") == key
    await fill_record(page, "钢结构防火涂装", "2", f"{YEAR}-07-08")
    await page.evaluate("""() => { const form = document.getElementById('record-form');
        form.requestSubmit(); form.querySelector('button[type=submit]').disabled = false; form.requestSubmit(); }""")
    await page.wait_for_url(re.compile(r".*/records/[0-9a-f-]{36}$"), timeout=EXPECT_MS)
    await eventually(lambda: _none_pending(page))
    assert await count(db, "钢结构防火涂装") == 1
    assert await db.fetchval("select client_key::text from records where course_title = '钢结构防火涂装'") == key
    await phone.close()


async def _none_pending(page) -> bool:
    return await page.evaluate("""() => new Promise((resolve) => {
        const open = indexedDB.open("ce-outbox", 1);
        open.onsuccess = () => { const r = open.result.transaction("items").objectStore("items").count();
                                 r.onsuccess = () => resolve(r.result === 0); };
      })""")


async def test_a_returned_record_is_not_sent_back_unchanged(live_server, browser, db):
    from datetime import datetime, timezone

    base = live_server
    pid = await professional(db, 26, "zhoumin")
    at = datetime(YEAR, 6, 1, tzinfo=timezone.utc)
    rid = await record(db, pid, YEAR, "professional", 5, history=[("draft", at), ("submitted", at), ("returned", at)])
    await db.execute("update records set status_reason = '学时数与证书不符', provider = '贵州省建设培训中心'"
                     " where id = $1", rid)
    phone = await browser.new_context(**PHONE)
    page = await phone.new_page()
    writes: list[str] = []
    page.on("request", lambda r: writes.append(r.url) if r.method in ("PATCH", "POST") and "/api/" in r.url else None)
    await sign_in(page, base, "zhoumin")
    await page.goto(f"{base}/records/{rid}/edit")
    await page.get_by_role("button", name="保存修改并重新提交").click()
    await expect(page.locator("#form-errors")).to_have_text("请先按退回原因修改后再提交")
    assert writes == []
    assert await db.fetchval("select status from records where id = $1", rid) == "returned"
    await shot(page, "form-05-returned-unchanged")

    await page.get_by_label("学时数").fill("4")
    await page.get_by_role("button", name="保存修改并重新提交").click()
    await page.wait_for_url(f"{base}/records/{rid}", timeout=EXPECT_MS)
    assert await db.fetchval("select status from records where id = $1", rid) == "submitted"
    assert await db.fetchval("select half_hours from records where id = $1", rid) == 8
    await phone.close()


async def test_syncing_after_reconnecting_says_what_was_sent_and_what_was_refused(live_server, browser, db, tmp_path):
    base = live_server
    await professional(db, 27, "zhoumin")
    phone = await browser.new_context(**PHONE)
    page = await phone.new_page()
    await sign_in(page, base, "zhoumin")
    await page.evaluate("navigator.serviceWorker.ready")
    await page.reload()
    await page.wait_for_load_state("networkidle")

    # The upload fails for the network: the record waits on the device, as offline.
    async def no_network(route):
        await route.abort("internetdisconnected")

    await page.route(re.compile(r".*/api/v1/me/evidence$"), no_network)
    await page.goto(f"{base}/records/new")
    await fill_record(page, "预应力混凝土施工", "6", f"{YEAR}-09-09", certificate_photo(tmp_path / "cert.jpg"))
    await page.get_by_role("button", name=SAVE).click()
    await page.wait_for_url(f"{base}/")
    await expect(page.locator("#outbox")).to_contain_text("预应力混凝土施工")
    await expect(page.locator("#outbox")).to_contain_text("待同步")

    # Offline, one more that the server will refuse (0.3 hours, typed on an older form).
    await phone.set_offline(True)
    await page.unroute(re.compile(r".*/api/v1/me/evidence$"))
    await page.evaluate("""(year) => new Promise((resolve, reject) => {
        const open = indexedDB.open("ce-outbox", 1);
        open.onsuccess = () => {
          const tx = open.result.transaction("items", "readwrite");
          tx.objectStore("items").put({ key: crypto.randomUUID(), user: document.body.dataset.user, file: null,
            createdAt: Date.now() + 1, fields: { year, category: "professional", hours: 0.3, course_title: "桩基检测",
            completed_on: `${year}-04-04`, provider: "贵州省建设培训中心" } });
          tx.oncomplete = () => resolve();
          tx.onerror = () => reject(tx.error);
        };
      })""", YEAR)
    assert await count(db, "预应力混凝土施工") == 0

    await phone.set_offline(False)
    flash = page.locator("#flash")
    await expect(flash).to_have_text("已同步 1 条记录；1 条未能提交，请查看", timeout=EXPECT_MS)
    await expect(page.locator("#outbox")).to_contain_text("未能提交")
    assert await count(db, "预应力混凝土施工") == 1
    assert await db.fetchval("select evidence_ref from records where course_title = '预应力混凝土施工'")
    assert await count(db, "桩基检测") == 0
    await shot(page, "form-06-synced")
    await phone.close()


async def test_a_long_course_title_is_counted_down_and_a_cut_paste_is_said(live_server, browser, db):
    base = live_server
    await professional(db, 28, "zhoumin")
    phone = await browser.new_context(**PHONE, permissions=["clipboard-read", "clipboard-write"])
    page = await phone.new_page()
    await sign_in(page, base, "zhoumin")
    await page.goto(f"{base}/records/new")
    title = page.get_by_label("课程名称")
    counter = page.locator("#course_title-count")
    await title.fill("建" * 150)
    await expect(counter).to_be_hidden()
    await title.fill("建" * 190)
    await expect(counter).to_have_text("还可输入 10 字")
    await expect(title).to_have_attribute("maxlength", "200")

    await page.evaluate("text => navigator.clipboard.writeText(text)", "筑" * 250)
    await title.fill("")
    await title.focus()
    await page.keyboard.press("ControlOrMeta+V")
    await expect(title).to_have_value("筑" * 200)
    await expect(counter).to_have_text("粘贴的名称超过 200 字，多出的 50 字没有填入，请核对课程名称。")
    await shot(page, "form-07-title-cut")
    await page.keyboard.press("Backspace")
    await expect(counter).to_have_text("还可输入 1 字")
    await phone.close()

