"""The hash chain over record events: check that no event was edited, removed or inserted afterwards."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import asyncpg

from ce_service.records import queries as q

GENESIS = hashlib.sha256(b"").digest()


@dataclass(frozen=True)
class ChainReport:
    """How far the chain checked out, and the first event where it did not."""

    checked: int
    broken_at: int | None = None        # record_events.id of the first bad event
    broken_seq: int | None = None
    record_id: str | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """True when every event and the head agree."""
        return self.problem is None


async def verify_chain(conn: asyncpg.Connection, batch: int = 5000) -> ChainReport:
    """Walk every event in chain order, recomputing each hash in the database, as the trigger made it."""
    running, expected_seq, checked = GENESIS, 1, 0
    while True:
        rows = await conn.fetch(q.CHAIN_PAGE, expected_seq - 1, batch)
        for row in rows:
            problem = None
            if row["chain_seq"] != expected_seq:
                problem = f"events {expected_seq}..{row['chain_seq'] - 1} of the chain are missing"
            elif bytes(row["prev_hash"]) != running:
                problem = "its link to the previous event is broken"
            elif bytes(row["hash"]) != bytes(row["recomputed"]):
                problem = "its content no longer matches its hash (edited after it was written)"
            if problem:
                return ChainReport(checked, row["id"], row["chain_seq"], str(row["record_id"]), problem)
            running, expected_seq, checked = bytes(row["hash"]), expected_seq + 1, checked + 1
        if len(rows) < batch:
            break
    head = await conn.fetchrow(q.CHAIN_HEAD)
    if head["seq"] != expected_seq - 1 or bytes(head["hash"]) != running:
        return ChainReport(checked, None, head["seq"], None,
                           f"the chain head says {head['seq']} events but {expected_seq - 1} are there: events were removed")
    return ChainReport(checked)
