"""Signed checkpoints of the chain head: "the first `seq` events hash to `hash`", signed by the service's key.

A database insider can recompute the chain after editing it, but cannot sign: a checkpoint kept
outside the database (the service's file, a review system's copy) pins every event up to its `seq`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import asyncpg
import msgspec
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from ce_service import clock
from ce_service.audit import queries as q
from ce_service.compliance.receipts import Signer, b64url, canonical, unb64url

# A checkpoint file line is at most this long; a longer line is not a checkpoint.
MAX_LINE = 4096


class Checkpoint(msgspec.Struct, frozen=True):
    """One signed checkpoint, as served and as kept in files (hash hex, signature base64url)."""

    seq: int
    hash: str
    at: str
    kid: str
    signature: str

    def signed_bytes(self) -> bytes:
        """The canonical bytes the signature covers: every field but the signature, sorted, compact."""
        return signed_bytes(self.seq, self.hash, self.at, self.kid)

    def verifies_with(self, public_key: bytes) -> bool:
        """True when the signature is the key's over this checkpoint."""
        try:
            VerifyKey(public_key).verify(self.signed_bytes(), unb64url(self.signature))
        except (BadSignatureError, ValueError, TypeError):
            return False
        return True


def signed_bytes(seq: int, hash_hex: str, at: str, kid: str) -> bytes:
    """What a checkpoint's signature covers."""
    return canonical({"seq": seq, "hash": hash_hex, "at": at, "kid": kid})


def instant(at: datetime) -> str:
    """An instant as checkpoints write it: UTC, microseconds, Z."""
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_row(row: asyncpg.Record) -> Checkpoint:
    """A checkpoint as stored in the database."""
    return Checkpoint(row["seq"], bytes(row["hash"]).hex(), instant(row["at"]), row["kid"], b64url(bytes(row["signature"])))


async def make_checkpoint(conn: asyncpg.Connection, signer: Signer, file: Path | None) -> Checkpoint | None:
    """Sign the chain head now, store it and append it to `file`; None when nothing happened since the last one."""
    async with conn.transaction():
        head = await conn.fetchrow(q.CHAIN_HEAD)
        last = _last_signed(await conn.fetch(q.OWN_CHECKPOINTS, signer.kid, head["seq"]), signer)
        if last is not None and head["seq"] <= last:
            return None
        at = instant(clock.now())
        hash_hex = bytes(head["hash"]).hex()
        signature = signer.private_key.sign(signed_bytes(head["seq"], hash_hex, at, signer.kid)).signature
        await conn.execute(q.INSERT_CHECKPOINT, head["seq"], bytes(head["hash"]),
                           datetime.strptime(at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc),
                           signer.kid, signature)
    checkpoint = Checkpoint(head["seq"], hash_hex, at, signer.kid, b64url(signature))
    if file is not None:
        append_to_file(file, checkpoint)
    return checkpoint


def _last_signed(rows: list[asyncpg.Record], signer: Signer) -> int | None:
    """The seq of the newest checkpoint this key really signed: a row someone else slipped in (a made-up seq
    beyond the head, a junk signature) must not stop the signing."""
    for row in rows:
        if from_row(row).verifies_with(signer.public_key):
            return row["seq"]
    return None


def append_to_file(file: Path, checkpoint: Checkpoint) -> None:
    """Append one line and make it durable (O_APPEND: whole lines, even from several processes)."""
    file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, msgspec.json.encode(checkpoint) + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)


MAX_BAD_LINES = 100


def read_file(file: Path) -> tuple[list[Checkpoint], list[str]]:
    """The checkpoints in a kept file, and a note for each line that is not one (a long line is never read whole)."""
    checkpoints: list[Checkpoint] = []
    bad: list[str] = []
    with open(file, "rb") as f:
        number = 0
        while line := f.readline(MAX_LINE + 1):
            number += 1
            if len(line) > MAX_LINE and not line.endswith(b"\n"):
                while (rest := f.readline(MAX_LINE + 1)) and not rest.endswith(b"\n"):
                    pass                      # skip the rest of an overlong line, a piece at a time
                _note(bad, f"{file}:{number}: not a checkpoint (longer than {MAX_LINE} bytes)")
                continue
            if not line.strip():
                continue
            try:
                checkpoints.append(msgspec.json.decode(line, type=Checkpoint, strict=True))
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                _note(bad, f"{file}:{number}: not a checkpoint ({exc})")
    return checkpoints, bad


def _note(bad: list[str], note: str) -> None:
    if len(bad) < MAX_BAD_LINES:
        bad.append(note)
    elif len(bad) == MAX_BAD_LINES:
        bad.append("… more lines that are not checkpoints")


async def stored(conn: asyncpg.Connection) -> list[Checkpoint]:
    """Every checkpoint in the database, oldest first."""
    return [from_row(r) for r in await conn.fetch(q.CHECKPOINTS)]


async def page(conn: asyncpg.Connection, after_seq: int, limit: int) -> list[Checkpoint]:
    """Checkpoints past `after_seq`, oldest first."""
    return [from_row(r) for r in await conn.fetch(q.CHECKPOINTS_PAGE, after_seq, limit)]


def distinct(groups: Iterable[Iterable[Checkpoint]]) -> list[Checkpoint]:
    """Checkpoints from several sources, each once, by seq."""
    seen: dict[tuple[Any, ...], Checkpoint] = {}
    for group in groups:
        for c in group:
            seen.setdefault((c.seq, c.hash, c.at, c.kid, c.signature), c)
    return sorted(seen.values(), key=lambda c: (c.seq, c.at))
