"""Verify the record history: the hash chain, its head, the rows it covers, and the signed checkpoints.

What each check catches, for someone who can write to the database:
- the chain walk: an event edited, removed or inserted without recomputing the hashes after it;
- the checkpoints: the same done *with* the hashes recomputed, or the head moved, up to the last
  checkpoint (signed with the service's key, which the database does not hold);
- the rows: a records row changed without an event (every event carries the hash of the row it left).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import asyncpg

from ce_service.audit import queries as q
from ce_service.audit.checkpoints import Checkpoint, stored

GENESIS = hashlib.sha256(b"").digest()
MAX_FINDINGS = 100  # per kind: enough to act on, without flooding the terminal


@dataclass
class AuditReport:
    """What was checked, and every problem found (empty: intact)."""

    events: int = 0
    checkpoints: int = 0
    records: int = 0
    findings: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)   # what limits the proof, without being a break

    @property
    def ok(self) -> bool:
        """True when nothing was found."""
        return not self.findings


async def verify_trail(conn: asyncpg.Connection, trusted_keys: dict[str, bytes],
                       kept: Sequence[Checkpoint] = (), batch: int = 5000) -> AuditReport:
    """Check everything; `trusted_keys` (kid -> raw Ed25519 key) are the keys a checkpoint may be signed with,
    and `kept` the checkpoints kept outside the database (the service's file, a review system's copy)."""
    report = AuditReport()
    in_database = await stored(conn)
    checkpoints = _merge(in_database, kept, report)
    wanted = {c.seq for c in checkpoints}
    hashes = await _walk_chain(conn, report, wanted, batch)
    await _check_head(conn, report, hashes.get("last"))
    _check_checkpoints(checkpoints, hashes, trusted_keys, report)
    await _check_rows(conn, report)
    await _check_triggers(conn, report)
    _limits(report, kept, checkpoints, hashes["last"][0])
    return report


# The triggers that keep the history append-only and chained: disabled, they let writes through unseen.
GUARDS = ("record_events_append_only", "record_events_chain", "record_events_chain_head",
          "integrity_entries_append_only", "signing_keys_append_only", "audit_checkpoints_append_only",
          "event_chain_head_forward_only", "records_identity_fixed", "duplicate_flags_close_once")


async def _check_triggers(conn: asyncpg.Connection, report: AuditReport) -> None:
    found = {row["tgname"]: row for row in await conn.fetch(q.TRIGGERS, list(GUARDS))}
    for name in GUARDS:
        row = found.get(name)
        if row is None:
            _find(report, f"trigger {name} is missing: someone dropped it")
        elif row["tgenabled"] != "O":
            _find(report, f"trigger {name} on {row['table_name']} is disabled: writes it should refuse or chain "
                          "go through unseen")


def _limits(report: AuditReport, kept: Sequence[Checkpoint], checkpoints: list[Checkpoint], last_seq: int) -> None:
    """Say what the proof rests on, when it rests on less than it should."""
    if last_seq and not checkpoints:
        report.warnings.append("no signed checkpoint at all: a rewrite with recomputed hashes would not show "
                               "(run `ce-service audit checkpoint`, and keep the worker running)")
    elif last_seq and not kept:
        report.warnings.append("no checkpoint kept outside the database was read: the database owner could "
                               "remove checkpoints with the history they cover (pass --checkpoints FILE)")
    newest = max((c.seq for c in checkpoints), default=0)
    if checkpoints and last_seq > newest:
        report.warnings.append(f"events {newest + 1}..{last_seq} come after the newest checkpoint: until the next "
                               "one they are protected by the database's privileges only")


def _merge(in_database: list[Checkpoint], kept: Sequence[Checkpoint], report: AuditReport) -> list[Checkpoint]:
    """Every checkpoint once; a kept one the database no longer has is itself a finding."""
    stored_set = {(c.seq, c.hash, c.signature) for c in in_database}
    merged = list(in_database)
    for c in kept:
        if (c.seq, c.hash, c.signature) not in stored_set:
            merged.append(c)
            stored_set.add((c.seq, c.hash, c.signature))
            _find(report, f"checkpoint at event {c.seq} ({c.at}) is kept outside the database but missing from it")
    return merged


async def _walk_chain(conn: asyncpg.Connection, report: AuditReport, wanted: set[int], batch: int) -> dict:
    """Recompute every event's hash in the database, as the trigger made it; keep the hashes checkpoints name."""
    running, expected, hashes = GENESIS, 1, {}
    while True:
        rows = await conn.fetch(q.CHAIN_PAGE, expected - 1, batch)
        for row in rows:
            seq, where = row["chain_seq"], f"event {row['id']} (chain position {row['chain_seq']}, record {row['record_id']})"
            if seq != expected:
                _find(report, f"events {expected}..{seq - 1} of the chain are missing (removed)")
            elif bytes(row["prev_hash"]) != running:
                _find(report, f"{where}: its link to the previous event is broken (events removed or reordered)")
            if bytes(row["hash"]) != bytes(row["recomputed"]):
                _find(report, f"{where}: its content no longer matches its hash (edited after it was written)")
            running, expected = bytes(row["hash"]), seq + 1
            if seq in wanted:
                hashes[seq] = running
            report.events += 1
        if len(rows) < batch:
            break
    hashes["last"] = (expected - 1, running)
    return hashes


