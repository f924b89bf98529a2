"""GET /api/v1/compliance/{id} and POST …/batch, to the contract; receipts verify offline."""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime, timedelta, timezone

import pytest

from ce_service.compliance.receipts import unb64url, verify
from tests.builders import UNIT, api_client, national_id, person, record

NID = national_id(123)
MASKED = NID[:4] + "*" * 10 + NID[-4:]
UTC = timezone.utc
YEAR_FIELDS = {"year", "status", "rule", "level", "workplace", "required_hours", "required_professional_hours",
               "registered", "pending", "shortfall"}


@pytest.fixture
async def review(db) -> dict[str, str]:
    """Headers of a review_system client."""
    return {"Authorization": "Bearer " + await api_client(db, "review_system")}


@pytest.fixture
async def zhang(db) -> int:
    """张三 of Kaili: junior from 2015, intermediate and grassroots from 2019 (the contract's example)."""
    return await person(db, NID, periods=[(2015, "junior", "standard", "522601", UNIT),
                                          (2019, "intermediate", "grassroots", "522601", UNIT)])


async def test_answer_matches_the_contract(api, db, review, zhang):
    await record(db, zhang, 2019, "public", 30)
    await record(db, zhang, 2019, "professional", 50)
    await record(db, zhang, 2023, "professional", 20, history=[("submitted", datetime(2023, 6, 1, tzinfo=UTC))])
    response = await api.get(f"/api/v1/compliance/{NID}", params={"from_year": 2019, "to_year": 2023}, headers=review)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["person"] == {"national_id": MASKED, "name": "张三", "series": "engineering"}
    assert (body["from_year"], body["to_year"], body["compliant"]) == (2019, 2023, False)
    assert body["as_of"].endswith("Z")
    years = {y["year"]: y for y in body["years"]}
    assert set(years) == {2019, 2020, 2021, 2022, 2023}
    assert YEAR_FIELDS <= set(years[2019])
    assert {k: years[2019][k] for k in YEAR_FIELDS} == {
        "year": 2019, "status": "met", "rule": "GZ-2019-AND-EARLIER", "level": "intermediate", "workplace": "grassroots",
        "required_hours": 72, "required_professional_hours": 0,
        "registered": {"public": 30, "professional": 50, "total": 80},
        "pending": {"public": 0, "professional": 0, "total": 0}, "shortfall": {"total": 0, "professional": 0}}
    assert years[2020]["status"] == "short" and years[2020]["rule"] == "GZ-2020" and years[2020]["required_hours"] == 60
    assert years[2023]["rule"] == "GZ-2021-ON" and years[2023]["required_hours"] == 45
    assert years[2023]["required_professional_hours"] == 30
    assert years[2023]["pending"] == {"public": 0, "professional": 20, "total": 20}
    assert years[2023]["shortfall"] == {"total": 45, "professional": 30}
    assert "receipt" in body and body["receipt"]["alg"] == "Ed25519"


async def test_compliant_when_every_year_met_or_exempt(api, db, review, zhang):
    for year in (2021, 2022):
        await record(db, zhang, year, "public", 15)
        await record(db, zhang, year, "professional", 30)
    await db.execute("insert into exemptions (person_id, from_year, to_year, reason, note, created_by, created_at)"
                     " values ($1, 2023, 2023, 'green_channel', '省级人才', 'test', '2023-01-02')", zhang)
    body = (await api.get(f"/api/v1/compliance/{NID}", params={"from_year": 2021, "to_year": 2023}, headers=review)).json()
    assert [y["status"] for y in body["years"]] == ["met", "met", "exempt"]
    assert body["years"][2]["exemption"] == {"reason": "green_channel", "note": "省级人才"}
    assert body["compliant"] is True


