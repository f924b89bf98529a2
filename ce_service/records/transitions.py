"""Every change of a record's status, and the only code that writes record_events.

Each operation takes a record row already locked by its caller (`for update`), decides the next
status here in Python from the table below, applies it with one UPDATE from records/queries.py and
writes the event. The database adds to each event the hash of the record row it leaves behind and
chains it (migration 0013), so `ce-service audit verify` can tell a row edited without an event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from ce_service.auth.models import ApiClient, User
from ce_service.records import queries as q
from ce_service.records.lifecycle import EDITABLE


@dataclass(frozen=True)
class Actor:
    """Who did it, as the event names them."""

    kind: str                 # 'user', 'client' or 'system'
    id: int | None
    name: str
    role: str
    scope: str = ""

    @classmethod
    def of_user(cls, user: User) -> Actor:
        """A signed-in person, with their role's scope."""
        return cls("user", user.id, user.display_name, user.role, user.scope)

    @classmethod
    def of_client(cls, client: ApiClient) -> Actor:
        """A machine client, with the regions it may act for."""
        return cls("client", client.id, client.name, client.kind, ",".join(client.regions))


SYSTEM = Actor("system", None, "系统", "system")

# Statuses a record can be superseded from: not yet registered (registered hours are never taken away
# by a later arrival; both records go to a reviewer instead).
SUPERSEDABLE = frozenset({"draft", "submitted", "unit_approved", "returned"})
LIVE = frozenset({"draft", "submitted", "unit_approved", "registered", "returned"})

# action -> {status before (None: a new record): the statuses it may leave behind}
TRANSITIONS: dict[str, dict[str | None, frozenset[str]]] = {
    "create": {None: frozenset({"draft", "submitted", "registered"})},
    "edit": {s: frozenset({s}) for s in EDITABLE},
    "submit": {"draft": frozenset({"submitted", "registered"}), "returned": frozenset({"submitted", "registered"})},
    "approve": {"submitted": frozenset({"unit_approved"}), "unit_approved": frozenset({"unit_approved"})},
    "register": {"submitted": frozenset({"registered"}), "unit_approved": frozenset({"registered"})},
    "return": {"submitted": frozenset({"returned"}), "unit_approved": frozenset({"returned"})},
    # Withdrawing is for the owner before any reviewer has approved it.
    "withdraw": {s: frozenset({"withdrawn"}) for s in ("draft", "submitted", "returned")},
    "revoke": {"registered": frozenset({"revoked"})},
    "supersede": {s: frozenset({"superseded"}) for s in SUPERSEDABLE},
    # Back to the status it had before it was superseded (rows superseded before migration 0013 may
    # have been registered).
    "restore": {"superseded": LIVE},
    # A row written before row hashes existed, sealed as it stood (migration 0013 only).
    "seal": {s: frozenset({s}) for s in (*LIVE, "withdrawn", "revoked", "superseded")},
}


# The moves an owner makes on their own record (the rest are reviewers', clients' or the system's).
OWNER_MOVES = ("edit", "submit", "withdraw")


def owner_actions(source: str, status: str) -> frozenset[str]:
    """What the owner may do with a record now, by the same table the moves are checked against."""
    if source != "self":
        # Hours sent by a provider, the platform or HR are theirs to correct, not the owner's.
        return frozenset()
    return frozenset(action for action in OWNER_MOVES if status in TRANSITIONS[action])


class TransitionRefused(Exception):
    """The action is not possible from the record's current status."""


def check(action: str, before: str | None, after: str) -> None:
    """Refuse a move the table does not allow, saying which moves it does."""
    moves = TRANSITIONS.get(action)
    if moves is None:
        raise TransitionRefused(f"unknown action {action!r}")
    if before not in moves:
        allowed = ", ".join(sorted(str(s) for s in moves))
        raise TransitionRefused(f"cannot {action} a record that is {before} (only when {allowed})")
    if after not in moves[before]:
        raise TransitionRefused(f"{action} cannot take a {before} record to {after}")


def status_on_arrival(route: Sequence[str]) -> str:
    """A record sent for verification waits at its route's first step; with no steps it is registered at once."""
    return "submitted" if route else "registered"


async def write_event(conn: asyncpg.Connection, record_id: Any, actor: Actor, action: str, before: str | None,
                      after: str, *, reason: str | None = None, changes: dict | None = None) -> None:
    """Write one event, after the record row was changed in this transaction."""
    check(action, before, after)
    await conn.execute(q.INSERT_EVENT, record_id, actor.kind, actor.id, actor.name, actor.role, actor.scope,
                       action, before, after, reason, changes)


