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
    "rolreplication": "replication",
}
# Attributes a role has again after SET ROLE to a role that has them (replication counts only at login).
INHERITED_ATTRIBUTES = ("rolsuper", "rolcreaterole", "rolcreatedb", "rolbypassrls")

# Predefined roles whose members can reach past the database's privileges: the server's files and
# programs (COPY ... PROGRAM, pg_read_file), other sessions, or every table.
FORBIDDEN_MEMBERSHIPS = {
    "pg_execute_server_program": "may run programs on the database server",
    "pg_write_server_files": "may write files on the database server",
    "pg_read_server_files": "may read files on the database server",
    "pg_signal_backend": "may cancel or end other sessions",
    "pg_write_all_data": "may write every table",
}

# Not a schema of the server itself (pg_catalog, pg_toast, temporary schemas, information_schema).
_NOT_SYSTEM = r"nspname not like 'pg\_%' and nspname <> 'information_schema'"

# Every object of this database that `$1` owns or has the privileges of the owner of: its owner,
# what kind of object it is and its name. Relations, functions, types and schemas are read from
# their catalogs; everything else (operators, collations, extensions, large objects, ...) from the
# owner dependencies in pg_shdepend.
_OWNED_SQL = f"""
with ours as (select oid, nspname from pg_namespace where {_NOT_SYSTEM})
select pg_get_userbyid(datdba) as owner, 0 as sort, 'database' as kind, datname::text as name
  from pg_database where datname = current_database() and pg_has_role($1::name, datdba, 'MEMBER')
union all
select pg_get_userbyid(nspowner), 1, 'schema', nspname::text
  from pg_namespace where {_NOT_SYSTEM} and pg_has_role($1::name, nspowner, 'MEMBER')
union all
select pg_get_userbyid(c.relowner), 2, 'relation',
       case when n.nspname = 'public' then c.relname::text else n.nspname || '.' || c.relname end
  from pg_class c join ours n on n.oid = c.relnamespace
 where c.relkind in ('r', 'p', 'v', 'm', 'f', 'S') and pg_has_role($1::name, c.relowner, 'MEMBER')
union all
select pg_get_userbyid(p.proowner), 3, 'function', p.oid::regprocedure::text
  from pg_proc p join ours n on n.oid = p.pronamespace where pg_has_role($1::name, p.proowner, 'MEMBER')
union all
select pg_get_userbyid(t.typowner), 4, 'type', t.oid::regtype::text
  from pg_type t join ours n on n.oid = t.typnamespace
 where pg_has_role($1::name, t.typowner, 'MEMBER')
   and (t.typrelid = 0 or (select relkind from pg_class where oid = t.typrelid) = 'c')  -- no table's row type
   and not exists (select 1 from pg_type e where e.typarray = t.oid)                   -- no implicit array type
union all
select pg_get_userbyid(d.refobjid), 5, 'other', pg_describe_object(d.classid, d.objid, d.objsubid)
  from pg_shdepend d
 where d.deptype = 'o' and d.refclassid = 'pg_authid'::regclass
   and d.dbid = (select oid from pg_database where datname = current_database())
   and d.classid not in ('pg_class'::regclass, 'pg_proc'::regclass, 'pg_type'::regclass,
                         'pg_namespace'::regclass, 'pg_default_acl'::regclass)
   and pg_has_role($1::name, d.refobjid, 'MEMBER')
order by sort, owner, name
"""
_KINDS = {"schema": "schema(s)", "relation": "table(s) or sequence(s)", "function": "function(s)",
          "type": "type(s)", "other": "other object(s)"}


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
    superuser, may create roles or databases, bypasses row security or replicates, is a member of
    a role that may, or of one that reaches the server's files, programs or other sessions, or has
    the privileges of the owner of the database or of any schema, table, function, type or other
    object in it is refused.
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
            + f". Use a role that owns nothing and is a member of no such role (e.g. `alter role {role} nosuperuser"
              f" nocreatedb nocreaterole nobypassrls noreplication`, `revoke <that role> from {role}`,"
              f" `reassign owned by {role} to {owner}`), or leave CE_OWNER_DATABASE_URL unset to run as one role")
    return role


async def service_role_problems(conn: asyncpg.Connection, role: str) -> list[str]:
    """What `role` could do that the service must not: attributes, and owning (or acting as an owner of) anything ours.

    Acting as: being a member, however indirectly, of a role that has the attribute or owns the
    object, since a member may SET ROLE to it (or has its privileges outright).
    """
    attributes = await conn.fetchrow(
        f"select {', '.join(FORBIDDEN_ATTRIBUTES)} from pg_roles where rolname = $1", role)
    problems = [f"it is {word}" for column, word in FORBIDDEN_ATTRIBUTES.items() if attributes[column]]
    if attributes["rolsuper"]:
        return problems   # a superuser is a member of every role: the rest would list everything
    memberships = await conn.fetch(
        f"""select rolname, {', '.join(INHERITED_ATTRIBUTES)} from pg_roles
            where rolname <> $1::name and ({' or '.join(INHERITED_ATTRIBUTES)} or rolname = any($2::name[]))
              and pg_has_role($1::name, oid, 'MEMBER')
            order by rolname""", role, list(FORBIDDEN_MEMBERSHIPS))
    for row in memberships:
        if words := [FORBIDDEN_ATTRIBUTES[column] for column in INHERITED_ATTRIBUTES if row[column]]:
            problems.append(f"it is a member of {row['rolname']}, which is {', '.join(words)}")
        if what := FORBIDDEN_MEMBERSHIPS.get(row["rolname"]):
            problems.append(f"it is a member of {row['rolname']}, which {what}")
    if await conn.fetchval("select pg_has_role($1, current_user, 'MEMBER')", role):
        problems.append("it is a member of the owner")
    owned: dict[tuple[str, str], list[str]] = {}
    for row in await conn.fetch(_OWNED_SQL, role):
        owned.setdefault((row["owner"], row["kind"]), []).append(row["name"])
    for (owner, kind), names in owned.items():
        who = "it owns" if owner == role else f"it is a member of {owner}, which owns"
        if kind == "database":
            problems.append(f"{who} the database")
        elif kind == "schema" and len(names) == 1:
            problems.append(f"{who} schema {names[0]}")
        else:
            listed = ", ".join(names[:5]) + (" …" if len(names) > 5 else "")
            problems.append(f"{who} {len(names)} {_KINDS[kind]} ({listed})")
    return problems


async def acts_as_owner(conn: asyncpg.Connection) -> bool:
    """True when the connected role is a superuser or has the privileges of the owner of a table of ours."""
    return await conn.fetchval(
        """select exists (select 1 from pg_roles where rolsuper and pg_has_role(current_user, oid, 'MEMBER'))
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
