"""Hostile bodies on every JSON write: deep nesting, huge numbers, invalid UTF-8, oversized bodies, and
SQL and HTML injection strings in every text field. Each gets a 4xx problem document or is stored as sent
(and shown escaped); never a 500, never half-written state."""

from __future__ import annotations

from datetime import date

import pytest

from tests.builders import UNIT, api_client, national_id, person, sign_in, user

NID = national_id(77)
YEAR = date.today().year - 1
RECORD = {"year": YEAR, "category": "professional", "hours": 4, "course_title": "课程", "completed_on": f"{YEAR}-05-20",
          "provider": "机构"}
PUSHED = {"external_id": "X-1", "national_id": NID, "name": "张三", **{k: v for k, v in RECORD.items() if k != "provider"}}
PERSON = {"name": "张三", "series": "engineering",
          "periods": [{"from_year": 2015, "level": "intermediate", "workplace": "standard", "region": "522601",
                       "unit": UNIT}]}
INJECTIONS = ["'; drop table records; --", "\" or 1=1 --", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
              "${7*7}{{7*7}}", "../../etc/passwd", "\u202eevil", "１２３全角", "🙂" * 50]


@pytest.fixture
async def callers(api, db) -> dict[str, dict[str, str]]:
    """Headers of each kind of caller; the professional's session is the client's cookie."""
    await person(db, NID, periods=[(2015, "intermediate", "standard", "522601", UNIT)])
    pid = await db.fetchval("select id from persons where national_id = $1", NID)
    await user(db, "pro", "professional", person_id=pid)
    tokens = {kind: {"Authorization": "Bearer " + await api_client(db, kind, kind)}
              for kind in ("provider", "hr_system", "review_system")}
    return {**tokens, "pro": await sign_in(api, "pro")}


# (caller, method, path, a valid body): every JSON write of the API.
WRITES = [
    ("hr_system", "PUT", f"/api/v1/persons/{NID}", PERSON),
    ("hr_system", "POST", f"/api/v1/persons/{NID}/exemptions",
     {"from_year": YEAR, "to_year": YEAR, "reason": "other", "note": "说明"}),
    ("hr_system", "POST", f"/api/v1/persons/{NID}/integrity",
     {"kind": "misconduct", "reason": "抄袭", "date": f"{YEAR}-05-20", "document": "", "bars_declaration": False}),
    ("hr_system", "POST", "/api/v1/hr/records", {"records": [PUSHED]}),
    ("provider", "POST", "/api/v1/provider/records", {"records": [PUSHED]}),
    ("review_system", "POST", "/api/v1/compliance/batch", {"national_ids": [NID], "from_year": YEAR, "to_year": YEAR}),
    ("pro", "POST", "/api/v1/me/records", RECORD),
]


def _nested(depth: int) -> bytes:
    return b'{"records": ' + b"[" * depth + b"]" * depth + b"}"


@pytest.mark.parametrize(("caller", "method", "path", "body"), WRITES, ids=[f"{m} {p}" for _, m, p, _ in WRITES])
async def test_malformed_bodies_are_4xx_problems_and_store_nothing(api, db, callers, caller, method, path, body):
    stored = ("select (select count(*) from records) + (select count(*) from exemptions) + (select count(*) from persons)"
              " + (select count(*) from integrity_entries)")
    before = await db.fetchval(stored)
    headers = {**callers[caller], "content-type": "application/json"}
    hostile = [
        _nested(100_000),                                   # deeper than any parser's stack
        b'{"records": [' + b'{"a":' * 5000 + b"1" + b"}" * 5000 + b"]}",
        b'{"hours": 1e400, "year": 99999999999999999999999999999}',
        b'{"name": "\xff\xfe"}',                            # not UTF-8
        b'{"name": "a\x00b"}',                              # a raw NUL byte
        b"",
        b"null",
        b"[]",
        b'"just a string"',
        b'{"name": ' + b'"' + b"x" * 3_000_000 + b'"}',     # larger than CE_MAX_BODY_BYTES
    ]
    for raw in hostile:
        answer = await api.request(method, path, content=raw, headers=headers)
        assert 400 <= answer.status_code < 500, (raw[:40], answer.status_code, answer.text[:200])
        assert answer.headers["content-type"].startswith("application/problem+json"), raw[:40]
        problem = answer.json()
        assert problem["status"] == answer.status_code and problem["detail"]
        assert "Traceback" not in answer.text
    assert await db.fetchval(stored) == before
    # The same caller with a valid body gets in: the refusals above were about the bodies, not the door.
    valid = await api.request(method, path, json=body, headers=callers[caller])
    assert 200 <= valid.status_code < 300, (valid.status_code, valid.text[:200])


