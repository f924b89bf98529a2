"""An insider who owns the database rewrites history; `audit verify` names each change a kept checkpoint covers.

The owner can lift every trigger, so nothing stops the writes themselves. What they cannot do is
sign: the checkpoints are signed with the service's key, which lives in a file the database does not
hold, and copies of them live outside the database. Each test makes history through the API, signs a
checkpoint, tampers as the owner would, and checks that verification names the change.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import datetime, timezone

import asyncpg
import pytest

from ce_service.audit.checkpoints import make_checkpoint, read_file
from ce_service.audit.trail import verify_trail
from ce_service.compliance.receipts import key_id, load_signer
from tests.builders import api_client, national_id, person

NID = national_id(41)
TRIGGERS = ("record_events disable trigger record_events_append_only",
            "audit_checkpoints disable trigger audit_checkpoints_append_only",
            "event_chain_head disable trigger event_chain_head_forward_only",
            "signing_keys disable trigger signing_keys_append_only")

# What an insider runs to make an edited chain look whole again: every hash from `seq` on, recomputed
# with the database's own function, and the head moved to the new end.
RECOMPUTE = """
do $$
declare
    e record_events;
    running bytea := coalesce((select hash from record_events where chain_seq = {seq} - 1), sha256(''::bytea));
begin
    for e in select * from record_events where chain_seq >= {seq} order by chain_seq loop
        e.prev_hash := running;
        running := sha256(running || record_event_content(e));
        update record_events set prev_hash = e.prev_hash, hash = running where id = e.id;
    end loop;
    update event_chain_head set seq = (select max(chain_seq) from record_events), hash = running;
end $$;
"""


@asynccontextmanager
async def hands_free(db):
    """What the owner does around a rewrite: lift the guards, then put them back so that nothing looks off."""
    for trigger in TRIGGERS:
        await db.execute(f"alter table {trigger}")
    yield
    for trigger in TRIGGERS:
        await db.execute(f"alter table {trigger.replace(' disable ', ' enable ')}")


@pytest.fixture
async def world(api, db, settings, tmp_path):
    """Ten records sent by HR (registered on arrival), a signed checkpoint kept in a file; the owner's hands free."""
    await person(db, NID)
    hr = {"Authorization": "Bearer " + await api_client(db, "hr_system")}
    records = [{"external_id": f"HR-{i}", "national_id": NID, "name": "张三", "year": 2024, "category": "professional",
                "hours": 4, "course_title": f"课程{i}", "completed_on": "2024-03-01"} for i in range(10)]
    assert (await api.post("/api/v1/hr/records", json={"records": records}, headers=hr)).json()["accepted"] == 10
    signer = load_signer(settings.signing_key_file)
    kept = tmp_path / "kept-checkpoints.jsonl"
    made = await make_checkpoint(db, signer, kept)
    assert made is not None and made.seq == 10
    return {"signer": signer, "trusted": {signer.kid: signer.public_key}, "kept": kept, "hr": hr}


async def verify(db, world, *, with_file: bool = True):
    kept = read_file(world["kept"])[0] if with_file else []
    return await verify_trail(db, world["trusted"], kept)


def named(report, *words: str) -> bool:
    return any(all(w in f for w in words) for f in report.findings)


async def test_an_untouched_history_verifies(db, world):
    report = await verify(db, world)
    assert report.findings == [] and (report.events, report.records, report.checkpoints) == (10, 10, 1)


async def test_an_edited_event_is_named(db, world):
    async with hands_free(db):
        await db.execute("update record_events set actor_name = '某领导' where chain_seq = 3")
    report = await verify(db, world)
    assert named(report, "chain position 3", "edited after it was written")


async def test_an_edited_and_recomputed_chain_is_caught_by_the_checkpoint(db, world):
    async with hands_free(db):
        await db.execute("update record_events set actor_name = '某领导' where chain_seq = 3")
        await db.execute(RECOMPUTE.format(seq=3))
    report = await verify(db, world, with_file=False)
    # The chain itself looks whole now; only the signed checkpoint tells.
    assert not named(report, "edited after it was written") and not named(report, "link")
    assert named(report, "checkpoint at event 10", "no longer hashes to the signed value")


async def test_a_deleted_last_event_is_named(db, world):
    async with hands_free(db):
        await db.execute("delete from record_events where chain_seq = 10")
        await db.execute(RECOMPUTE.format(seq=10))
    report = await verify(db, world, with_file=False)
    assert named(report, "checkpoint at event 10", "events up to 10 were removed")
    # The record whose last event went no longer matches what its remaining last event left behind (none).
    assert named(report, "it has no event at all")


async def test_two_swapped_events_are_named(db, world):
    async with hands_free(db):
        a, b = await db.fetch("select id, record_id from record_events where chain_seq in (4, 5) order by chain_seq")
        await db.execute("update record_events set record_id = $2 where id = $1", a["id"], b["record_id"])
        await db.execute("update record_events set record_id = $2 where id = $1", b["id"], a["record_id"])
        await db.execute(RECOMPUTE.format(seq=4))
    report = await verify(db, world, with_file=False)
    assert named(report, "checkpoint at event 10", "no longer hashes to the signed value")


async def test_a_records_row_changed_without_an_event_is_named(db, world):
    async with hands_free(db):
        rid = await db.fetchval("select id from records order by id limit 1")
        await db.execute("update records set half_hours = 200 where id = $1", rid)
    report = await verify(db, world)
    assert named(report, f"record {rid}", "changed without an event")


async def test_a_moved_head_is_named(db, world):
    async with hands_free(db):
        await db.execute("update event_chain_head set seq = 3, hash = (select hash from record_events where chain_seq = 3)")
    report = await verify(db, world)
    assert named(report, "the chain head says 3 events but the chain ends at 10")


