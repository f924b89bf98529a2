"""Signed checkpoints of the chain head: made by the job and the command, served to review systems, kept in a file."""

from __future__ import annotations

from datetime import datetime, timezone

from ce_service import clock
from ce_service.audit.checkpoints import Checkpoint, make_checkpoint, read_file
from ce_service.compliance.receipts import load_signer, unb64url
from ce_service.jobs import CRON_JOBS, sign_checkpoint
from tests.builders import api_client, national_id, person, record

FIXED = datetime(2026, 3, 1, 8, 30, tzinfo=timezone.utc)


async def test_the_job_signs_the_head_once_per_change_and_appends_it_to_the_file(db, database_url, settings,
                                                                                  tmp_path, monkeypatch):
    from ce_service.db import create_pool

    monkeypatch.setattr(clock, "now", lambda: FIXED)
    pid = await person(db, national_id(1))
    await record(db, pid, 2024, "public", 4)
    file = tmp_path / "checkpoints.jsonl"
    pool = await create_pool(database_url, 1, 2)
    ctx = {"pool": pool, "signer": load_signer(settings.signing_key_file), "checkpoint_file": file}
    try:
        first = await sign_checkpoint(ctx)
        assert first == {"seq": 1, "hash": bytes(await db.fetchval("select hash from event_chain_head")).hex()}
        assert await sign_checkpoint(ctx) is None            # nothing new: nothing signed
        await record(db, pid, 2024, "professional", 8)
        assert (await sign_checkpoint(ctx))["seq"] == 2
    finally:
        await pool.close()
    kept, bad = read_file(file)
    assert bad == [] and [c.seq for c in kept] == [1, 2] and {c.at for c in kept} == {"2026-03-01T08:30:00.000000Z"}
    signer = ctx["signer"]
    assert all(c.kid == signer.kid and c.verifies_with(signer.public_key) for c in kept)
    stored = await db.fetch("select seq, at from audit_checkpoints order by seq")
    assert [(r["seq"], r["at"]) for r in stored] == [(1, FIXED), (2, FIXED)]
    assert any(job.coroutine.__name__ == "sign_checkpoint" for job in CRON_JOBS)


async def test_review_systems_copy_the_checkpoints_and_check_them_with_the_published_key(api, db, settings, tmp_path):
    pid = await person(db, national_id(2))
    signer = load_signer(settings.signing_key_file)
    for n in range(3):
        await record(db, pid, 2020 + n, "public", 4)
        await make_checkpoint(db, signer, tmp_path / "c.jsonl")
    review = {"Authorization": "Bearer " + await api_client(db, "review_system")}
    page = (await api.get("/api/v1/audit/checkpoints?limit=2", headers=review)).json()
    assert [c["seq"] for c in page["checkpoints"]] == [1, 2]
    rest = (await api.get("/api/v1/audit/checkpoints?after_seq=2", headers=review)).json()
    assert [c["seq"] for c in rest["checkpoints"]] == [3]
    keys = {k["kid"]: unb64url(k["public_key"]) for k in (await api.get("/api/v1/compliance/keys")).json()["keys"]}
    for c in page["checkpoints"] + rest["checkpoints"]:
        checkpoint = Checkpoint(**c)
        assert checkpoint.verifies_with(keys[checkpoint.kid])
        assert not Checkpoint(**{**c, "seq": c["seq"] + 1}).verifies_with(keys[checkpoint.kid])


async def test_bad_paging_is_a_clear_422(api, db):
    review = {"Authorization": "Bearer " + await api_client(db, "review_system")}
    answer = await api.get("/api/v1/audit/checkpoints?limit=0&after_seq=-1", headers=review)
    assert answer.status_code == 422
    fields = {e["field"] for e in answer.json()["errors"]}
    assert fields == {"limit", "after_seq"}


async def test_a_kept_file_with_junk_lines_names_them(tmp_path):
    file = tmp_path / "c.jsonl"
    file.write_text('{"seq": 1, "hash": "00", "at": "x", "kid": "k", "signature": "s"}\nnot json\n{"seq": "1"}\n')
    kept, bad = read_file(file)
    assert len(kept) == 1 and len(bad) == 2 and ":2:" in bad[0] and ":3:" in bad[1]


async def test_a_row_slipped_into_the_checkpoints_does_not_stop_the_signing(db, settings, tmp_path):
    """The red team's stop: a checkpoint row with a huge seq and a junk signature made the job sign nothing more."""
    pid = await person(db, national_id(3))
    await record(db, pid, 2024, "public", 4)
    signer = load_signer(settings.signing_key_file)
    await db.execute("insert into audit_checkpoints (seq, hash, at, kid, signature) values (1000000000000000,"
                     " '\\x00', now(), $1, '\\x00')", signer.kid)
    made = await make_checkpoint(db, signer, tmp_path / "c.jsonl")
    assert made is not None and made.seq == 1 and made.verifies_with(signer.public_key)


async def test_an_overlong_line_is_skipped_without_reading_it_whole(tmp_path):
    file = tmp_path / "c.jsonl"
    file.write_bytes(b"x" * 100_000 + b"\n" + b'{"seq": 1, "hash": "00", "at": "x", "kid": "k", "signature": "s"}\n')
    kept, bad = read_file(file)
    assert len(kept) == 1 and len(bad) == 1 and "longer than" in bad[0]