async def _check_head(conn: asyncpg.Connection, report: AuditReport, last: tuple[int, bytes] | None) -> None:
    seq, running = last or (0, GENESIS)
    head = await conn.fetchrow(q.CHAIN_HEAD)
    if head["seq"] != seq or bytes(head["hash"]) != running:
        _find(report, f"the chain head says {head['seq']} events but the chain ends at {seq}: the head was moved "
                      "or the last events were removed")


def _check_checkpoints(checkpoints: list[Checkpoint], hashes: dict, trusted_keys: dict[str, bytes],
                       report: AuditReport) -> None:
    last_seq = hashes["last"][0]
    for c in checkpoints:
        report.checkpoints += 1
        label = f"checkpoint at event {c.seq} ({c.at})"
        key = trusted_keys.get(c.kid)
        if key is None:
            _find(report, f"{label}: signed by key {c.kid}, which is not a trusted key (pin it with --keys)")
        elif not c.verifies_with(key):
            _find(report, f"{label}: its signature is not valid (forged or altered)")
        if c.seq > last_seq:
            _find(report, f"{label}: the chain now ends at event {last_seq}: events up to {c.seq} were removed")
        elif c.seq > 0 and hashes.get(c.seq, b"").hex() != c.hash:
            _find(report, f"{label}: the chain up to event {c.seq} no longer hashes to the signed value: events up "
                          "to it were edited, removed, reordered or recomputed")


async def _check_rows(conn: asyncpg.Connection, report: AuditReport) -> None:
    report.records = await conn.fetchval("select count(*) from records")
    total = await conn.fetchval(q.ROW_MISMATCH_COUNT)
    for row in await conn.fetch(q.ROW_MISMATCHES, MAX_FINDINGS):
        if row["chain_seq"] is None:
            _find(report, f"record {row['id']}: it has no event at all (inserted outside the service)")
        elif row["unsealed"]:
            _find(report, f"record {row['id']}: its last event (chain position {row['chain_seq']}) carries no row "
                          "hash, so the row was changed or its events added outside the service")
        else:
            _find(report, f"record {row['id']}: its row no longer matches the one its last event (chain position "
                          f"{row['chain_seq']}) left behind: changed without an event")
    if total > MAX_FINDINGS:
        _find(report, f"… and {total - MAX_FINDINGS} more records changed without an event")


def _find(report: AuditReport, problem: str) -> None:
    if len(report.findings) < 10 * MAX_FINDINGS:
        report.findings.append(problem)
    elif not report.findings[-1].startswith("too many"):
        report.findings.append("too many problems to list; the ones above come first")
