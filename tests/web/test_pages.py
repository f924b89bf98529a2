"""The web app over HTTP: sign-in with its CSRF, pages per role, never another person's data, PWA files."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

from ce_service.platforms.service import add_platform
from tests.builders import PASSWORD, UNIT, national_id, person, record, user

THIS_YEAR = date.today().year


async def login(api, username: str, password: str = PASSWORD):
    form = await api.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    return await api.post("/login", data={"username": username, "password": password, "csrf": token},
                          follow_redirects=False)


def page_csrf(page_text: str) -> str:
    return json.loads(re.search(r"hx-headers='([^']+)'", page_text).group(1))["X-CSRF-Token"]


@pytest.fixture
async def zhang(db) -> int:
    pid = await person(db, national_id(1), name="张三", periods=[(2015, "intermediate", "standard", "522601", UNIT)])
    await user(db, "zhangsan", "professional", person_id=pid)
    return pid


async def test_sign_in_lands_on_the_home_with_year_cards(api, db, zhang):
    await record(db, zhang, THIS_YEAR - 1, "professional", 60)
    await record(db, zhang, THIS_YEAR - 1, "public", 30)
    signed = await login(api, "zhangsan")
    assert signed.status_code == 303 and signed.headers["location"] == "/"
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax") and "Secure" in cookie

    home = await api.get("/")
    assert home.status_code == 200
    text = home.text
    years = re.findall(r'data-year="(\d+)" data-status="(\w+)"', text)
    assert [int(y) for y, _ in years] == list(range(THIS_YEAR, THIS_YEAR - 6, -1))
    assert dict(years)[str(THIS_YEAR - 1)] == "met" and "达标" in text and "GZ-2021-ON" in text
    assert dict(years)[str(THIS_YEAR)] == "in_progress" and "进行中" in text  # the running year is not over
    assert "尚差 90 学时" in text  # and still says how far it is from the rule
    assert "default-src 'self'" in home.headers["content-security-policy"]
    assert home.headers["x-frame-options"] == "DENY"
    # The page script says refusals in the page's words: field names, field messages, statuses.
    texts = json.loads(re.search(r'<script type="application/json" id="texts">(.*?)</script>', text).group(1))
    assert texts["fields"]["hours"] == "学时数" and texts["statuses"]["429"].startswith("操作太频繁")
    assert any(re.match(p, "must be a multiple of 0.5") for p, _ in texts["messages"])


async def test_exempt_and_not_applicable_years_show_on_the_home(api, db):
    # Beijing sets no rule of its own: the national floor applies; years before the first period are not applicable.
    pid = await person(db, national_id(2, region="110101"), name="李四",
                       periods=[(THIS_YEAR - 3, "intermediate", "standard", "110101", UNIT)])
    await user(db, "lisi", "professional", person_id=pid)
    await db.execute("insert into exemptions (person_id, from_year, to_year, reason, note, created_by)"
                     " values ($1, $2, $2, 'green_channel', '引进人才', 'test')", pid, THIS_YEAR - 1)
    await login(api, "lisi")
    home = await api.get("/")
    assert home.status_code == 200, home.text
    years = dict(re.findall(r'data-year="(\d+)" data-status="(\w+)"', home.text))
    assert years[str(THIS_YEAR - 1)] == "exempt" and years[str(THIS_YEAR - 2)] == "short"
    assert years[str(THIS_YEAR - 4)] == "not_applicable"
    assert "免修" in home.text and "不适用" in home.text and "CN-2016-ON" in home.text


async def test_wrong_password_and_missing_csrf_keep_the_form(api, db, zhang):
    wrong = await login(api, "zhangsan", "not-the-password")
    assert wrong.status_code == 401 and "密码不正确" in wrong.text and "set-cookie" not in {
        k.lower() for k in wrong.headers if "ce_session" in wrong.headers.get(k, "")}
    forged = await api.post("/login", data={"username": "zhangsan", "password": PASSWORD, "csrf": "x"})
    assert forged.status_code == 403 and "页面已过期" in forged.text
    assert (await api.get("/", follow_redirects=False)).headers.get("location") == "/login"


async def test_login_attempts_are_rate_limited(api, db, zhang):
    statuses = [(await login(api, "zhangsan", f"wrong-{i}")).status_code for i in range(12)]
    assert statuses[0] == 401 and statuses[-1] == 429
    throttled = (await login(api, "zhangsan")).text
    assert "次数过多" in throttled and re.search(r"请 \d+ 分钟后再试", throttled)


async def test_the_sign_in_form_remembers_the_device(api, db, zhang):
    """Signed in through the form, the browser keeps a known-device cookie: guesses elsewhere cannot lock it out."""
    answer = await login(api, "zhangsan")
    assert answer.status_code in (200, 303)
    assert api.cookies.get("ce_device")


async def test_pages_need_a_session_and_the_right_role(api, db, zhang):
    for path in ("/", "/years/2024", "/records/new", "/review", "/admin"):
        answer = await api.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].split("?")[0] == "/login", path
    await login(api, "zhangsan")
    assert (await api.get("/review")).status_code == 403
    assert "没有权限" in (await api.get("/admin")).text


async def test_another_persons_record_is_not_found(api, db, zhang):
    other = await person(db, national_id(2), name="李四")
    theirs = await record(db, other, THIS_YEAR - 1, "public", 10)
    await login(api, "zhangsan")
    page = await api.get(f"/records/{theirs}")
    assert page.status_code == 404 and "李四" not in page.text and "没有找到" in page.text
    assert (await api.get("/records/not-a-uuid")).status_code in (404, 422)


async def test_writes_need_the_csrf_token_of_the_page(api, db, zhang):
    await login(api, "zhangsan")
    created = await api.post("/api/v1/me/records", json={
        "year": THIS_YEAR, "category": "public", "hours": 3, "course_title": "公需课", "completed_on": f"{THIS_YEAR}-01-05",
        "provider": "基地"}, headers={"X-CSRF-Token": page_csrf((await api.get("/")).text)})
    assert created.status_code == 201
    rid = created.json()["id"]
    refused = await api.post(f"/records/{rid}/submit", headers={"HX-Request": "true"})
    assert refused.status_code == 403
    token = page_csrf((await api.get(f"/records/{rid}")).text)
    done = await api.post(f"/records/{rid}/submit", headers={"HX-Request": "true", "X-CSRF-Token": token})
    assert done.status_code == 200 and done.headers["hx-redirect"] == f"/records/{rid}"
    assert "待单位审核" in (await api.get(f"/records/{rid}")).text


async def test_reviewer_queue_detail_and_decisions(api, db, zhang):
    await user(db, "unitboss", "unit_reviewer", unit_code=UNIT)
    rid = await record(db, zhang, THIS_YEAR, "professional", 8, history=[("draft", date(THIS_YEAR, 1, 2)),
                                                                          ("submitted", date(THIS_YEAR, 1, 3))])
    await db.execute("update records set route = '{unit,hr}', step = 0, submitted_at = now()")
    signed = await login(api, "unitboss")
    assert signed.headers["location"] == "/review"
    queue = await api.get("/review")
    assert rid in queue.text and "共 1 条" in queue.text
    detail = await api.get(f"/review/records/{rid}")
    assert "张三" in detail.text and "通过" in detail.text
    token = page_csrf(detail.text)
    empty = await api.post(f"/review/records/{rid}/return", data={"reason": " "},
                           headers={"HX-Request": "true", "X-CSRF-Token": token})
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "reason"
    many = await api.post("/review/approve-many", data={"record_id": [rid]},
                          headers={"HX-Request": "true", "X-CSRF-Token": token})
    assert many.status_code == 200 and "已通过 1 条" in many.text
    assert await db.fetchval("select status from records") == "unit_approved"
    assert "没有待审核的记录" in (await api.get("/review")).text


async def test_admin_sees_pulls_and_imports(api, db):
    await user(db, "root", "admin")
    signed = await login(api, "root")
    assert signed.headers["location"] == "/admin"
    page = await api.get("/admin")
    assert page.status_code == 200 and "尚未配置培训平台" in page.text and "还没有导入任务" in page.text

    await add_platform(db, "gz-platform", "https://platform.example.cn", "secret-token", "520000", 600)
    csv = (await api.get("/api/v1/imports/templates/records.csv")).content
    queued = await api.post("/api/v1/imports", files={"file": ("历史学时.csv", csv, "text/csv")}, data={"kind": "records"},
                            headers={"X-CSRF-Token": page_csrf(page.text)})
    assert queued.status_code == 202, queued.text
    page = await api.get("/admin")
    assert "gz-platform" in page.text and "从未" in page.text and "secret-token" not in page.text
    assert "历史学时.csv" in page.text and "排队中" in page.text
    assert 'hx-trigger="every 5s"' in page.text   # refreshes itself while an import waits or runs
    fragment = await api.get("/admin", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<div id="jobs"')


async def test_pwa_files(api):
    manifest = (await api.get("/manifest.webmanifest")).json()
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    assert {i["sizes"] for i in manifest["icons"]} == {"192x192", "512x512"}
    for icon in manifest["icons"]:
        assert (await api.get(icon["src"])).headers["content-type"] == "image/png"
    worker = await api.get("/sw.js")
    assert worker.status_code == 200 and "ce-shell-" in worker.text and worker.headers["cache-control"] == "no-cache"
    assert "网络未连接" in (await api.get("/offline")).text
    assert (await api.get("/static/vendor/htmx.min.js")).status_code == 200
    # Only the static assets are served as files: not the templates, not the worker's source beside them.
    assert (await api.get("/static/templates/base.html")).status_code == 404
    assert (await api.get("/static/sw.js")).status_code == 404


async def test_first_load_of_the_home_is_under_100_kb_compressed(api, db, zhang):
    await login(api, "zhangsan")
    home = await api.get("/", headers={"Accept-Encoding": "gzip"})
    urls = re.findall(r'(?:src|href)="(/static/[^"]+|/manifest.webmanifest)"', home.text)
    assert "/static/vendor/htmx.min.js" in urls and "/static/app.js" in urls and "/static/app.css" in urls
    # The service worker and what it stores when it installs are fetched on the first visit too.
    worker = (await api.get("/sw.js")).text
    shell = re.findall(r'"(/[^"]*)"', worker[worker.index("SHELL_FILES"):worker.index("];", worker.index("SHELL_FILES"))])
    assert "/offline" in shell and "/static/icons/icon-512.png" in shell
    urls += ["/sw.js", *shell]
    total = home.num_bytes_downloaded
    for url in set(urls):
        asset = await api.get(url, headers={"Accept-Encoding": "gzip"})
        assert asset.status_code == 200, url
        total += asset.num_bytes_downloaded
    print(f"first load of the home: {total} bytes transferred")
    assert total < 100_000, total