@pytest.mark.parametrize(("caller", "method", "path", "body"), WRITES, ids=[f"{m} {p}" for _, m, p, _ in WRITES])
async def test_huge_numbers_are_field_errors(api, callers, caller, method, path, body):
    target = body["records"][0] if "records" in body else body
    for field in [k for k, v in target.items() if isinstance(v, int | float) and not isinstance(v, bool)]:
        for huge in (10**400, 1e308, -(10**30)):
            changed = {**target, field: huge}
            sent = {**body, "records": [changed]} if "records" in body else changed
            answer = await api.request(method, path, json=sent, headers=callers[caller])
            if "records" in body and answer.status_code == 200:    # batch: the record is rejected, not the batch
                result = answer.json()["results"][0]
                assert result["status"] == "rejected" and result["errors"][0]["field"] == field, result
            else:
                assert answer.status_code in (400, 413, 422), (field, huge, answer.status_code, answer.text[:200])
                assert answer.headers["content-type"].startswith("application/problem+json")


async def test_injection_strings_in_every_text_field_are_stored_as_sent_and_shown_escaped(api, db, callers):
    text_fields = ["course_title", "provider", "course_code"]
    for i, attack in enumerate(INJECTIONS):
        record = {**RECORD, "course_title": attack[:200], "provider": attack[:200], "course_code": attack[:64]}
        answer = await api.post("/api/v1/me/records", json=record, headers=callers["pro"])
        assert answer.status_code in (201, 422), (attack, answer.status_code, answer.text[:200])
        if answer.status_code == 201:
            stored = await db.fetchrow("select course_title, provider, course_code from records where id = $1",
                                       answer.json()["id"])
            assert [stored[f] for f in text_fields] == [record[f] for f in text_fields]
        pushed = {**PUSHED, "external_id": f"INJ-{i}", "course_title": attack[:200], "name": "张三",
                  "course_code": attack[:64]}
        batch = await api.post("/api/v1/provider/records", json={"records": [pushed]}, headers=callers["provider"])
        assert batch.status_code == 200 and batch.json()["results"][0]["status"] in ("accepted", "rejected")
    assert await db.fetchval("select count(*) from records where course_title = $1", INJECTIONS[0]) >= 1
    # The tables are all still there, and the pages escape what was stored.
    assert await db.fetchval("select count(*) from information_schema.tables where table_name = 'records'") == 1
    page = await api.get(f"/years/{YEAR}")
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<img src=x" not in page.text


async def test_injection_in_path_and_query_parameters_is_a_clean_answer(api, callers):
    for attack in ["1' or '1'='1", "%27%3B%20drop%20table%20persons", "<script>", "5" * 5000]:
        # Identifiers and numbers: refused with a 4xx.
        refused = [
            await api.get(f"/api/v1/compliance/{attack}?from_year=2021&to_year=2022", headers=callers["review_system"]),
            await api.get(f"/api/v1/me/records/{attack}", headers=callers["pro"]),
            await api.get(f"/api/v1/me/records?year={attack}", headers=callers["pro"]),
            await api.get(f"/api/v1/provider/records?limit={attack}", headers=callers["provider"]),
        ]
        for answer in refused:
            assert 400 <= answer.status_code < 500, (attack[:30], answer.request.url, answer.status_code)
            assert "<script>" not in answer.text
        # Free text (an external_id to page after): just a string to compare with, never SQL.
        page = await api.get("/api/v1/provider/records", params={"after": attack}, headers=callers["provider"])
        assert page.status_code == 200 and page.json()["items"] == []