async def test_as_of_sees_the_registry_as_it_stood(api, db, review, zhang):
    t = lambda s: datetime.fromisoformat(s)  # noqa: E731
    await record(db, zhang, 2022, "professional", 40, history=[
        ("submitted", t("2022-05-01T00:00:00+08:00")), ("unit_approved", t("2022-06-01T00:00:00+08:00")),
        ("registered", t("2023-08-11T09:00:00+08:00"))])
    await record(db, zhang, 2022, "public", 10, history=[
        ("registered", t("2022-12-01T00:00:00+08:00")), ("revoked", t("2023-09-01T00:00:00+08:00"))])
    await db.execute("insert into exemptions (person_id, from_year, to_year, reason, note, created_by, created_at)"
                     " values ($1, 2021, 2021, 'green_channel', '', 'test', '2023-12-01T00:00:00+08:00')", zhang)

    async def ask(as_of: str | None) -> dict:
        params = {"from_year": 2021, "to_year": 2022} | ({"as_of": as_of} if as_of else {})
        response = await api.get(f"/api/v1/compliance/{NID}", params=params, headers=review)
        assert response.status_code == 200, response.text
        return response.json()

    deadline = await ask("2023-08-10T23:59:59+08:00")
    assert deadline["as_of"] == "2023-08-10T15:59:59Z"
    y2021, y2022 = deadline["years"]
    assert y2021["status"] == "short"  # the exemption came later
    assert y2022["registered"] == {"public": 10, "professional": 0, "total": 10}
    assert y2022["pending"] == {"public": 0, "professional": 40, "total": 40}

    later = await ask("2023-08-20T00:00:00+08:00")
    assert later["years"][1]["registered"] == {"public": 10, "professional": 40, "total": 50}

    now = await ask(None)
    assert now["years"][0]["status"] == "exempt"
    assert now["years"][1]["registered"] == {"public": 0, "professional": 40, "total": 40}


async def test_unrecognised_region_is_reported_not_counted(api, db, review):
    hubei = national_id(44, region="420106")
    pid = await person(db, hubei, periods=[(2018, "intermediate", "standard", "420106", UNIT)])
    await record(db, pid, 2023, "public", 30, region_earned="520000")
    await record(db, pid, 2023, "professional", 60, region_earned="110000")
    body = (await api.get(f"/api/v1/compliance/{hubei}", params={"from_year": 2023, "to_year": 2023}, headers=review)).json()
    year = body["years"][0]
    assert (year["status"], year["rule"], year["required_hours"]) == ("short", "HB-2016-ON", 90)
    assert year["registered"] == {"public": 30, "professional": 0, "total": 30}
    [not_counted] = year["not_counted"]
    assert not_counted["reason"] == "not_recognised" and "does not recognise" in not_counted["detail"]
    assert not_counted["professional"] == 60


async def test_no_rule_never_counts_as_met(api, db, review):
    beijing = national_id(45, region="110105")
    await person(db, beijing, periods=[(2010, "intermediate", "standard", "110105", UNIT)])
    body = (await api.get(f"/api/v1/compliance/{beijing}", params={"from_year": 2014, "to_year": 2015},
                          headers=review)).json()
    # The national floor begins in 2016; before it no rule covers Beijing.
    assert [y["status"] for y in body["years"]] == ["no_rule", "no_rule"] and body["compliant"] is False


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from_year": 2023, "to_year": 2019}, "from_year"),
        ({"from_year": 2010, "to_year": 2020}, "to_year"),
        ({"from_year": 2020, "to_year": date.today().year + 1}, "to_year"),
        ({"from_year": 2020, "to_year": 2021, "as_of": "yesterday"}, "as_of"),
        ({"from_year": 2020, "to_year": 2021, "as_of": "2023-08-10T23:59:59"}, "as_of"),
        ({"from_year": 2020, "to_year": 2021, "as_of": (datetime.now(UTC) + timedelta(days=2)).isoformat()}, "as_of"),
        ({"from_year": "abc", "to_year": 2021}, "from_year"),
        ({"to_year": 2021}, "from_year"),
    ],
)
async def test_bad_questions_are_422(api, review, zhang, params, field):
    response = await api.get(f"/api/v1/compliance/{NID}", params=params, headers=review)
    assert response.status_code == 422, response.text
    assert any(e["field"] == field for e in response.json()["errors"]), response.json()


