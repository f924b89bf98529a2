"""What a red team found in the new pages and forms, kept found: NUL bytes in form fields are 4xx (never 500), a
file name with control characters still downloads, and a person's drafts stay theirs alone."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.builders import UNIT, national_id, person, sign_in, user, web_sign_in

YEAR = date.today().year - 1
HX = {"HX-Request": "true"}


@pytest.fixture
async def people(db) -> int:
    zhang = await person(db, national_id(1), name="张三丰")
    await user(db, "zhangsan", "professional", person_id=zhang)
    await user(db, "unitboss", "unit_reviewer", unit_code=UNIT)
    await user(db, "hrboss", "hr_reviewer", region_prefix="52")
    await user(db, "admin1", "admin")
    return zhang


async def test_a_nul_in_the_sign_in_form_is_a_wrong_guess_not_a_500(api, people):
    for username, password in (("zhangsan\x00", "x"), ("\x00" * 18, "x"), ("zhangsan", "a\x00b")):
        form = await api.get("/login")
        token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
        answer = await api.post("/login", data={"username": username, "password": password, "csrf": token},
                                follow_redirects=False)
        assert answer.status_code == 401 and "不正确" in answer.text, (repr(username), answer.status_code)


async def own_record(api, headers, title: str) -> str:
    body = {"year": YEAR, "category": "professional", "hours": 8, "course_title": title,
            "completed_on": f"{YEAR}-03-01", "provider": "某培训机构"}
    created = await api.post("/api/v1/me/records", json=body, headers=headers)
    assert created.status_code in (200, 201), created.text
    return created.json()["id"]


async def test_nul_in_a_reviewers_reason_is_named_not_a_500(api, db, people):
    headers = await sign_in(api, "zhangsan")
    first, second = await own_record(api, headers, "BIM 技术"), await own_record(api, headers, "BIM 技术")
    for rid in (first, second):
        assert (await api.post(f"/api/v1/me/records/{rid}/submit", headers=headers)).status_code == 200
    api.cookies.clear()
    token = await web_sign_in(api, "unitboss")
    refused = await api.post(f"/review/records/{first}/return", data={"reason": "a\x00b"},
                             headers={**HX, "X-CSRF-Token": token})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "reason"
    assert refused.json()["errors"][0]["code"] == "nul_character"
    api.cookies.clear()
    token = await web_sign_in(api, "hrboss")
    flag = await db.fetchval("select id from duplicate_flags")
    assert flag is not None      # both submitted: the pair is for the region's reviewers to check
    refused = await api.post(f"/review/duplicates/{flag}/close", data={"reason": "a\x00b"},
                             headers={**HX, "X-CSRF-Token": token})
    assert refused.status_code == 422 and refused.json()["errors"][0]["code"] == "nul_character"


async def test_drafts_are_never_shown_to_reviewers_nor_flagged(api, db, people):
    """A draft is its owner's until sent: two equal drafts warn the owner, but no reviewer sees them."""
    headers = await sign_in(api, "zhangsan")
    first = await own_record(api, headers, "私人草稿课程")
    again = await api.post("/api/v1/me/records", json={
        "year": YEAR, "category": "professional", "hours": 8, "course_title": "私人草稿课程",
        "completed_on": f"{YEAR}-03-01", "provider": "某培训机构"}, headers=headers)
    assert [w["code"] for w in again.json()["warnings"]] == ["duplicate"]     # the owner is told
    assert await db.fetchval("select count(*) from duplicate_flags") == 0    # nobody else
    api.cookies.clear()
    for reviewer in ("unitboss", "hrboss"):
        await web_sign_in(api, reviewer)
        assert (await api.get(f"/review/records/{first}")).status_code == 404
        headers = await sign_in(api, reviewer)
        assert (await api.get(f"/api/v1/review/records/{first}", headers=headers)).status_code == 404
        api.cookies.clear()


async def test_duplicates_pages_are_for_departments_only(api, people):
    token = await web_sign_in(api, "unitboss")
    assert (await api.get("/review/duplicates", follow_redirects=False)).status_code == 403
    refused = await api.post("/review/duplicates/1/close", data={"reason": ""}, headers={**HX, "X-CSRF-Token": token})
    assert refused.status_code == 403      # refused for the role before the form is read


async def test_pull_now_with_a_nul_in_the_name_is_not_found(api, people):
    token = await web_sign_in(api, "admin1")
    answer = await api.post("/admin/platforms/%00/pull", headers={**HX, "X-CSRF-Token": token})
    assert answer.status_code == 404


async def test_an_upload_named_with_control_characters_still_downloads(api, db, people):
    token = await web_sign_in(api, "admin1")
    template = (await api.get("/api/v1/imports/templates/records.csv")).content
    # Written by hand: an HTTP client would escape the control characters in the part's file name itself.
    body = (b'--b0\r\nContent-Disposition: form-data; name="kind"\r\n\r\nrecords\r\n'
            b'--b0\r\nContent-Disposition: form-data; name="import_file"; filename="a\x01\x1b\x7fb.csv"\r\n'
            b"Content-Type: text/csv\r\n\r\n" + template + b"\r\n--b0--\r\n")
    sent = await api.post("/admin/imports", content=body, headers={
        **HX, "X-CSRF-Token": token, "Content-Type": "multipart/form-data; boundary=b0"})
    assert sent.status_code == 200, sent.text
    name = await db.fetchval("select filename from imports order by created_at desc limit 1")
    assert name == "ab.csv"
    job = await db.fetchval("select id from imports order by created_at desc limit 1")
    report = await api.get(f"/api/v1/imports/{job}/report")
    disposition = report.headers.get("content-disposition", "")
    assert all(c.isprintable() for c in disposition), repr(disposition)
