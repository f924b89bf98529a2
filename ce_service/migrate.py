"""Apply migrations/NNNN_*.sql in order, once each, under an advisory lock; then grant the service's role its privileges."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from ce_service import db_roles
from ce_service.settings import MIGRATIONS_DIR

# Any constant works; it only has to be the same in every ce-service process.
ADVISORY_LOCK_KEY = 0x0CE5E271CE

FILE_PATTERN = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

CREATE_TABLE = """
create table if not exists schema_migrations (
    version     integer primary key,
    filename    text not null,
    checksum    text not null,
    applied_at  timestamptz not null default now()
)
"""


class MigrationError(RuntimeError):
    """The migrations on disk and in the database disagree; the message names the file."""


@dataclass(frozen=True)
class Migration:
    """One numbered SQL file."""

    version: int
    filename: str
    sql: str

    @property
    def checksum(self) -> str:
        """SHA-256 of the file's bytes, so an edited applied file is caught."""
        return hashlib.sha256(self.sql.encode()).hexdigest()


def read_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migration files on disk, in version order; badly named or duplicate files are errors."""
    if not directory.is_dir():
        # migrations/ and pwa/ live beside the package, as in the repository: install it editable (pip install -e).
        raise MigrationError(f"{directory} is missing: install ce-service from its folder with 'pip install -e .'")
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = FILE_PATTERN.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files must be named NNNN_description.sql")
        version = int(match.group(1))
        if version in found:
            raise MigrationError(f"{path.name}: version {version} is also used by {found[version].filename}")
        found[version] = Migration(version, path.name, path.read_text(encoding="utf-8"))
    return [found[v] for v in sorted(found)]


async def pending_migrations(conn: asyncpg.Connection, directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Check applied files against disk and return those not yet applied."""
    on_disk = read_migrations(directory)
    exists = await conn.fetchval("select to_regclass('schema_migrations') is not null")
    applied = {}
    if exists:
        applied = {r["version"]: r for r in await conn.fetch("select version, filename, checksum from schema_migrations")}
    by_version = {m.version: m for m in on_disk}
    for version, row in applied.items():
        migration = by_version.get(version)
        if migration is None:
            raise MigrationError(f"{row['filename']} was applied to this database but is missing from {directory}")
        if migration.checksum != row["checksum"]:
            raise MigrationError(f"{migration.filename} changed after it was applied (checksum differs); add a new migration instead")
    return [m for m in on_disk if m.version not in applied]


async def migrate(database_url: str, directory: Path = MIGRATIONS_DIR, service_url: str | None = None) -> list[str]:
    """Apply every pending migration, each in its own transaction; return the files applied.

    `database_url` connects as the owner of the tables. With `service_url` naming another role,
    that role is created if missing and the owner may create roles, refused if it could act as an
    owner (db_roles.RoleError, before anything is applied), and given its privileges afterwards.
    """
    conn = await asyncpg.connect(database_url)
    try:
        # A session-level lock: a second process waits here, then finds nothing left to do.
        await conn.execute("select pg_advisory_lock($1)", ADVISORY_LOCK_KEY)
        try:
            service_role = await db_roles.prepare_service_role(conn, service_url) if service_url else None
            await conn.execute(CREATE_TABLE)
            applied = []
            for migration in await pending_migrations(conn, directory):
                async with conn.transaction():
                    await conn.execute(migration.sql)
                    await conn.execute(
                        "insert into schema_migrations (version, filename, checksum) values ($1, $2, $3)",
                        migration.version, migration.filename, migration.checksum,
                    )
                applied.append(migration.filename)
            if service_role:
                await db_roles.grant_privileges(conn, service_role)
            return applied
        finally:
            await conn.execute("select pg_advisory_unlock($1)", ADVISORY_LOCK_KEY)
    finally:
        await conn.close()