async def test_bad_id_422_unknown_404(api, review):
    bad = NID[:-1] + ("0" if NID[-1] != "0" else "1")
    response = await api.get(f"/api/v1/compliance/{bad}", params={"from_year": 2020, "to_year": 2021}, headers=review)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "national_id"
    response = await api.get(f"/api/v1/compliance/{NID}", params={"from_year": 2020, "to_year": 2021}, headers=review)
    assert response.status_code == 404


@pytest.mark.parametrize("kind", ["provider", "hr_system"])
async def test_only_review_systems(api, db, zhang, kind):
    token = await api_client(db, kind)
    params = {"from_year": 2020, "to_year": 2021}
    assert (await api.get(f"/api/v1/compliance/{NID}", params=params,
                          headers={"Authorization": f"Bearer {token}"})).status_code == 403
    assert (await api.get(f"/api/v1/compliance/{NID}", params=params)).status_code == 401


async def test_batch_answers_in_order_with_errors(api, db, review, zhang):
    other = national_id(7)
    await person(db, other, name="李四")
    bad = NID[:-1] + ("0" if NID[-1] != "0" else "1")
    unknown = national_id(8)
    body = {"national_ids": [other, bad, NID, unknown, NID], "from_year": 2021, "to_year": 2023}
    response = await api.post("/api/v1/compliance/batch", json=body, headers=review)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r.get("person", {}).get("name") for r in results] == ["李四", None, "张三", None, "张三"]
    assert results[1]["national_id"] == bad[:4] + "*" * 10 + bad[-4:] and results[1]["error"]["status"] == 422
    assert results[3]["error"]["status"] == 404 and results[3]["error"]["type"].endswith("not-found")
    assert all("receipt" in r for r in results if "person" in r)


async def test_batch_limits(api, review):
    ids = [national_id(i) for i in range(1001)]
    response = await api.post("/api/v1/compliance/batch", json={"national_ids": ids, "from_year": 2021, "to_year": 2022},
                              headers=review)
    assert response.status_code == 413
    response = await api.post("/api/v1/compliance/batch", json={"national_ids": [], "from_year": 2021, "to_year": 2022},
                              headers=review)
    assert response.status_code == 422
    response = await api.post("/api/v1/compliance/batch", json={"national_ids": [NID], "from_year": 2023, "to_year": 2021},
                              headers=review)
    assert response.status_code == 422


async def test_receipt_verifies_offline_and_detects_tampering(api, db, review, zhang):
    await record(db, zhang, 2022, "public", 30)
    answer = (await api.get(f"/api/v1/compliance/{NID}", params={"from_year": 2021, "to_year": 2022}, headers=review)).json()
    keys = (await api.get("/api/v1/compliance/keys")).json()["keys"]
    public = {k["kid"]: unb64url(k["public_key"]) for k in keys}
    assert verify(answer, public)
    # What a review system would do with nothing but the standard library for the encoding.
    body = {k: v for k, v in answer.items() if k != "receipt"}
    assert json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    tampered = json.loads(json.dumps(answer))
    tampered["years"][1]["registered"]["public"] = 90
    assert not verify(tampered, public)
    assert not verify({**answer, "receipt": {**answer["receipt"], "kid": "unknown"}}, public)


async def test_canonical_encoding_is_what_json_dumps_gives(api, db, review, zhang):
    from ce_service.compliance.receipts import canonical

    await record(db, zhang, 2022, "public", 12.5)
    answer = (await api.get(f"/api/v1/compliance/{NID}", params={"from_year": 2021, "to_year": 2022}, headers=review)).json()
    body = {k: v for k, v in answer.items() if k != "receipt"}
    assert canonical(body) == json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


