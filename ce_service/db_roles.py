"""Two database roles: the owner migrates; the service's role reads and writes, owns nothing.

`ce-service migrate` (and every start with the embedded database) connects as the owner
(CE_OWNER_DATABASE_URL), makes sure the service's role (the user of CE_DATABASE_URL) exists and
can do nothing an owner can, applies the migrations, then gives that role exactly the privileges
below, again after every run so that new tables get theirs. The owner also registers the public
half of the signing key: the service's role may read `signing_keys`, never add to it.
"""

from __future__ import annotations

import getpass
import logging
import os
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit, urlunsplit

import asyncpg

from ce_service.compliance import queries as compliance_queries
from ce_service.compliance.receipts import Signer, load_signer

log = logging.getLogger("ce_service.db_roles")

# What the service's role may do on each table of schema public; every table not named gets FULL.
# A table named here that does not exist yet is skipped.
FULL = ("select", "insert", "update", "delete")
PRIVILEGES: dict[str, tuple[str, ...]] = {
    # The record history: events are appended, never changed (its triggers refuse that anyway).
    "record_events": ("select", "insert"),
    # The integrity file: entries are added, never changed or removed.
    "integrity_entries": ("select", "insert"),
    # Signed checkpoints of the chain head: added, never changed.
    "audit_checkpoints": ("select", "insert"),
    # Keys that verify receipts are registered by the owner (`ce-service migrate`), only read here.
    "signing_keys": ("select",),
    # The chain head moves only through the chain triggers, which run as the owner (security definer).
    "event_chain_head": ("select",),
    # Which migrations ran: the owner writes it; the service only checks that nothing is pending.
    "schema_migrations": ("select",),
}

# Attributes that let a role do what only owners and administrators should.
FORBIDDEN_ATTRIBUTES = {
    "rolsuper": "superuser",
    "rolcreaterole": "createrole",
    "rolcreatedb": "createdb",
    "rolbypassrls": "bypassrls",
}


class RoleError(RuntimeError):
    """The service's database role is missing or could undo the history's protections; the message says how to fix it."""


def role_of(url: str) -> str:
    """The role a postgresql:// URL connects as (user in the URL, ?user=, PGUSER, or the OS user, as libpq does)."""
    parts = urlsplit(url)
    if parts.username:
        return unquote(parts.username)
    if user := parse_qs(parts.query).get("user"):
        return user[0]
    return os.environ.get("PGUSER") or getpass.getuser()


