"""Field errors carry a code and its params beside the English message, and every code is said in Chinese."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from ce_service import clock
from ce_service import errors as errors_module
from ce_service.errors import FieldError
from ce_service.hours import half_hours_problem
from ce_service.say import GENERIC, say, say_field
from ce_service.web.texts import CODE_ZH, labels
from tests.builders import UNIT, api_client, national_id, person, sign_in, user

SOURCE = Path(__file__).resolve().parent.parent / "ce_service"
YEAR = date.today().year - 1
DRAFT = {"year": YEAR, "category": "professional", "hours": 8, "course_title": "工程质量安全管理",
         "completed_on": f"{YEAR}-04-02", "provider": "贵州省继续教育基地"}
CJK = re.compile(r"[\u4e00-\u9fff]")


def codes_in_source() -> dict[str, list[str]]:
    """Every code a field error is given in ce_service (code="…" in any call), with where it is used."""
    found: dict[str, list[str]] = {}
    for path in SOURCE.rglob("*.py"):
        for code in re.findall(r"""\bcode=["']([a-z_]+)["']""", path.read_text("utf-8")):
            found.setdefault(code, []).append(str(path.relative_to(SOURCE)))
    for _, code, _ in errors_module._SCHEMA_CODES:   # msgspec's and litestar's messages, by meaning
        found.setdefault(code, []).append("errors.py")
    for hours in (0, 1000, 1.25):
        found.setdefault(half_hours_problem(hours, 200)[1], []).append("hours.py")
    return found


def test_every_code_in_the_source_is_said_in_chinese():
    found = codes_in_source()
    assert len(found) > 40   # the scan sees the codes (a broken pattern would find none and prove nothing)
    assert sorted(set(found) - set(CODE_ZH)) == []
    for code, text in CODE_ZH.items():
        assert CJK.search(text), code
        # Placeholders are {name}, as the page script fills them.
        assert all(re.fullmatch(r"\w+", name) for name in re.findall(r"\{([^{}]*)\}", text)), code


def test_the_page_script_gets_the_codes():
    assert labels()["script_texts"]["codes"] is CODE_ZH


def test_say_fills_params_and_falls_back_to_the_message():
    assert say(FieldError("hours", "must be at most 24", code="too_large", params={"max": 24})) == "不能大于 24"
    assert say_field(FieldError("hours", "must be at most 24", code="too_large", params={"max": 24})) == "学时数：不能大于 24"
    # An error stored before codes existed (an old import row): said by the message, as the page script did.
    assert say({"field": "course_title", "message": "must not be blank"}) == "必须填写"
    assert say({"field": "x", "message": "something nobody translated"}) == GENERIC
    assert say({"field": "reason", "message": "请填写退回原因"}) == "请填写退回原因"   # page-only refusals are Chinese already
    assert "invalid" not in CODE_ZH   # no code: the page script falls back to MESSAGE_ZH, as say() does
    # A field with no words of its own is left out rather than shown in English.
    assert say_field({"field": "frobnicate", "message": "m", "code": "required"}) == "必须填写"
    assert say_field({"field": "periods[1].region", "message": "m", "code": "bad_region"}).startswith("第 2 段任职的所在地区代码：")


@pytest.fixture
async def pro(api, db) -> dict[str, str]:
    pid = await person(db, periods=[(2015, "intermediate", "standard", "522601", UNIT)])
    await user(db, "zhangsan", "professional", person_id=pid)
    return await sign_in(api, "zhangsan")


def by_field(problem: dict) -> dict[str, dict]:
    """The problem's errors by field; each has the English message, its code and params, and is said in Chinese."""
    found = {}
    for error in problem["errors"]:
        assert set(error) == {"field", "message", "code", "params"}, error
        assert error["code"] in CODE_ZH and "{" not in say(error), error
        found[error["field"]] = error
    return found


async def test_record_form_refusals_carry_codes(api, pro):
    today = clock.today()   # China's date, which the service judges by
    tomorrow = today + timedelta(days=1)
    answer = await api.post("/api/v1/me/records", headers=pro, json={
        **DRAFT, "year": tomorrow.year, "hours": 201, "course_title": "  ", "completed_on": tomorrow.isoformat()})
    assert answer.status_code == 422, answer.text
    errors = by_field(answer.json())
    assert errors["hours"] == {"field": "hours", "message": "must be at most 200", "code": "too_large",
                               "params": {"max": 200}}
    assert errors["completed_on"]["code"] == "in_future" and errors["completed_on"]["message"] == "must not be in the future"
    assert errors["course_title"] == {"field": "course_title", "message": "must not be blank", "code": "required",
                                      "params": {}}
    if tomorrow.year > today.year:   # on 31 December the year itself is the future one
        assert errors["year"]["code"] == "year_in_future"

    future_year = await api.post("/api/v1/me/records", headers=pro, json={**DRAFT, "year": today.year + 1,
                                                                          "completed_on": f"{today.year + 1}-01-02"})
    assert by_field(future_year.json())["year"] == {
        "field": "year", "message": f"must not be in the future (this year is {today.year})",
        "code": "year_in_future", "params": {"year": today.year}}

    wrong_year = await api.post("/api/v1/me/records", headers=pro, json={**DRAFT, "completed_on": f"{YEAR - 1}-04-02"})
    assert by_field(wrong_year.json())["completed_on"]["params"] == {"year": YEAR}
    assert say(by_field(wrong_year.json())["completed_on"]) == f"须在 {YEAR} 年内"

    half = await api.post("/api/v1/me/records", headers=pro, json={**DRAFT, "hours": 1.25})
    assert by_field(half.json())["hours"]["code"] == "not_half_hour_step"

    missing = {k: v for k, v in DRAFT.items() if k != "course_title"}
    answer = await api.post("/api/v1/me/records", headers=pro, json=missing)
    error = by_field(answer.json())["body"]
    assert (error["code"], error["params"]) == ("required", {"name": "course_title"})
    assert say_field(error) == "课程名称：必须填写"

    wrong_type = await api.post("/api/v1/me/records", headers=pro, json={**DRAFT, "hours": "八"})
    assert by_field(wrong_type.json())["hours"]["code"] == "wrong_type"

    no_file = await api.post("/api/v1/me/records", headers=pro, json={**DRAFT, "evidence_ref": "ab" * 32})
    assert by_field(no_file.json())["evidence_ref"]["code"] == "evidence_missing"


async def test_query_parameters_that_do_not_parse_carry_codes(api, pro):
    answer = await api.get("/api/v1/me/records?year=abc", headers=pro)
    assert answer.status_code == 422, answer.text
    assert by_field(answer.json())["year"]["code"] in ("wrong_type", "bad_value")
    answer = await api.get("/api/v1/me/records?limit=0", headers=pro)
    assert by_field(answer.json())["limit"]["code"] in ("out_of_range", "too_small")


async def test_an_evidence_file_too_large_names_the_limit_in_mb(api, pro, settings):
    big = b"\xff\xd8\xff" + b"\0" * settings.max_evidence_bytes
    answer = await api.post("/api/v1/me/evidence", files={"file": ("cert.jpg", big, "image/jpeg")}, headers=pro)
    assert answer.status_code == 413
    problem = answer.json()
    assert problem["detail"] == f"The file is {len(big)} bytes; at most {settings.max_evidence_bytes} are accepted."
    (error,) = problem["errors"]
    assert error["field"] == "evidence" and error["code"] == "file_too_large"
    assert error["params"]["max_mb"] == settings.max_evidence_bytes / (1 << 20) == 10
    assert say(error) == "文件太大，最大 10 MB"

    empty = await api.post("/api/v1/me/evidence", files={"file": ("cert.jpg", b"", "image/jpeg")}, headers=pro)
    assert by_field(empty.json())["evidence"]["code"] == "file_empty"
    text = await api.post("/api/v1/me/evidence", files={"file": ("cert.jpg", b"hello", "image/jpeg")}, headers=pro)
    assert by_field(text.json())["evidence"]["code"] == "file_type"


async def test_a_provider_push_with_a_bad_id_number_says_why_by_code(api, db):
    provider = {"Authorization": "Bearer " + await api_client(db, "provider", "贵州省继续教育基地")}
    good = national_id(321)
    await person(db, good)
    bad = good[:17] + ("0" if good[17] != "0" else "1")   # the check character is wrong
    record = {"external_id": "P-1", "national_id": bad, "name": "张三", "year": YEAR, "category": "professional",
              "hours": 12.5, "course_title": "建筑结构抗震设计新规范", "completed_on": f"{YEAR}-05-20"}
    others = [{**record, "external_id": "P-2", "national_id": good, "name": "李四"},
              {**record, "external_id": "P-3", "national_id": good, "name": "张三", "course_code": "C" * 65},
              {**record, "external_id": "P-4", "national_id": good, "name": "张三\x00"}]
    answer = await api.post("/api/v1/provider/records", json={"records": [record, *others]}, headers=provider)
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["status"] for r in results] == ["rejected"] * 4
    (error,) = results[0]["errors"]
    assert error["field"] == "national_id" and error["code"] == "bad_national_id"
    assert error["message"].startswith("check character should be")   # the English stays as it was
    assert say_field(error) == "身份证号：" + CODE_ZH["bad_national_id"]
    assert results[1]["errors"] == [{"field": "name", "message": "does not match the name registered for this ID number",
                                     "code": "name_mismatch", "params": {}}]
    assert results[2]["errors"][0]["code"] == "too_long" and results[2]["errors"][0]["params"] == {"max": 64}
    assert results[3]["errors"][0]["code"] == "nul_character"


async def test_an_hr_push_for_someone_unknown_or_outside_the_region(api, db):
    hr = {"Authorization": "Bearer " + await api_client(db, "hr_system", "人事信息系统")}
    answer = await api.post("/api/v1/hr/records", json={"records": []}, headers=hr)
    assert answer.status_code == 422 and by_field(answer.json())["records"]["code"] == "empty_list"
