"""The professional's home over HTTP: what needs action first, each year against its rule in plain words, the help
page, years without a period refused, and a record logged twice kept, said and flagged (issue 15)."""

from __future__ import annotations

import html
import json
import re
import uuid
from datetime import date

import pytest

from tests.builders import UNIT, national_id, person, record, sign_in, user, web_sign_in

THIS_YEAR = date.today().year
LAST_YEAR = THIS_YEAR - 1


def visible(page: str) -> str:
    """The words a person sees: the page without its tags (and so without attributes) and scripts."""
    page = re.sub(r"<script.*?</script>", "", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.fixture
async def zhao(db) -> int:
    """A professional at a grassroots unit in Kaili since 2015 (Guizhou: 45 hours a year from 2021 on)."""
    pid = await person(db, national_id(31), name="赵敏", periods=[(2015, "intermediate", "grassroots", "522601", UNIT)])
    await user(db, "zhaomin", "professional", person_id=pid)
    return pid


async def _returned(db, pid: int, year: int, title: str, reason: str) -> str:
    rid = await record(db, pid, year, "professional", 6, history=[("draft", _at(year)), ("returned", _at(year))])
    await db.execute("update records set course_title = $2, status_reason = $3 where id = $1", uuid.UUID(rid), title,
                     reason)
    return rid


async def _draft(db, pid: int, year: int, title: str) -> str:
    rid = await record(db, pid, year, "public", 3, history=[("draft", _at(year))])
    await db.execute("update records set course_title = $2 where id = $1", uuid.UUID(rid), title)
    return rid


def _at(year: int):
    from datetime import datetime, timezone
    return datetime(year, 5, 1, tzinfo=timezone.utc)


async def test_the_home_starts_with_returned_records_and_drafts_of_any_year(api, db, zhao):
    """Returned records (with the reason and a link to fix them) and drafts come before the year cards, from every
    year, also one older than the six years the cards show."""
    old = await _returned(db, zhao, THIS_YEAR - 8, "旧年度的课程", "证书照片看不清，请重新上传")
    returned = await _returned(db, zhao, LAST_YEAR, "建筑节能<b>新技术</b>", "学时与证书不符")
    draft = await _draft(db, zhao, LAST_YEAR, "职业道德与诚信建设")
    await record(db, zhao, LAST_YEAR, "public", 10)
    await web_sign_in(api, "zhaomin")
    page = (await api.get("/")).text

    assert 'id="returned"' in page and 'id="drafts"' in page
    first_card = page.index('class="card year"')
    assert page.index('id="returned"') < page.index('id="drafts"') < page.index('id="outbox"') < first_card
    returned_part = page[page.index('id="returned"'):page.index('id="drafts"')]
    assert f'href="/records/{returned}/edit"' in returned_part and f'href="/records/{old}/edit"' in returned_part
    assert "学时与证书不符" in returned_part and "证书照片看不清" in returned_part
    # A title is text, never markup: escaped, also inside the title attribute that carries it in full.
    assert "<b>新技术</b>" not in page and 'title="建筑节能&lt;b&gt;新技术&lt;/b&gt;"' in returned_part
    drafts_part = page[page.index('id="drafts"'):first_card]
    assert f'href="/records/{draft}"' in drafts_part and "职业道德与诚信建设" in drafts_part
    assert "被退回的记录" in visible(page) and "未提交的草稿" in visible(page)


async def test_the_home_lists_at_most_five_of_each_and_says_how_many_more(api, db, zhao):
    for i in range(7):
        await _draft(db, zhao, LAST_YEAR, f"草稿课程{i}")
    await web_sign_in(api, "zhaomin")
    page = (await api.get("/")).text
    drafts_part = page[page.index('id="drafts"'):page.index('class="card year"')]
    assert drafts_part.count('class="row"') == 5 and "另有 2 条" in drafts_part
    assert "returned" not in re.findall(r'id="(\w+)"', page)  # nothing returned: no empty section


async def test_a_year_card_shows_public_and_professional_hours_the_rule_in_words_and_its_basis(api, db, zhao):
    await record(db, zhao, LAST_YEAR, "public", 20)
    await record(db, zhao, LAST_YEAR, "professional", 12)
    await web_sign_in(api, "zhaomin")
    page = (await api.get("/")).text
    card = page[page.index(f'data-year="{LAST_YEAR}"'):]
    card = card[:card.index("</a>")]
    words = " ".join(visible(card).split())
    # Public hours are shown beside the professional ones, each against what the rule asks.
    assert "公需科目 20 学时" in words and "专业科目 12 / 30 学时" in words and "合计 32 / 45 学时" in words
    # The rule in plain words with its document, and what it was worked out for: the grassroots unit's 45 hours.
    assert "每年不少于 45 学时，其中专业科目不少于 30 学时" in words
    assert "依据：黔东南州/凯里市人社局 2023年职称工作通知 四(三)" in words
    assert "贵州省黔东南苗族侗族自治州凯里市 · 中级 · 基层单位" in words
    # No code anywhere a person reads it (the attribute data-rule keeps it for machines).
    assert "GZ-2021-ON" not in visible(page) and 'data-rule="GZ-2021-ON"' in card
    # The shipped rules give no registration deadline: none is shown, none invented.
    assert "截止" not in words
    # Not the health series: no word about 学分.
    assert "学分" not in visible(page)


async def test_the_national_rule_names_its_order(api, db):
    pid = await person(db, national_id(32, region="110101"), name="钱进",
                       periods=[(2015, "senior_associate", "standard", "110101", UNIT)])
    await user(db, "qianjin", "professional", person_id=pid)
    await web_sign_in(api, "qianjin")
    words = " ".join(visible((await api.get("/")).text).split())
    assert "每年不少于 90 学时，其中专业科目不少于 60 学时（依据：专业技术人员继续教育规定（人社部令第25号）第八条）" in words
    assert "北京市东城区 · 副高级" in words and "CN-2016-ON" not in words


async def test_health_series_people_are_told_their_credits_are_recorded_as_hours(api, db):
    pid = await person(db, national_id(33), name="孙护士", series="health",
                       periods=[(2015, "junior", "standard", "522601", UNIT)])
    await user(db, "sunhushi", "professional", person_id=pid)
    await web_sign_in(api, "sunhushi")
    page = (await api.get("/")).text
    assert 'id="health-credits"' in page
    note = visible(page[page.index('id="health-credits"'):])
    # No ratio is invented: the provincial rules decide, and the unit is who to ask.
    assert "学分" in note and "按学时登记" in note and "以本省规定为准" in note and "1 学分计" not in note


async def test_the_help_page_is_public_chinese_and_made_from_the_rules(api, db):
    answer = await api.get("/help")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    words = " ".join(visible(answer.text).split())
    # Every rule set in force, each rule by region and years, in words, with its source.
    assert "贵州省 · 2021 年起" in words and "贵州省 · 2019 年及以前" in words and "湖北省 · 2016 年起" in words
    assert "正高级、副高级、中级每年不少于 72 学时；初级每年不少于 32 学时" in words
    assert "基层单位和民营经济组织每年不少于 45 学时" in words
    assert "专业科目不少于要求总学时的三分之二" in words and "公需科目学习测试合格计 30 学时" in words
    assert "人社部令第25号" in words and "凯里市人社局" in words
    assert "认可在以下地区取得的学时：湖北省、上海市" in words
    # Adding the app to the home screen: WeChat, Safari, the phone makers' browsers, Chrome.
    for step in ("在浏览器打开", "添加到主屏幕", "Safari", "华为浏览器", "小米浏览器", "vivo / OPPO 浏览器", "添加到桌面"):
        assert step in words, step
    assert not re.search(r"\b(GZ|HB|CN)-\d{4}", words)
    assert "Not found" not in answer.text


async def test_every_page_links_to_help(api, db, zhao):
    assert 'href="/help"' in (await api.get("/login")).text
    await web_sign_in(api, "zhaomin")
    assert 'href="/help"' in (await api.get("/")).text
    signed_in_help = await api.get("/help")
    assert signed_in_help.status_code == 200 and "退出登录" in signed_in_help.text


async def test_a_year_before_the_first_period_or_in_the_future_is_refused_naming_the_field(api, db, zhao):
    headers = await sign_in(api, "zhaomin")
    body = {"category": "public", "hours": 3, "course_title": "公需课", "provider": "基地"}
    early = await api.post("/api/v1/me/records", json={**body, "year": 2005, "completed_on": "2005-06-01"},
                           headers=headers)
    assert early.status_code == 422, early.text
    [error] = early.json()["errors"]
    assert error["field"] == "year" and "2015" in error["message"] and "registration starts" in error["message"]
    assert error["code"] == "before_first_period" and error["params"] == {"first_year": 2015}
    future = await api.post("/api/v1/me/records", json={**body, "year": THIS_YEAR + 1,
                                                        "completed_on": f"{THIS_YEAR + 1}-01-02"}, headers=headers)
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "year"
    assert await db.fetchval("select count(*) from records") == 0

    first = await api.post("/api/v1/me/records", json={**body, "year": 2015, "completed_on": "2015-03-01"},
                           headers=headers)
    assert first.status_code == 201, first.text
    moved = await api.patch(f"/api/v1/me/records/{first.json()['id']}", json={"year": 2014, "completed_on": "2014-03-01"},
                            headers=headers)
    assert moved.status_code == 422 and moved.json()["errors"][0]["field"] == "year"
    assert await db.fetchval("select year from records") == 2015


async def test_a_person_without_any_period_cannot_log_hours(api, db):
    pid = await db.fetchval("insert into persons (national_id, name, series) values ($1, '周无', 'engineering')"
                            " returning id", national_id(34))
    await user(db, "zhouwu", "professional", person_id=pid)
    headers = await sign_in(api, "zhouwu")
    answer = await api.post("/api/v1/me/records", json={
        "year": LAST_YEAR, "category": "public", "hours": 3, "course_title": "公需课", "completed_on": f"{LAST_YEAR}-03-01",
        "provider": "基地"}, headers=headers)
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "year"


async def test_the_form_offers_no_date_before_the_first_period_and_says_why_in_chinese(api, db, zhao):
    await web_sign_in(api, "zhaomin")
    form = (await api.get("/records/new")).text
    assert re.search(r'id="completed_on"[^>]* min="2015-01-01"', form)
    script = json.loads(re.search(r'<script type="application/json" id="texts">(.*?)</script>', form).group(1))
    headers = await sign_in(api, "zhaomin")
    refused = await api.post("/api/v1/me/records", json={
        "year": 2014, "category": "public", "hours": 3, "course_title": "公需课", "completed_on": "2014-03-01",
        "provider": "基地"}, headers=headers)
    [error] = refused.json()["errors"]
    said = script["codes"][error["code"]].format(**error["params"])
    assert said.startswith("不能早于 2015 年") and "2015 年开始" in said


async def test_a_record_logged_twice_is_kept_warned_about_and_flagged_for_reviewers(api, db, zhao):
    await user(db, "hr-guizhou", "hr_reviewer", region_prefix="52")
    headers = await sign_in(api, "zhaomin")
    body = {"year": LAST_YEAR, "category": "professional", "hours": 8, "course_title": "BIM 技术应用",
            "completed_on": f"{LAST_YEAR}-06-18", "provider": "贵州省建设培训中心"}
    first = await api.post("/api/v1/me/records", json=body, headers=headers)
    assert first.status_code == 201 and first.json()["warnings"] == []
    # Back after saving, saved again: a new form instance, a new client_key. Kept, but said.
    again = await api.post("/api/v1/me/records", json={**body, "course_title": "BIM技术应用 ",
                                                        "client_key": str(uuid.uuid4())}, headers=headers)
    assert again.status_code == 201, again.text
    [warning] = again.json()["warnings"]
    assert warning["code"] == "duplicate" and warning["record_ids"] == [first.json()["id"]]
    assert await db.fetchval("select count(*) from records") == 2
    # Another course on the same day with the same hours is no duplicate.
    other = await api.post("/api/v1/me/records", json={**body, "course_title": "装配式建筑"}, headers=headers)
    assert other.json()["warnings"] == []
    # Reviewers hear of the pair once both are sent for review (a draft is its owner's alone).
    assert await db.fetchval("select count(*) from duplicate_flags") == 0
    for record_id in (first.json()["id"], again.json()["id"]):
        assert (await api.post(f"/api/v1/me/records/{record_id}/submit", headers=headers)).status_code == 200

    await web_sign_in(api, "zhaomin")
    page = (await api.get(f"/records/{again.json()['id']}")).text
    assert 'id="duplicate-warning"' in page and f'href="/records/{first.json()["id"]}"' in page
    assert "这条记录已保存" in visible(page)
    assert 'id="duplicate-warning"' not in (await api.get(f"/records/{other.json()['id']}")).text

    await api.post("/logout", headers={"X-CSRF-Token": ""})
    api.cookies.clear()
    reviewer = await sign_in(api, "hr-guizhou")
    flags = (await api.get("/api/v1/review/duplicates", headers=reviewer)).json()
    assert flags["total"] == 1
    [flag] = flags["items"]
    assert flag["own"]["id"] == again.json()["id"] and flag["official"]["id"] == first.json()["id"]
    assert "本人登记了两条" in flag["reason"]


async def test_a_withdrawn_copy_is_no_duplicate(api, db, zhao):
    headers = await sign_in(api, "zhaomin")
    body = {"year": LAST_YEAR, "category": "public", "hours": 2, "course_title": "法治讲座",
            "completed_on": f"{LAST_YEAR}-02-02", "provider": "基地"}
    first = (await api.post("/api/v1/me/records", json=body, headers=headers)).json()
    await api.post(f"/api/v1/me/records/{first['id']}/submit", headers=headers)
    await api.post(f"/api/v1/me/records/{first['id']}/withdraw", headers=headers)
    again = await api.post("/api/v1/me/records", json=body, headers=headers)
    assert again.status_code == 201 and again.json()["warnings"] == []
    assert await db.fetchval("select count(*) from duplicate_flags") == 0


async def test_lists_shorten_long_titles_and_keep_them_whole_in_the_title_attribute(api, db, zhao):
    long_title = "建筑工程施工质量验收统一标准与" * 13
    await _draft(db, zhao, LAST_YEAR, long_title[:200])
    await web_sign_in(api, "zhaomin")
    for path in ("/", f"/years/{LAST_YEAR}"):
        page = (await api.get(path)).text
        assert re.search(r'<span class="title clamp" title="' + re.escape(long_title[:200]) + '">', page), path