def url_for_role(url: str, role: str, password: str | None) -> str:
    """The same server and database as `url`, connecting as `role` (with `password`, if any)."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    creds = quote(role, safe="") + (":" + quote(password, safe="") if password else "")
    query = "&".join(p for p in parts.query.split("&") if p and p.split("=", 1)[0] not in ("user", "password"))
    return urlunsplit(parts._replace(netloc=f"{creds}@{host}", query=query))


def _password_of(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.password:
        return unquote(parts.password)
    if password := parse_qs(parts.query).get("password"):
        return password[0]
    return None


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def create_role_sql(role: str, password: str | None) -> str:
    """CREATE ROLE for a login that owns nothing and may create nothing."""
    sql = f"create role {_ident(role)} login nosuperuser nocreatedb nocreaterole nobypassrls noreplication"
    return sql + (f" password {_literal(password)}" if password else "")


async def ensure_role(conn: asyncpg.Connection, role: str, password: str | None) -> bool:
    """Create `role` if it does not exist; True when this call created it.

    Roles belong to the whole server: another process (or another test run) may create the same
    one at the same moment, which counts as already there.
    """
    if await conn.fetchval("select 1 from pg_roles where rolname = $1", role):
        return False
    try:
        await conn.execute(create_role_sql(role, password))
    except (asyncpg.DuplicateObjectError, asyncpg.UniqueViolationError):
        return False
    return True


async def prepare_service_role(conn: asyncpg.Connection, service_url: str) -> str | None:
    """On the owner's connection: the service's role, created if missing and checked; None when it is the owner itself.

    The role is created (login, with the URL's password) only when it is missing and the owner may
    create roles; otherwise a missing role is an error saying how to create it. A role that is a
    superuser, may create roles or databases, bypasses row security, or has the privileges of the
    owner of the database, of schema public or of any of its tables is refused.
    """
    role = role_of(service_url)
    owner = await conn.fetchval("select current_user")
    if role == owner:
        return None
    if not await conn.fetchval("select 1 from pg_roles where rolname = $1", role):
        may_create = await conn.fetchval("select rolsuper or rolcreaterole from pg_roles where rolname = current_user")
        if not may_create:
            raise RoleError(
                f"the service's role {role!r} (the user of CE_DATABASE_URL) does not exist and {owner!r} may not create "
                f"roles: create it as an administrator, e.g. `create role {role} login password '…'`, then migrate again")
        await ensure_role(conn, role, _password_of(service_url))
    problems = await service_role_problems(conn, role)
    if problems:
        raise RoleError(
            f"the service's role {role!r} (the user of CE_DATABASE_URL) could undo the history's protections: "
            + "; ".join(problems)
            + f". Use a role that owns nothing (e.g. `alter role {role} nosuperuser nocreatedb nocreaterole nobypassrls`,"
              f" `reassign owned by {role} to {owner}`), or leave CE_OWNER_DATABASE_URL unset to run as one role")
    return role


async def service_role_problems(conn: asyncpg.Connection, role: str) -> list[str]:
    """What `role` could do that the service must not: attributes, and owning (or acting as an owner of) anything ours."""
    attributes = await conn.fetchrow(
        f"select {', '.join(FORBIDDEN_ATTRIBUTES)} from pg_roles where rolname = $1", role)
    problems = [f"it is {word}" for column, word in FORBIDDEN_ATTRIBUTES.items() if attributes[column]]
    if await conn.fetchval("select pg_has_role($1, current_user, 'MEMBER')", role):
        problems.append("it is a member of the owner")
    if await conn.fetchval(
            "select pg_has_role($1, datdba, 'MEMBER') from pg_database where datname = current_database()", role):
        problems.append("it owns the database")
    if await conn.fetchval("select pg_has_role($1, nspowner, 'MEMBER') from pg_namespace where nspname = 'public'", role):
        problems.append("it owns schema public")
    owned = await conn.fetch(
        """select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
             and pg_has_role($1, c.relowner, 'MEMBER')
           order by c.relname""", role)
    if owned:
        names = ", ".join(r["relname"] for r in owned[:5]) + (" …" if len(owned) > 5 else "")
        problems.append(f"it owns {len(owned)} table(s) or sequence(s) ({names})")
    return problems


async def acts_as_owner(conn: asyncpg.Connection) -> bool:
    """True when the connected role is a superuser or has the privileges of the owner of a table of ours."""
    return await conn.fetchval(
        """select (select rolsuper from pg_roles where rolname = current_user)
                  or exists (select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace
                             where n.nspname = 'public' and c.relkind in ('r', 'p')
                               and pg_has_role(current_user, c.relowner, 'MEMBER'))""")


async def grant_privileges(conn: asyncpg.Connection, role: str) -> None:
    """Give `role` the privileges of PRIVILEGES on every table of schema public, and nothing else there.

    One transaction, so a running service sees the old privileges or the new ones, never none.
    Callers hold the migration lock (concurrent GRANTs on one object fail in PostgreSQL).
    """
    who = _ident(role)
    async with conn.transaction():
        await conn.execute(f"revoke all on all tables in schema public from {who}")
        await conn.execute(f"revoke all on all sequences in schema public from {who}")
        tables = await conn.fetch(
            """select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
               where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm', 'f') order by c.relname""")
        for row in tables:
            privileges = PRIVILEGES.get(row["relname"], FULL)
            await conn.execute(f"grant {', '.join(privileges)} on table public.{_ident(row['relname'])} to {who}")
        await conn.execute(f"grant usage on all sequences in schema public to {who}")
        database, owns_database, owns_schema = await conn.fetchrow(
            """select current_database(),
                      (select pg_has_role(current_user, datdba, 'USAGE') from pg_database where datname = current_database()),
                      (select pg_has_role(current_user, nspowner, 'USAGE') from pg_namespace where nspname = 'public')""")
        if owns_database:
            await conn.execute(f"grant connect on database {_ident(database)} to {who}")
        else:
            log.warning("%s does not own database %s: CONNECT for %s is left as it is", await conn.fetchval(
                "select current_user"), database, role)
        if owns_schema:
            await conn.execute(f"grant usage on schema public to {who}")
            # PostgreSQL 15 no longer lets PUBLIC create in schema public; older servers (or a
            # database made from an old template) still may.
            await conn.execute(f"revoke create on schema public from public, {who}")
        else:
            log.warning("schema public is not the migrating role's: check that neither PUBLIC nor %s may create in it", role)


async def register_signing_key(conn: asyncpg.Connection, key_file: Path) -> str:
    """As the owner: list the public half of the key in `key_file` (made there if missing) in signing_keys; its kid."""
    signer = load_signer(key_file)
    await conn.execute(compliance_queries.REGISTER_KEY, signer.kid, signer.public_key)
    return signer.kid


class SigningKeyNotRegistered(RuntimeError):
    """The service's key is not in signing_keys and the service's role may not add it."""


async def check_signing_key(conn: asyncpg.Connection, signer: Signer, key_file: Path) -> None:
    """At start: the service's key must be registered; a role that may register it (one role for both) does so."""
    if await conn.fetchval("select 1 from signing_keys where kid = $1", signer.kid):
        return
    if await conn.fetchval("select has_table_privilege('signing_keys', 'INSERT')"):
        await conn.execute(compliance_queries.REGISTER_KEY, signer.kid, signer.public_key)
        return
    raise SigningKeyNotRegistered(
        f"the signing key {signer.kid} ({key_file}) is not registered and the service's role may not register keys: "
        "run `ce-service migrate` with CE_OWNER_DATABASE_URL and the same CE_SIGNING_KEY_FILE first")