async def test_checkpoints_deleted_from_the_database_are_still_kept_outside(db, world):
    async with hands_free(db):
        await db.execute("update record_events set reason = '伪造' where chain_seq = 2")
        await db.execute(RECOMPUTE.format(seq=2))
        await db.execute("delete from audit_checkpoints")
    without_file = await verify(db, world, with_file=False)
    assert without_file.findings == []      # the database alone no longer shows it …
    report = await verify(db, world)        # … the copy kept outside does
    assert named(report, "checkpoint at event 10", "missing from it")
    assert named(report, "checkpoint at event 10", "no longer hashes to the signed value")


async def test_a_key_of_ones_own_signs_nothing_that_verifies(db, world):
    async with hands_free(db):
        from nacl.signing import SigningKey

        from ce_service.audit.checkpoints import signed_bytes

        forged = SigningKey.generate()
        public = bytes(forged.verify_key)
        kid = key_id(public)
        await db.execute("insert into signing_keys (kid, public_key) values ($1, $2)", kid, public)
        await db.execute("update record_events set reason = '伪造' where chain_seq = 2")
        await db.execute(RECOMPUTE.format(seq=2))
        head = await db.fetchrow("select seq, hash from event_chain_head")
        at = "2026-01-01T00:00:00.000000Z"
        signature = forged.sign(signed_bytes(head["seq"], bytes(head["hash"]).hex(), at, kid)).signature
        await db.execute("delete from audit_checkpoints")
        await db.execute("insert into audit_checkpoints (seq, hash, at, kid, signature) values ($1, $2, $3, $4, $5)",
                         head["seq"], head["hash"], datetime(2026, 1, 1, tzinfo=timezone.utc), kid, signature)
    report = await verify(db, world, with_file=False)
    # The forged key is listed in the database, and trusted by nobody.
    assert named(report, f"signed by key {kid}", "not a trusted key")


async def test_verify_through_the_command(db, world, database_url, settings, tmp_path):
    import subprocess
    import sys

    env = {"CE_DATABASE_URL": database_url, "CE_REDIS_URL": "redis://127.0.0.1:1/0", "CE_DATA_DIR": str(settings.data_dir),
           "CE_SECRET_KEY": "test-secret-key-0123456789abcdef", "CE_ENV": "test", "CE_LOG_FORMAT": "text",
           "CE_AUDIT_CHECKPOINT_FILE": str(tmp_path / "service-checkpoints.jsonl"), "PATH": "/usr/bin:/bin"}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "ce_service", "audit", *args], env=env, capture_output=True,
                              text=True, timeout=120)

    signed = run("checkpoint")
    assert signed.returncode == 0 and "no new events" in signed.stdout, signed.stdout + signed.stderr
    intact = run("verify", "--checkpoints", str(world["kept"]))
    assert intact.returncode == 0 and "audit trail intact" in intact.stdout, intact.stderr
    async with hands_free(db):
        await db.execute("update record_events set actor_name = '某领导' where chain_seq = 3")
        await db.execute(RECOMPUTE.format(seq=3))
    broken = run("verify", "--checkpoints", str(world["kept"]))
    assert broken.returncode != 0
    assert "BROKEN: checkpoint at event 10" in broken.stderr and "no longer hashes" in broken.stderr


async def test_replacing_the_hash_functions_fools_nothing(db, world):
    """The red team's bypass: the owner swapped record_event_content() and record_row_content() to return the
    original bytes for what they edited. Verification recomputes with built-in functions only."""
    event = await db.fetchrow("select id, record_event_content(e) as content from record_events e where chain_seq = 3")
    rid = await db.fetchval("select id from records order by id limit 1")
    row_content = await db.fetchval("select record_row_content(r) from records r where id = $1", rid)
    async with hands_free(db):
        await db.execute("update record_events set actor_name = '某领导' where chain_seq = 3")
        await db.execute("update records set half_hours = 400 where id = $1", rid)
        for name, table, key, content in (("record_event_content", "record_events", event["id"], event["content"]),
                                          ("record_row_content", "records", rid, row_content)):
            body = await db.fetchval("select prosrc from pg_proc where proname = $1", name)
            literal = "'\\x" + bytes(content).hex() + "'::bytea"
            quoted_key = f"'{key}'" if table == "records" else str(key)
            param = "e" if table == "record_events" else "r"
            await db.execute(f"create or replace function {name}({param} {table}) returns bytea language sql stable as "
                             f"$f$ select case when {param}.id = {quoted_key} then {literal} else ({body.strip().rstrip(';')})"
                             " end $f$")
        assert await db.fetchval("select sha256(prev_hash || record_event_content(e)) = hash from record_events e"
                                 " where chain_seq = 3")
    report = await verify(db, world)
    assert named(report, "chain position 3", "edited after it was written")
    assert named(report, f"record {rid}", "changed without an event")


async def test_guards_left_disabled_are_named(db, world):
    await db.execute("alter table record_events disable trigger record_events_append_only")
    report = await verify(db, world)
    assert named(report, "record_events_append_only", "disabled")


async def test_a_moved_creation_instant_is_named(db, world):
    """Answers as of a past instant read records.created_at: it is covered by the row hash and fixed by a trigger."""
    rid = await db.fetchval("select id from records order by id limit 1")
    with pytest.raises(asyncpg.RaiseError, match="fixed once written"):
        await db.execute("update records set created_at = '2099-01-01' where id = $1", rid)
    async with hands_free(db):
        await db.execute("alter table records disable trigger records_identity_fixed")
        await db.execute("update records set created_at = '2099-01-01' where id = $1", rid)
        await db.execute("alter table records enable trigger records_identity_fixed")
    report = await verify(db, world)
    assert named(report, f"record {rid}", "changed without an event")