async def test_batch_uses_a_bounded_number_of_queries(db, zhang, servers, settings):
    from ce_service.auth.models import ApiClient
    from ce_service.compliance.receipts import load_signer
    from ce_service.compliance.service import answer_many

    EVERYWHERE = ApiClient(1, "review", "review_system", [])
    from ce_service.rules.store import rule_book

    ids = [NID] + [national_id(1000 + i) for i in range(999)]
    for nid in ids[1:300]:
        await person(db, nid)
    book = await rule_book(db)
    signer = load_signer(settings.signing_key_file)
    await answer_many(db, EVERYWHERE, book, signer, ids[:2], 2019, 2023, None)  # asyncpg introspects new types once per connection
    queries: list[str] = []
    db.add_query_logger(lambda q: queries.append(q.query))
    results = await answer_many(db, EVERYWHERE, book, signer, ids, 2019, 2023, None)
    for _ in range(20):   # query loggers are called soon after the query, on a later turn of the loop: give it turns
        await asyncio.sleep(0)
    assert len(results) == 1000 and sum(1 for r in results if hasattr(r, "person")) == 300
    assert len(queries) == 1


async def test_the_shipped_verification_script(api, db, review, zhang, tmp_path):
    import subprocess
    import sys

    from ce_service.settings import ROOT

    await record(db, zhang, 2022, "professional", 60)
    answer = (await api.get(f"/api/v1/compliance/{NID}", params={"from_year": 2022, "to_year": 2022}, headers=review)).json()
    keys = (await api.get("/api/v1/compliance/keys")).json()
    (tmp_path / "answer.json").write_text(json.dumps(answer, ensure_ascii=False, indent=2), encoding="utf-8")
    (tmp_path / "keys.json").write_text(json.dumps(keys), encoding="utf-8")
    script = str(ROOT / "deploy" / "verify_receipt.py")
    ok = subprocess.run([sys.executable, script, str(tmp_path / "answer.json"), str(tmp_path / "keys.json")],
                        capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout.startswith("valid"), ok.stdout + ok.stderr
    answer["years"][0]["status"] = "met"
    answer["compliant"] = not answer["compliant"]
    (tmp_path / "answer.json").write_text(json.dumps(answer, ensure_ascii=False), encoding="utf-8")
    bad = subprocess.run([sys.executable, script, str(tmp_path / "answer.json"), str(tmp_path / "keys.json")],
                         capture_output=True, text=True)
    assert bad.returncode == 1 and bad.stdout.startswith("invalid")


async def test_an_unencoded_plus_in_as_of_is_understood(api, review, zhang):
    from urllib.parse import quote

    # A review system that pastes the contract's URL sends a raw '+', which query parsing reads as a space.
    raw = f"/api/v1/compliance/{NID}?from_year=2021&to_year=2022&as_of=2023-08-10T23:59:59+08:00"
    response = await api.get(raw, headers=review)
    assert response.status_code == 200, response.text
    assert response.json()["as_of"] == "2023-08-10T15:59:59Z"
    encoded = await api.get(f"/api/v1/compliance/{NID}?from_year=2021&to_year=2022&as_of="
                            + quote("2023-08-10T23:59:59+08:00"), headers=review)
    assert encoded.json()["as_of"] == "2023-08-10T15:59:59Z"
    assert response.headers["cache-control"] == "no-store"


async def test_review_system_limited_to_regions(api, db, zhang):
    from ce_service.auth.secrets import new_token, token_hash

    token = new_token()
    await db.execute("insert into api_clients (name, kind, token_hash, token_hint, regions) values"
                     " ('湖北评审', 'review_system', $1, 'x', '{42}')", token_hash(token))
    headers = {"Authorization": f"Bearer {token}"}
    response = await api.get(f"/api/v1/compliance/{NID}", params={"from_year": 2021, "to_year": 2022}, headers=headers)
    assert response.status_code == 404
    batch = await api.post("/api/v1/compliance/batch", json={"national_ids": [NID], "from_year": 2021, "to_year": 2022},
                           headers=headers)
    assert batch.json()["results"][0]["error"]["status"] == 404


async def test_401_carries_a_bearer_challenge(api):
    response = await api.get(f"/api/v1/compliance/{NID}", params={"from_year": 2021, "to_year": 2022})
    assert response.status_code == 401 and response.headers["www-authenticate"].startswith("Bearer")


async def test_an_answer_names_itself_its_asker_and_its_person(api, db, review, zhang):
    """Contract: "Each answer carries a unique answer_id, and its signed receipt binds it to the full ID number
    (a salted digest a verifier holding the ID number can recompute) and to the asking client"."""
    import base64
    import hashlib

    params = {"from_year": 2022, "to_year": 2022}
    one = (await api.get(f"/api/v1/compliance/{NID}", params=params, headers=review)).json()
    two = (await api.get(f"/api/v1/compliance/{NID}", params=params, headers=review)).json()
    assert one["answer_id"] != two["answer_id"] and one["salt"] != two["salt"]
    assert one["subject_digest"] != two["subject_digest"]   # the same person is not linkable across answers
    client_id = await db.fetchval("select id from api_clients where kind = 'review_system'")
    assert one["client_id"] == client_id
    salt = base64.urlsafe_b64decode(one["salt"] + "==")
    digest = base64.urlsafe_b64encode(hashlib.sha256(salt + NID.encode()).digest()).rstrip(b"=").decode()
    assert one["subject_digest"] == digest
    namesake = national_id(124)
    other = base64.urlsafe_b64encode(hashlib.sha256(salt + namesake.encode()).digest()).rstrip(b"=").decode()
    assert one["subject_digest"] != other


async def test_the_verification_script_checks_the_person_and_refuses_junk(api, db, review, zhang, tmp_path):
    import subprocess
    import sys

    from ce_service.settings import ROOT

    answer = (await api.get(f"/api/v1/compliance/{NID}", params={"from_year": 2022, "to_year": 2022},
                            headers=review)).json()
    keys = (await api.get("/api/v1/compliance/keys")).json()
    (tmp_path / "keys.json").write_text(json.dumps(keys), encoding="utf-8")
    script = str(ROOT / "deploy" / "verify_receipt.py")

    def check(text: str, *extra: str) -> subprocess.CompletedProcess:
        (tmp_path / "a.json").write_text(text, encoding="utf-8")
        return subprocess.run([sys.executable, script, str(tmp_path / "a.json"), str(tmp_path / "keys.json"), *extra],
                              capture_output=True, text=True)

    good = json.dumps(answer, ensure_ascii=False)
    done = check(good, "--national-id", NID)
    assert done.returncode == 0 and "about this ID number" in done.stdout, done.stdout + done.stderr
    done = check(good, "--national-id", national_id(124))
    assert done.returncode == 1 and "another person" in done.stdout
    # A second "compliant" key after the signed one: refused, not read last-key-wins.
    done = check(good[:-1] + ', "compliant": true}')
    assert done.returncode == 1 and "duplicate keys" in done.stdout
    # Junk characters in the signature are refused, not skipped.
    junk = {**answer, "receipt": {**answer["receipt"], "signature": answer["receipt"]["signature"][:10] + "!*"
                                  + answer["receipt"]["signature"][10:]}}
    done = check(json.dumps(junk))
    assert done.returncode == 1 and "base64url" in done.stdout
    unpinned = {**answer, "receipt": {**answer["receipt"], "kid": "0123456789abcdef"}}
    done = check(json.dumps(unpinned))
    assert done.returncode == 1 and "not among the pinned keys" in done.stdout
