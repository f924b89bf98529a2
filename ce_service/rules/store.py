"""Rule sets in the database: load a file as a new version, read the rules in force."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from ce_service.rules import queries as q
from ce_service.rules.loader import from_json, parse_rule_set
from ce_service.rules.model import RuleBook

SHIPPED_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Loaded:
    """What a load did."""

    name: str
    version: int
    rules: tuple[str, ...]
    unchanged: bool


async def rule_book(conn: asyncpg.Connection) -> RuleBook:
    """Every rule of the newest version of each rule set."""
    rules = []
    versions = {}
    for row in await conn.fetch(q.RULE_SETS_IN_FORCE):
        definition = row["definition"]  # connections decode jsonb (db.init_connection)
        versions[row["name"]] = row["version"]
        rules.extend(from_json(r, row["name"], row["version"]) for r in definition["rules"])
    return RuleBook(tuple(rules), versions)


async def load_rule_set(conn: asyncpg.Connection, text: str, loaded_by: str) -> Loaded:
    """Check a rule-set file against itself and the other sets in force, and store it as a new version."""
    checksum = hashlib.sha256(text.encode()).hexdigest()
    async with conn.transaction():
        await conn.execute(q.LOCK_RULES)
        book = await rule_book(conn)
        parsed = parse_rule_set(text, 0, book.rules)
        if await conn.fetchval(q.LATEST_CHECKSUM, parsed.name) == checksum:
            version = book.versions[parsed.name]
            return Loaded(parsed.name, version, tuple(r.name for r in parsed.rules), unchanged=True)
        version = await conn.fetchval(q.NEXT_VERSION, parsed.name)
        await conn.execute(q.INSERT_RULE_SET, parsed.name, version, parsed.title, parsed.definition,
                           text, checksum, loaded_by)
    return Loaded(parsed.name, version, tuple(r.name for r in parsed.rules), unchanged=False)


async def ensure_shipped_rule_sets(conn: asyncpg.Connection) -> list[Loaded]:
    """Load each rule set shipped with the service whose name has no version in the database yet."""
    book = await rule_book(conn)
    loaded = []
    for path in sorted(SHIPPED_DIR.glob("*.toml")):
        text = path.read_text(encoding="utf-8")
        name = parse_rule_set(text).name
        if name not in book.versions:
            loaded.append(await load_rule_set(conn, text, f"shipped:{path.name}"))
            book = await rule_book(conn)
    return loaded


class RuleBookCache:
    """The rules in force, read once and looked at again at most every `seconds` for a newer load."""

    def __init__(self, seconds: float = 10.0) -> None:
        self.seconds = seconds
        self._book: RuleBook | None = None
        self._latest_id = -1
        self._checked = 0.0

    async def current(self, conn: asyncpg.Connection) -> RuleBook:
        """The cached rule book, reloaded when a newer rule set was loaded since the last look."""
        now = time.monotonic()
        if self._book is None or now - self._checked >= self.seconds:
            latest = await conn.fetchval(q.LATEST_RULE_SET_ID)
            if latest != self._latest_id or self._book is None:
                self._book = await rule_book(conn)
                self._latest_id = latest
            self._checked = now
        return self._book