@dataclass(frozen=True)
class PastEvent:
    """One event of a history written in bulk (arrivals of a batch, the demo's years)."""

    record_id: Any
    actor: Actor
    action: str
    before: str | None
    after: str
    reason: str | None = None
    at: datetime | None = None   # None: now
    row_hash: bytes | None = None   # the row's hash as the writing statement returned it (None: looked up)


async def write_events(conn: asyncpg.Connection, events: Sequence[PastEvent]) -> None:
    """Write many events in one statement, in the order given, each checked against the table."""
    for e in events:
        check(e.action, e.before, e.after)
    if events:
        await conn.execute(
            q.INSERT_EVENTS, [e.record_id for e in events], [e.at for e in events],
            [e.actor.kind for e in events], [e.actor.id for e in events], [e.actor.name for e in events],
            [e.actor.role for e in events], [e.actor.scope for e in events], [e.action for e in events],
            [e.before for e in events], [e.after for e in events], [e.reason for e in events],
            [e.row_hash for e in events])


async def created(conn: asyncpg.Connection, record_id: Any, actor: Actor, status: str) -> None:
    """The first event of a record just inserted in `status`."""
    await write_event(conn, record_id, actor, "create", None, status)


async def edit(conn: asyncpg.Connection, row: asyncpg.Record, actor: Actor, content: tuple,
               changes: dict) -> asyncpg.Record:
    """Change a draft or returned record's content (already checked); the event lists what changed."""
    check("edit", row["status"], row["status"])
    updated = await conn.fetchrow(q.UPDATE_CONTENT, row["id"], *content)
    await write_event(conn, row["id"], actor, "edit", row["status"], row["status"], changes=changes)
    return updated


async def submit(conn: asyncpg.Connection, row: asyncpg.Record, actor: Actor) -> asyncpg.Record:
    """Fix the record's route from routing data and start it; a route with no steps registers at once."""
    route = await conn.fetchval(q.ROUTE_OF, row["id"])
    after = status_on_arrival(route)
    check("submit", row["status"], after)
    updated = await conn.fetchrow(q.SUBMIT, row["id"], route, after)
    await write_event(conn, row["id"], actor, "submit", row["status"], after)
    return updated


async def withdraw(conn: asyncpg.Connection, row: asyncpg.Record, actor: Actor) -> asyncpg.Record:
    """The owner takes a record back before any reviewer approved it."""
    check("withdraw", row["status"], "withdrawn")
    updated = await conn.fetchrow(q.SET_STATUS, row["id"], "withdrawn")
    await write_event(conn, row["id"], actor, "withdraw", row["status"], "withdrawn")
    return updated


async def approve(conn: asyncpg.Connection, row: asyncpg.Record, actor: Actor) -> str:
    """Pass the step the record waits at; the last step registers it. Returns the new status."""
    last_step = row["step"] + 1 >= len(row["route"] or [])
    action, after = ("register", "registered") if last_step else ("approve", "unit_approved")
    check(action, row["status"], after)
    await conn.execute(q.APPROVE, row["id"], after)
    await write_event(conn, row["id"], actor, action, row["status"], after)
    return after


async def return_(conn: asyncpg.Connection, row: asyncpg.Record, actor: Actor, reason: str) -> None:
    """Send a waiting record back to its owner with the reason."""
    check("return", row["status"], "returned")
    await conn.execute(q.RETURN, row["id"], reason)
    await write_event(conn, row["id"], actor, "return", row["status"], "returned", reason=reason)


async def revoke(conn: asyncpg.Connection, row: asyncpg.Record, actor: Actor, reason: str) -> asyncpg.Record:
    """Revoke a registered record (fraud found)."""
    check("revoke", row["status"], "revoked")
    updated = await conn.fetchrow(q.REVOKE, row["id"], reason)
    await write_event(conn, row["id"], actor, "revoke", row["status"], "revoked", reason=reason)
    return updated


async def supersede(conn: asyncpg.Connection, record_id: Any, before: str, official_id: Any, reason: str) -> None:
    """Mark a self-logged record superseded by the official record of the same course."""
    check("supersede", before, "superseded")
    await conn.execute(q.SUPERSEDE, record_id, official_id, reason)
    await write_event(conn, record_id, SYSTEM, "supersede", before, "superseded", reason=f"{reason}: {official_id}")


async def restore_superseded(conn: asyncpg.Connection, official_id: Any, why: str) -> list[Any]:
    """Put back the records an official record superseded, each in the status it had; returns their ids."""
    rows = await conn.fetch(q.SUPERSEDED_BY, official_id)
    for row in rows:
        previous = row["previous"] or "submitted"
        check("restore", "superseded", previous)
        await conn.execute(q.RESTORE, row["id"], previous)
        await write_event(conn, row["id"], SYSTEM, "restore", "superseded", previous,
                          reason=f"{why}，恢复本人登记的记录: {official_id}")
    return [row["id"] for row in rows]
