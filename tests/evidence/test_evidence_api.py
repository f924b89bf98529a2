"""Certificate files: checked by content, stored once under their hash, served only to the owner and reviewers in scope."""

from __future__ import annotations

import hashlib
import io
import uuid
from datetime import date

import pytest
from PIL import Image

from tests.builders import UNIT, national_id, person, sign_in, user

OTHER_UNIT = "915200009876543210"
YEAR = date.today().year - 1
DRAFT = {"year": YEAR, "category": "professional", "hours": 8, "course_title": "工程质量安全管理",
         "completed_on": f"{YEAR}-04-02", "provider": "贵州省继续教育基地"}


def photo(width: int = 3000, height: int = 2000, color: str = "#c04030") -> bytes:
    """A JPEG as a phone camera makes it (large)."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
async def pro(api, db) -> dict[str, str]:
    pid = await person(db, periods=[(2015, "intermediate", "standard", "522601", UNIT)])
    await user(db, "zhangsan", "professional", person_id=pid)
    return await sign_in(api, "zhangsan")


async def upload(api, headers, content: bytes, name: str = "cert.jpg"):
    return await api.post("/api/v1/me/evidence", files={"file": (name, content, "application/octet-stream")},
                          headers=headers)


async def test_photo_is_stored_under_its_hash_and_scaled_for_display(api, db, pro, settings):
    content = photo()
    answer = await upload(api, pro, content)
    assert answer.status_code == 201, answer.text
    ref = answer.json()["evidence_ref"]
    assert ref == hashlib.sha256(content).hexdigest()
    stored = settings.evidence_dir / ref[:2] / ref[2:4] / ref
    assert stored.read_bytes() == content
    # The same file again is the same reference (stored once).
    assert (await upload(api, pro, content)).json()["evidence_ref"] == ref

    record = await api.post("/api/v1/me/records", json={**DRAFT, "evidence_ref": ref}, headers=pro)
    assert record.status_code == 201, record.text
    shown = await api.get(f"/api/v1/me/records/{record.json()['id']}/evidence")
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(shown.content)) as image:
        assert max(image.size) == 1280 and image.size == (1280, 853)
    assert "private" in shown.headers["cache-control"]
    assert shown.headers["content-security-policy"].startswith("sandbox")
    assert shown.headers["content-disposition"] == "inline"   # a photo is shown in the page


async def test_pdf_and_png_are_accepted_as_they_are(api, pro):
    pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
    ref = (await upload(api, pro, pdf, "cert.pdf")).json()["evidence_ref"]
    record = (await api.post("/api/v1/me/records", json={**DRAFT, "evidence_ref": ref}, headers=pro)).json()
    shown = await api.get(f"/api/v1/me/records/{record['id']}/evidence")
    assert shown.headers["content-type"] == "application/pdf" and shown.content == pdf
    # Someone's upload never runs as this site: sandboxed, and a PDF is downloaded, not opened here.
    assert shown.headers["content-security-policy"].startswith("sandbox")
    assert shown.headers["content-disposition"].startswith("attachment")
    png = io.BytesIO()
    Image.new("RGB", (10, 10)).save(png, "PNG")
    assert (await upload(api, pro, png.getvalue(), "x.png")).status_code == 201


@pytest.mark.parametrize(("content", "why"), [
    (b"GIF89a" + b"\0" * 100, "JPEG or PNG photo or a PDF"),
    (b"<html><script>alert(1)</script></html>", "JPEG or PNG photo or a PDF"),
    (b"", "empty"),
])
async def test_content_is_checked_not_the_name(api, pro, content, why):
    answer = await upload(api, pro, content, "cert.jpg")
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["errors"][0]["field"] == "evidence" and why in problem["errors"][0]["message"]


async def test_too_large_is_413(api, pro, settings):
    big = b"\xff\xd8\xff" + b"\0" * settings.max_evidence_bytes
    answer = await upload(api, pro, big)
    assert answer.status_code == 413 and "at most" in answer.json()["detail"]


async def test_upload_needs_a_file_field_and_a_professional(api, db, pro):
    answer = await api.post("/api/v1/me/evidence", data={"other": "x"}, headers=pro)
    assert answer.status_code in (400, 422) and answer.headers["content-type"].startswith("application/problem+json")
    no_csrf = await api.post("/api/v1/me/evidence", files={"file": ("a.jpg", photo(10, 10))})
    assert no_csrf.status_code == 403
    api.cookies.clear()
    anonymous = await api.post("/api/v1/me/evidence", files={"file": ("a.jpg", photo(10, 10))}, headers=pro)
    assert anonymous.status_code == 401


async def test_unknown_reference_is_refused_on_the_record(api, pro):
    answer = await api.post("/api/v1/me/records", json={**DRAFT, "evidence_ref": "0" * 64}, headers=pro)
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "evidence_ref"


async def test_only_the_owner_and_reviewers_in_scope_see_it(api, db, pro):
    ref = (await upload(api, pro, photo(50, 40, "#123456"))).json()["evidence_ref"]
    record = (await api.post("/api/v1/me/records", json={**DRAFT, "evidence_ref": ref}, headers=pro)).json()
    await api.post(f"/api/v1/me/records/{record['id']}/submit", headers=pro)
    await api.post("/api/v1/auth/logout", headers=pro)

    other = await person(db, national_id(7), name="李四", periods=[(2015, "intermediate", "standard", "522601", OTHER_UNIT)])
    await user(db, "lisi", "professional", person_id=other)
    lisi = await sign_in(api, "lisi")
    assert (await api.get(f"/api/v1/me/records/{record['id']}/evidence", headers=lisi)).status_code == 404
    await api.post("/api/v1/auth/logout", headers=lisi)

    await user(db, "outsider", "unit_reviewer", unit_code=OTHER_UNIT)
    await sign_in(api, "outsider")
    assert (await api.get(f"/api/v1/review/records/{record['id']}/evidence")).status_code == 404

    await user(db, "unitboss", "unit_reviewer", unit_code=UNIT)
    await sign_in(api, "unitboss")
    shown = await api.get(f"/api/v1/review/records/{record['id']}/evidence")
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"


async def test_a_repeated_client_key_returns_the_first_record(api, db, pro):
    key = str(uuid.uuid4())
    first = await api.post("/api/v1/me/records", json={**DRAFT, "client_key": key}, headers=pro)
    again = await api.post("/api/v1/me/records", json={**DRAFT, "client_key": key}, headers=pro)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert await db.fetchval("select count(*) from records") == 1
    assert await db.fetchval("select count(*) from record_events") == 1
    bad = await api.post("/api/v1/me/records", json={**DRAFT, "client_key": "nope"}, headers=pro)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "client_key"
