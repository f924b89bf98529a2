"""Sign-in and the administrator's page over HTTP (issue 15): tries left and the wait read from the real counters, a
way out for a forgotten password, no developer links, coming back to `next`, and the administrator's page in
Chinese with uploads, templates and pulling now."""

from __future__ import annotations

import csv
import dataclasses
import html
import io
import re
from datetime import date

import httpx
import pytest
import respx
from arq.jobs import Job, JobStatus
from litestar.testing import AsyncTestClient
from openpyxl import Workbook, load_workbook
from redis.asyncio import Redis

from ce_service.app import create_app
from ce_service.auth.limits import (
    LOGIN_FAILURES_PER_ACCOUNT,
    LOGIN_FAILURES_PER_NAME,
    LOGIN_WINDOW_SECONDS,
)
from ce_service.auth.service import WrongPassword, sign_in
from ce_service.db import create_pool
from ce_service.imports.tables import COLUMNS
from ce_service.jobs import import_job_id, pull_job_id
from ce_service.platforms.fetch import RetryPolicy
from ce_service.platforms.service import add_platform, platform_status, pull
from ce_service.settings import DEFAULT_HELP_CONTACT, SettingsError, load_settings
from ce_service.web.session import safe_next
from tests.builders import PASSWORD, UNIT, national_id, person, user
from tests.conftest import settings_env
from tests.platforms.fake import BASE, TOKEN, FakePlatform, result

SECRET = "test-secret-key-0123456789abcdef"   # the `settings` fixture's CE_SECRET_KEY
YEAR = date.today().year - 1


