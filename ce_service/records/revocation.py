"""Revoking a registered record (fraud found): it stops counting from that instant on; the file notes it."""

from __future__ import annotations

import asyncpg

from ce_service import clock
from ce_service.auth.models import ApiClient
from ce_service.errors import Conflict, Invalid, NotFound
from ce_service.hours import to_hours
from ce_service.identity import mask_national_id
from ce_service.integrity import queries as integrity_q
from ce_service.integrity.service import client_actor
from ce_service.records import queries as q
from ce_service.records import transitions
from ce_service.records.schemas import MachineRecordOut
from ce_service.records.service import record_uuid
from ce_service.records.superseding import restore_superseded
from ce_service.records.transitions import Actor

MAX_REASON = 1000


def machine_out(row: asyncpg.Record) -> MachineRecordOut:
    """A record as machine clients see it."""
    return MachineRecordOut(
        str(row["id"]), row["external_id"], mask_national_id(row["national_id"]), row["year"], row["category"],
        to_hours(row["half_hours"]), row["course_title"], row["course_code"], row["completed_on"],
        row["region_earned"], row["source"], row["status"], row["status_reason"], row["registered_at"],
        row["revoked_at"],
    )


async def revoke_by_client(conn: asyncpg.Connection, client: ApiClient, record_id: str, reason: str) -> MachineRecordOut:
    """Revoke a registered record for an HR system (409 when not registered) and note it in the integrity file."""
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise Invalid.field("reason", f"must be 1 to {MAX_REASON} characters",
                            *(("required", {}) if not reason else ("too_long", {"max": MAX_REASON})))
    async with conn.transaction():
        found = await conn.fetchrow(q.RECORD_BY_ID, record_uuid(record_id))
        # Outside the client's regions looks the same as not existing.
        if found is None or not client.covers(found["person_region"]):
            raise NotFound("No such record.")
        # The person's lock before the row lock, as submitting, intake and reviewers take them.
        await conn.execute(q.LOCK_PERSON, found["person_id"])
        row = await conn.fetchrow(q.RECORD_FOR_UPDATE, found["id"])
        if row["status"] == "revoked":
            raise Conflict(f"The record was revoked already, at {row['revoked_at']:%Y-%m-%d %H:%M:%S %Z}.")
        if row["status"] != "registered":
            raise Conflict(f"Only registered records can be revoked; this one is {row['status']}.")
        updated = await transitions.revoke(conn, row, Actor.of_client(client), reason)
        await restore_superseded(conn, row["id"], "官方记录被撤销")
        await conn.execute(integrity_q.INSERT_ENTRY, row["person_id"], "revocation", reason, clock.today(), "",
                           False, row["id"], "client", client.id, client_actor(client))
    return machine_out(updated)