def form_token(text: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', text).group(1)


def page_csrf(text: str) -> str:
    return re.search(r'"X-CSRF-Token": "([^"]+)"', text).group(1)


def alert(text: str) -> str:
    """The error the sign-in form shows."""
    found = re.search(r'<p class="error" role="alert"[^>]*>(.*?)</p>', text, re.S)
    return html.unescape(found.group(1)) if found else ""


async def attempt(api, username: str, password: str, next_path: str | None = None) -> httpx.Response:
    """One sign-in through the form, as a browser sends it (with `next` when the form carries one)."""
    form = await api.get("/login" + (f"?next={next_path}" if next_path else ""))
    data = {"username": username, "password": password, "csrf": form_token(form.text)}
    carried = re.search(r'name="next" value="([^"]*)"', form.text)
    if carried:
        data["next"] = html.unescape(carried.group(1))
    return await api.post("/login", data=data, follow_redirects=False)


@pytest.fixture
async def redis(servers):
    client = Redis.from_url(servers.redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def zhang(db) -> int:
    pid = await person(db, national_id(1), name="张三", periods=[(2015, "intermediate", "standard", "522601", UNIT)])
    await user(db, "zhangsan", "professional", person_id=pid)
    return pid


@pytest.fixture
async def root(db) -> str:
    await user(db, "root", "admin")
    return "root"


async def sign_in_page(api, username: str) -> str:
    """Sign in through the form and return the page CSRF token of the landing page."""
    signed = await attempt(api, username, PASSWORD)
    assert signed.status_code == 303, alert(signed.text)
    return page_csrf((await api.get(signed.headers["location"])).text)


# ---- 1. tries left, and the wait ----

async def test_a_failed_sign_in_says_how_many_tries_are_left(api, zhang):
    first = await attempt(api, "zhangsan", "wrong-1")
    assert first.status_code == 401
    assert alert(first.text) == f"身份证号（用户名）或密码不正确，还可尝试 {LOGIN_FAILURES_PER_NAME - 1} 次。"
    second = await attempt(api, "zhangsan", "wrong-2")
    assert f"还可尝试 {LOGIN_FAILURES_PER_NAME - 2} 次" in alert(second.text)
    # The same for a name nobody has: the answer tells nobody whether an account exists.
    unknown = await attempt(api, "nobody-here", "wrong-1")
    assert alert(unknown.text) == f"身份证号（用户名）或密码不正确，还可尝试 {LOGIN_FAILURES_PER_NAME - 1} 次。"


async def test_the_tries_left_count_guesses_at_the_account_from_elsewhere(api, db, redis, zhang):
    # 25 wrong guesses from 25 other addresses: this browser (new to the account) has 30 - 25 - 1 = 4 left, not 9.
    others = 25
    for i in range(others):
        with pytest.raises(WrongPassword):
            await sign_in(db, redis, "zhangsan", f"guess-{i}", f"203.0.113.{i + 1}", 8, secret_key=SECRET)
    answer = await attempt(api, "zhangsan", "wrong")
    assert f"还可尝试 {LOGIN_FAILURES_PER_ACCOUNT - others - 1} 次" in alert(answer.text)


async def test_the_last_try_and_the_lockout_say_how_many_minutes_to_wait(api, redis, zhang):
    for i in range(LOGIN_FAILURES_PER_NAME - 1):
        await attempt(api, "zhangsan", f"wrong-{i}")
    last = await attempt(api, "zhangsan", "wrong-last")
    window = LOGIN_WINDOW_SECONDS // 60
    assert alert(last.text) == f"身份证号（用户名）或密码不正确。失败次数已达上限，请 {window} 分钟后再试。"
    # The wait is what is left of the window in Redis: 400 s left is 7 minutes (rounded up), not a fixed 15.
    for key in await redis.keys("ce:login-failures:*"):
        await redis.expire(key, 400)
    locked = await attempt(api, "zhangsan", PASSWORD)   # even the right password waits
    assert locked.status_code == 429
    assert alert(locked.text) == "登录失败次数过多，请 7 分钟后再试。"


async def test_an_account_paused_by_guesses_from_many_addresses_says_so(api, db, redis, zhang):
    for i in range(LOGIN_FAILURES_PER_ACCOUNT):
        with pytest.raises(WrongPassword):
            await sign_in(db, redis, "zhangsan", f"guess-{i}", f"203.0.113.{i + 1}", 8, secret_key=SECRET)
    paused = await attempt(api, "zhangsan", PASSWORD)
    assert paused.status_code == 429
    words = alert(paused.text)
    assert "暂停从新设备登录" in words and re.search(r"请 (\d+) 分钟后再试", words)
    assert int(re.search(r"请 (\d+) 分钟后再试", words).group(1)) == LOGIN_WINDOW_SECONDS // 60


async def test_the_json_sign_in_gains_attempts_left_and_keeps_its_shape(api, zhang):
    async def post(password: str) -> httpx.Response:
        return await api.post("/api/v1/auth/login", json={"username": "zhangsan", "password": password})

    wrong = await post("wrong-0")
    body = wrong.json()
    assert wrong.status_code == 401 and wrong.headers["content-type"].startswith("application/problem+json")
    assert {"type", "title", "status", "detail"} <= set(body) and body["type"] == "urn:ce-service:problem:unauthorized"
    assert body["attempts_left"] == LOGIN_FAILURES_PER_NAME - 1 and "retry_after" not in body
    for i in range(1, LOGIN_FAILURES_PER_NAME - 1):
        await post(f"wrong-{i}")
    last = (await post("wrong-last")).json()
    assert last["attempts_left"] == 0 and 0 < last["retry_after"] <= LOGIN_WINDOW_SECONDS
    refused = await post(PASSWORD)
    assert refused.status_code == 429
    body = refused.json()
    assert body["type"] == "urn:ce-service:problem:too-many-requests" and body["attempts_left"] == 0
    assert body["retry_after"] == int(refused.headers["retry-after"]) and "分钟后再试" in body["detail"]


# ---- 2. a way out; 3. no developer links ----

async def test_the_sign_in_page_has_a_way_out_and_no_developer_links(api):
    page = (await api.get("/login")).text
    assert "忘记密码？" in page and DEFAULT_HELP_CONTACT in page
    assert "/schema" not in page and "OpenAPI" not in page and "接口文档" not in page
    assert (await api.get("/schema/openapi.json")).status_code == 200   # still there for machines


async def test_the_contact_is_configured_and_escaped(servers, service_database_url, settings):
    contact = '<script>alert(1)</script>请致电 0855-8221234（人社局继续教育科）& 周一至周五'
    app = create_app(dataclasses.replace(settings, help_contact=contact), service_database_url, servers.redis_url)
    async with AsyncTestClient(app=app, base_url="https://testserver.local") as client:
        page = (await client.get("/login")).text
    assert "<script>alert(1)</script>" not in page
    assert html.escape(contact, quote=False) in page or html.escape(contact) in page


def test_help_contact_setting(servers):
    env = settings_env(servers.data_dir)
    assert load_settings(env).help_contact == DEFAULT_HELP_CONTACT
    assert load_settings({**env, "CE_HELP_CONTACT": "  请致电 0851-12345  "}).help_contact == "请致电 0851-12345"
    for bad in ("x" * 501, "第一行\n第二行", "响铃\x07"):
        with pytest.raises(SettingsError, match="CE_HELP_CONTACT"):
            load_settings({**env, "CE_HELP_CONTACT": bad})


# ---- 4. back to `next` ----

@pytest.mark.parametrize("hostile", [
    "//evil.example/x", "/\\evil.example/x", "/\\/evil.example", "https://evil.example/", "javascript:alert(1)",
    "evil.example/x", "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example",
    "/ /x", "/\x00x", "/登录", "\\\\evil.example", " /review", "/login", "/login?next=/admin", "/" + "a" * 2001, "",
])
def test_hostile_next_paths_are_refused(hostile):
    assert safe_next(hostile) is None


def test_same_site_next_paths_are_kept():
    for path in ("/", "/review", "/review/records/0b8f?x=1&y=2", "/records/new#form", "/%0a/evil.example"):
        assert safe_next(path) == path
    # "%0a" stays encoded in the Location header: a path segment on this site, never a new line or a host.


@pytest.mark.parametrize("hostile", ["//evil.example/x", "/\\evil.example", "https://evil.example/",
                                     "/%09/evil.example".replace("%09", "\t"), "javascript:alert(1)"])
async def test_sign_in_with_a_hostile_next_goes_home(api, root, hostile):
    form = await api.get("/login", params={"next": hostile})
    assert 'name="next"' not in form.text
    # A forged form carrying it anyway is not followed either.
    signed = await api.post("/login", data={"username": "root", "password": PASSWORD, "csrf": form_token(form.text),
                                            "next": hostile}, follow_redirects=False)
    assert signed.status_code == 303 and signed.headers["location"] == "/admin"


async def test_sign_in_returns_to_next_and_a_lapsed_page_asks_for_it(api, db, zhang):
    away = await api.get(f"/years/{YEAR}", follow_redirects=False)
    assert away.status_code == 303 and away.headers["location"] == f"/login?next=%2Fyears%2F{YEAR}"
    form = await api.get(away.headers["location"])
    assert f'name="next" value="/years/{YEAR}"' in form.text
    wrong = await attempt(api, "zhangsan", "wrong", next_path=f"/years/{YEAR}")
    assert f'name="next" value="/years/{YEAR}"' in wrong.text   # kept across a failed try
    back = await attempt(api, "zhangsan", PASSWORD, next_path="/records/new?from=outbox")
    assert back.status_code == 303 and back.headers["location"] == "/records/new?from=outbox"
    # htmx requests of a lapsed session are sent to sign in and back to the page they came from.
    await api.post("/logout", headers={"HX-Request": "true", "X-CSRF-Token": page_csrf((await api.get("/")).text)})
    lapsed = await api.get("/", headers={"HX-Request": "true", "HX-Current-URL": f"https://testserver.local/years/{YEAR}"})
    assert lapsed.status_code == 401 and lapsed.headers["hx-redirect"] == f"/login?next=%2Fyears%2F{YEAR}"


# ---- 5. the administrator's page in Chinese ----

def visible(page: str) -> str:
    """The page's text a person reads: without the technical details, tags, scripts and attributes."""
    page = re.sub(r'<details class="tech">.*?</details>', "", page, flags=re.S)
    page = re.sub(r"<script.*?</script>", "", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


async def no_sleep(seconds: float) -> None:
    """The backoff between tries, not waited for."""


@pytest.fixture
async def pool(database_url):
    pool = await create_pool(database_url, 1, 4)
    yield pool
    await pool.close()


async def test_the_admin_page_names_platforms_regions_and_errors_in_chinese(api, db, pool, root):
    await add_platform(db, "gzjxjy", BASE, TOKEN, "520000", 3600, display_name="贵州省专业技术人员继续教育平台")
    await add_platform(db, "qdn", "https://qdn.example.gov.cn", TOKEN, "522601", 600)
    # A real failed pull: the platform cannot be reached; a refused token on the other.
    with respx.mock(assert_all_called=False) as mock:
        mock.get(f"{BASE}/api/v1/results").mock(side_effect=httpx.ConnectError("refused"))
        mock.get("https://qdn.example.gov.cn/api/v1/results").mock(return_value=httpx.Response(401, text="bad token"))
        policy = RetryPolicy(attempts=6)
        assert (await pull(pool, "gzjxjy", max_hours=200, policy=policy, sleep=no_sleep)).error
        assert (await pull(pool, "qdn", max_hours=200, policy=policy, sleep=no_sleep)).error
    status = await platform_status(db, "gzjxjy")
    assert (status.last_error, status.last_error_kind, status.last_error_tries) == (
        "connection failed: ConnectError (6 tries)", "connection", 6)
    await sign_in_page(api, root)
    page = (await api.get("/admin")).text
    seen = visible(page)
    assert "贵州省专业技术人员继续教育平台" in seen and "贵州省黔东南苗族侗族自治州凯里市继续教育平台" in seen
    assert "无法连接平台服务器（已重试 6 次）" in seen and "平台拒绝了访问令牌" in seen
    assert "已拉取到" in seen and "尚未拉取" in seen
    for internal in ("gzjxjy", "qdn", "520000", "522601", "游标", "connection failed", "ConnectError", "tries",
                     "HTTP", "bad token"):
        assert internal not in seen, internal
    # Nothing else in English either: the only Latin letters a person reads name the file formats.
    assert set(re.findall(r"[A-Za-z]{2,}", seen)) <= {"Excel", "CSV", "xlsx", "csv", "MB"}
    # The raw words stay for whoever needs them, under 技术细节.
    details = re.findall(r'<details class="tech">(.*?)</details>', page, re.S)
    assert len(details) == 2 and "技术细节" in details[0] and "connection failed: ConnectError (6 tries)" in page


async def test_set_aside_reasons_are_said_in_chinese(api, db, pool, root):
    await add_platform(db, "gz", BASE, TOKEN, "520000", 3600)
    await person(db, national_id(1), name="人员1")
    fake = FakePlatform([result(1), result(2, passed=False), result(3, national_id="522601198001011230")])
    with respx.mock(assert_all_called=False) as mock:
        mock.get(f"{BASE}/api/v1/results").mock(side_effect=fake)
        await pull(pool, "gz", max_hours=200)
    await sign_in_page(api, root)
    seen = visible((await api.get("/admin")).text)
    assert "考试未通过：1" in seen and "身份证号有误：1" in seen and "not passed" not in seen
    assert re.search(r"已拉取到\s+最新（\d{4}-\d\d-\d\d \d\d:\d\d）", seen)


# ---- 6. pull now, uploads and templates ----

async def test_pull_now_queues_the_pull_job_once(api, db, redis, root):
    await add_platform(db, "gzjxjy", BASE, TOKEN, "520000", 3600, display_name="贵州省专业技术人员继续教育平台")
    token = await sign_in_page(api, root)
    page = (await api.get("/admin")).text
    assert 'hx-post="/admin/platforms/gzjxjy/pull"' in page and "立即拉取" in page
    refused = await api.post("/admin/platforms/gzjxjy/pull", headers={"HX-Request": "true"})
    assert refused.status_code == 403
    assert await Job(pull_job_id("gzjxjy"), redis).status() == JobStatus.not_found
    queued = await api.post("/admin/platforms/gzjxjy/pull", headers={"HX-Request": "true", "X-CSRF-Token": token})
    assert queued.status_code == 200
    assert "已安排立即拉取「贵州省专业技术人员继续教育平台」" in queued.text
    assert await Job(pull_job_id("gzjxjy"), redis).status() == JobStatus.queued
    # The jobs part comes back refreshing itself (the pull is on its way), its button disabled meanwhile.
    assert 'hx-trigger="every 5s"' in queued.text and "正在拉取" in queued.text
    again = await api.post("/admin/platforms/gzjxjy/pull", headers={"HX-Request": "true", "X-CSRF-Token": token})
    assert "已在排队或正在进行" in again.text
    missing = await api.post("/admin/platforms/nope/pull", headers={"HX-Request": "true", "X-CSRF-Token": token})
    assert missing.status_code == 404


async def test_pull_now_and_upload_are_for_administrators_only(api, db, zhang):
    await add_platform(db, "gzjxjy", BASE, TOKEN, "520000", 3600)
    await user(db, "unitboss", "unit_reviewer", unit_code=UNIT)
    token = await sign_in_page(api, "unitboss")
    for path in ("/admin/platforms/gzjxjy/pull", "/admin/imports"):
        answer = await api.post(path, headers={"HX-Request": "true", "X-CSRF-Token": token})
        assert answer.status_code == 403, path
    assert await db.fetchval("select count(*) from imports") == 0


def filled_template(fmt: str) -> bytes:
    """The records template with one row of the demo's kind, in the importer's own columns."""
    columns = COLUMNS["records"]
    row = {c.key: c.example for c in columns} | {"national_id": national_id(1), "year": str(YEAR),
                                                   "completed_on": f"{YEAR}-05-20"}
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([c.label for c in columns])
        writer.writerow([row[c.key] for c in columns])
        return out.getvalue().encode()
    book = Workbook()
    sheet = book.active
    sheet.append([c.label for c in columns])
    sheet.append([row[c.key] for c in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_templates_are_the_importers_own_columns(api, root):
    await sign_in_page(api, root)
    page = (await api.get("/admin")).text
    for kind in ("records", "people"):
        labels = [c.label for c in COLUMNS[kind]]
        for fmt in ("xlsx", "csv"):
            assert f'href="/api/v1/imports/templates/{kind}.{fmt}"' in page
            answer = await api.get(f"/api/v1/imports/templates/{kind}.{fmt}")
            assert answer.status_code == 200
            if fmt == "csv":
                header = next(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
            else:
                header = [c.value for c in next(load_workbook(io.BytesIO(answer.content)).active.iter_rows())]
            assert header == labels, (kind, fmt)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
async def test_an_administrator_uploads_an_import_from_the_page(api, db, redis, zhang, root, fmt):
    token = await sign_in_page(api, root)
    page = (await api.get("/admin")).text
    assert 'hx-post="/admin/imports"' in page and 'name="import_file"' in page
    sent = await api.post("/admin/imports", data={"kind": "records"},
                          files={"import_file": (f"历史学时.{fmt}", filled_template(fmt), "application/octet-stream")},
                          headers={"HX-Request": "true", "X-CSRF-Token": token})
    assert sent.status_code == 200, sent.text
    assert "已收到「历史学时." in sent.text and 'hx-swap-oob="true"' in sent.text and 'id="upload"' in sent.text
    row = await db.fetchrow("select id, kind, filename, status from imports")
    assert (row["kind"], row["filename"], row["status"]) == ("records", f"历史学时.{fmt}", "queued")
    assert await Job(import_job_id(str(row["id"])), redis).status() == JobStatus.queued
    # The page shows it with its progress and refreshes while it waits.
    page = (await api.get("/admin")).text
    assert f"历史学时.{fmt}" in page and "排队中" in page and 'hx-trigger="every 5s"' in page


async def test_a_bad_upload_is_refused_in_chinese_naming_the_field(servers, service_database_url, settings, db, root):
    app = create_app(dataclasses.replace(settings, max_import_bytes=4096), service_database_url, servers.redis_url)
    redis = Redis.from_url(servers.redis_url)
    await redis.flushdb()
    await redis.aclose()
    async with AsyncTestClient(app=app, base_url="https://testserver.local") as api:
        token = await sign_in_page(api, root)
        headers = {"HX-Request": "true", "X-CSRF-Token": token}
        cases = [
            ({}, 422, "请选择要导入的文件。"),
            ({"import_file": ("空.csv", b"", "text/csv")}, 422, "文件是空的"),
            ({"import_file": ("照片.xlsx", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "image/png")}, 422, "无法读取该文件"),
            ({"import_file": ("大.csv", b"a" * 5_000, "text/csv")}, 413, "不能超过 4 KB"),
        ]
        for files, status, words in cases:
            answer = await api.post("/admin/imports", data={"kind": "records"}, files=files or None, headers=headers)
            assert answer.status_code == status, (files, answer.text)
            problem = answer.json()
            assert problem["errors"][0]["field"] == "import_file" and words in problem["errors"][0]["message"]
        answer = await api.post("/admin/imports", data={"kind": "both"},
                                files={"import_file": ("a.csv", filled_template("csv"), "text/csv")}, headers=headers)
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "kind"
    assert await db.fetchval("select count(*) from imports") == 0


@pytest.mark.parametrize(("answer", "kind", "words"), [
    (httpx.Response(503), "server", "平台服务器出错（已重试 3 次）"),
    (httpx.Response(429), "busy", "平台繁忙，限制了访问频率（已重试 3 次）"),
    (httpx.Response(200, text="<html>proxy error</html>"), "malformed", "平台返回的数据无法识别（已重试 3 次）"),
    (httpx.ReadTimeout("slow"), "timeout", "平台长时间没有响应（已重试 3 次）"),
    (httpx.Response(404, text="no such path"), "refused", "平台拒绝了拉取请求"),
    (httpx.Response(403, text="expired"), "token", "平台拒绝了访问令牌"),
])
async def test_every_kind_of_pull_failure_is_said_in_chinese(api, db, pool, root, answer, kind, words):
    await add_platform(db, "gz", BASE, TOKEN, "520000", 3600)
    with respx.mock(assert_all_called=False) as mock:
        route = mock.get(f"{BASE}/api/v1/results")
        if isinstance(answer, Exception):
            route.mock(side_effect=answer)
        else:
            route.mock(return_value=answer)
        await pull(pool, "gz", max_hours=200, policy=RetryPolicy(attempts=3), sleep=no_sleep)
    assert (await platform_status(db, "gz")).last_error_kind == kind
    await sign_in_page(api, root)
    seen = visible((await api.get("/admin")).text)
    assert words in seen and "HTTP" not in seen and "tries" not in seen


async def test_errors_recorded_before_the_migration_get_their_kind(db):
    """The migration gives the errors stored before it the kind fetch.py now records, read from their words once."""
    from ce_service.settings import MIGRATIONS_DIR

    await add_platform(db, "gz", BASE, TOKEN, "520000", 3600)
    sql = (MIGRATIONS_DIR / "0014_platform_display_names_and_error_kinds.sql").read_text()
    backfill = sql[sql.index("update platforms set\n"):]
    for stored, kind, tries in [("connection failed: ConnectError (6 tries)", "connection", 6),
                                ("timed out (6 tries)", "timeout", 6), ("HTTP 503 (4 tries)", "server", 4),
                                ("HTTP 429 (6 tries)", "busy", 6), ("HTTP 401: bad token", "token", None),
                                ("HTTP 404: nope", "refused", None),
                                ("malformed JSON from the platform: x (6 tries)", "malformed", 6),
                                ("the page is larger than 16 MB; ask the platform for smaller pages", "too_large", None),
                                ("something new", "unknown", None)]:
        await db.execute("update platforms set last_error = $1, last_error_kind = null, last_error_tries = null",
                         stored)
        await db.execute(backfill)
        status = await platform_status(db, "gz")
        assert (status.last_error_kind, status.last_error_tries) == (kind, tries), stored


def test_the_display_name_is_set_from_the_command_line(database_url, monkeypatch, tmp_path, capsys):
    from ce_service.cli import main

    monkeypatch.setenv("CE_DATABASE_URL", database_url)
    monkeypatch.setenv("CE_REDIS_URL", "redis://127.0.0.1:1")   # not used by these commands
    monkeypatch.setenv("CE_DATA_DIR", str(tmp_path))
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    assert main(["platforms", "add", "gzjxjy", "--base-url", BASE, "--region", "520000", "--token-file",
                 str(token_file), "--display-name", "贵州省专业技术人员继续教育平台"]) == 0
    assert main(["platforms", "list"]) == 0
    assert "贵州省专业技术人员继续教育平台" in capsys.readouterr().out
    assert main(["platforms", "set", "gzjxjy", "--display-name", "贵州继续教育平台"]) == 0
    assert main(["platforms", "set", "gzjxjy", "--display-name", "x" * 101]) == 1
    assert "display_name" in capsys.readouterr().err
    assert main(["platforms", "list"]) == 0
    assert "贵州继续教育平台" in capsys.readouterr().out


async def test_a_failed_import_is_said_in_chinese_with_the_readers_words_under_details(api, db, redis, zhang, root):
    token = await sign_in_page(api, root)
    await api.post("/admin/imports", data={"kind": "records"},
                   files={"import_file": ("历史学时.xlsx", filled_template("xlsx"), "application/octet-stream")},
                   headers={"HX-Request": "true", "X-CSRF-Token": token})
    # As the import job records a file it could not read (ce_service/imports/service.py _run).
    await db.execute("update imports set status = 'failed', error = 'the file could not be read: BadZipFile'")
    page = (await api.get("/admin")).text
    seen = visible(page)
    assert "导入未能完成" in seen and "失败" in seen and "BadZipFile" not in seen and "could not" not in seen
    assert "the file could not be read: BadZipFile" in page     # kept for the operator, under 技术细节
