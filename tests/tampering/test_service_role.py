"""The service's database role owns nothing: holding its credentials is not enough to rewrite the history.

Every statement here is what an insider with CE_DATABASE_URL would try; each is refused by
PostgreSQL's privileges (insufficient privilege, or must be owner), before any trigger is asked.
The app itself runs as that role in every test (the `api` fixture), so the normal flow working is
shown by the whole suite; one flow here also checks that the chain head still moves.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date

import asyncpg
import pytest

from ce_service import db_roles
from ce_service.migrate import migrate
from tests.builders import national_id, person, sign_in, user
from tests.conftest import SERVICE_ROLE, service_url_for


@pytest.fixture
async def service(service_database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection as the service's role, as the app makes it."""
    conn = await asyncpg.connect(service_database_url)
    yield conn
    await conn.close()


@pytest.fixture
async def history(db) -> str:
    """A record with one event, so that there is history to tamper with; its id."""
    pid = await person(db, national_id(7))
    rid = await db.fetchval(
        "insert into records (person_id, year, category, half_hours, course_title, completed_on, source, status)"
        " values ($1, 2024, 'public', 4, '课程', '2024-03-01', 'self', 'draft') returning id", pid)
    await db.execute("insert into record_events (record_id, actor_kind, actor_name, role, action, to_status)"
                     " values ($1, 'system', 'test', 'system', 'create', 'draft')", rid)
    return str(rid)


REFUSED = [
    "alter table record_events disable trigger all",
    "alter table records disable trigger all",
    "alter table integrity_entries disable trigger all",
    "drop trigger record_events_append_only on record_events",
    "update record_events set reason = 'x'",
    "delete from record_events",
    "truncate record_events",
    "update integrity_entries set reason = 'x'",
    "delete from integrity_entries",
    "insert into signing_keys (kid, public_key) values ('forged', '\\x00'::bytea)",
    "update signing_keys set public_key = '\\x00'::bytea",
    "delete from signing_keys",
    "update event_chain_head set seq = 0",
    "delete from event_chain_head",
    "insert into schema_migrations (version, filename, checksum) values (9999, '9999_x.sql', 'x')",
    "delete from schema_migrations",
    "drop table records",
    "alter table records owner to current_user",
    "create table x (i int)",
    "create function f() returns int language sql as 'select 1'",
    "create trigger t before insert on records for each row execute function refuse_history_change()",
]


@pytest.mark.parametrize("statement", REFUSED)
async def test_the_service_role_may_not(service, history, statement):
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await service.execute(statement)


async def test_append_only_tables_take_no_change_from_the_service_role(service, db, history):
    for table, privileges in db_roles.PRIVILEGES.items():
        if not await db.fetchval("select to_regclass($1) is not null", table):
            continue   # a table of a later migration
        granted = {p for p in ("select", "insert", "update", "delete", "truncate", "references", "trigger")
                   if await db.fetchval("select has_table_privilege($1, $2, $3)", SERVICE_ROLE, table, p)}
        assert granted == set(privileges), table
    if await db.fetchval("select to_regclass('audit_checkpoints') is not null"):
        for statement in ("update audit_checkpoints set seq = 0", "delete from audit_checkpoints",
                          "truncate audit_checkpoints"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await service.execute(statement)


async def test_the_service_role_is_no_superuser_and_owns_nothing(service, db):
    assert await service.fetchval("select current_user") == SERVICE_ROLE
    role = await db.fetchrow("select * from pg_roles where rolname = $1", SERVICE_ROLE)
    assert not (role["rolsuper"] or role["rolcreaterole"] or role["rolcreatedb"] or role["rolbypassrls"])
    assert await db.fetchval("select count(*) from pg_tables where schemaname = 'public'") > 20
    assert await db.fetchval("select count(*) from pg_tables where tableowner = $1", SERVICE_ROLE) == 0
    assert not await db.fetchval("select pg_has_role($1, current_user, 'MEMBER')", SERVICE_ROLE)
    assert not await db.fetchval("select has_schema_privilege($1, 'public', 'CREATE')", SERVICE_ROLE)
    assert not await db.fetchval("select has_schema_privilege('public', 'public', 'CREATE')")
    assert await db_roles.service_role_problems(db, SERVICE_ROLE) == []


async def test_the_app_as_the_service_role_writes_history_and_moves_the_chain_head(api, db):
    head = await db.fetchval("select seq from event_chain_head")
    pid = await person(db, national_id(8))
    await user(db, "lisi", "professional", person_id=pid)
    pro = await sign_in(api, "lisi")
    year = date.today().year - 1
    created = await api.post("/api/v1/me/records", headers=pro, json={
        "year": year, "category": "professional", "hours": 6, "course_title": "课程", "completed_on": f"{year}-05-20"})
    assert created.status_code == 201, created.text
    submitted = await api.post(f"/api/v1/me/records/{created.json()['id']}/submit", headers=pro)
    assert submitted.status_code == 200, submitted.text
    assert await db.fetchval("select seq from event_chain_head") == head + 2
    keys = await api.get("/api/v1/compliance/keys")
    assert keys.status_code == 200 and len(keys.json()["keys"]) >= 1


async def test_a_new_table_gets_its_privileges_at_the_next_migration(database_url, db, service, tmp_path):
    from ce_service.settings import MIGRATIONS_DIR

    for path in MIGRATIONS_DIR.glob("*.sql"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "9000_later_table.sql").write_text("create table later_table (i int);\n")
    assert await migrate(database_url, tmp_path, service_url=service_url_for(database_url)) == ["9000_later_table.sql"]
    await service.execute("insert into later_table values (1)")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await service.execute("alter table later_table disable trigger all")


async def test_a_service_role_that_could_act_as_an_owner_is_refused(database_url, db):
    """Migrating with a service role that owns a table (or is a superuser) stops before anything is applied."""
    owner = await db.fetchval("select current_user")
    assert "it is superuser" in await db_roles.service_role_problems(db, owner)   # the test servers' owner
    await db.execute("create table stray (i int)")
    await db.execute(f"alter table stray owner to {SERVICE_ROLE}")
    try:
        with pytest.raises(db_roles.RoleError, match=r"owns 1 table\(s\) or sequence\(s\) \(stray\)"):
            await migrate(database_url, service_url=service_url_for(database_url))
    finally:
        await db.execute("drop table stray")
    assert await migrate(database_url, service_url=service_url_for(database_url)) == []


async def test_without_the_key_registered_the_app_does_not_start(servers, service_database_url, settings, db, tmp_path):
    from dataclasses import replace

    from litestar.testing import AsyncTestClient

    from ce_service.app import create_app

    other_key = replace(settings, signing_key_file=tmp_path / "other.key")
    app = create_app(other_key, service_database_url, servers.redis_url)
    with pytest.raises(BaseException) as caught:   # litestar's task group wraps it
        async with AsyncTestClient(app=app):
            pass
    errors = [caught.value]
    while isinstance(errors[-1], BaseExceptionGroup):
        errors.append(errors[-1].exceptions[0])
    assert isinstance(errors[-1], db_roles.SigningKeyNotRegistered) and "ce-service migrate" in str(errors[-1])


def _cli(monkeypatch, tmp_path, **env: str) -> None:
    for name in ("CE_DATABASE_URL", "CE_OWNER_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {"CE_REDIS_URL": "redis://127.0.0.1:1", "CE_DATA_DIR": str(tmp_path), "CE_LOG_FORMAT": "text",
                        **env}.items():
        monkeypatch.setenv(name, value)


def test_migrate_as_the_owner_then_commands_as_the_service_role(database_url, service_database_url, monkeypatch,
                                                                   tmp_path, capsys):
    from ce_service.cli import main

    # The migrate step: both URLs. It registers the signing key of this deployment's key file.
    _cli(monkeypatch, tmp_path, CE_DATABASE_URL=service_database_url, CE_OWNER_DATABASE_URL=database_url)
    assert main(["migrate"]) == 0
    out, err = capsys.readouterr()
    assert "up to date" in out and "WARNING" not in err, err
    assert (tmp_path / "signing_ed25519.key").exists()

    # Everything else: the service's URL only, and no warning, since its role owns nothing.
    _cli(monkeypatch, tmp_path, CE_DATABASE_URL=service_database_url)
    assert main(["clients", "create", "--name", "人社系统", "--kind", "hr_system"]) == 0
    out, err = capsys.readouterr()
    assert out.strip().splitlines()[-1].startswith("ce_") and "WARNING" not in err, err

    # One URL that owns the tables: it still works, with a warning.
    _cli(monkeypatch, tmp_path, CE_DATABASE_URL=database_url)
    assert main(["clients", "list"]) == 0
    out, err = capsys.readouterr()
    assert "人社系统" in out and "WARNING" in err and "disable the audit triggers" in err


async def test_the_migrate_step_registers_the_key_the_service_signs_with(database_url, db, monkeypatch, tmp_path):
    import asyncio

    from ce_service.cli import main
    from ce_service.compliance.receipts import load_signer

    _cli(monkeypatch, tmp_path, CE_DATABASE_URL=service_url_for(database_url), CE_OWNER_DATABASE_URL=database_url)
    assert await asyncio.to_thread(main, ["migrate"]) == 0
    kid = load_signer(tmp_path / "signing_ed25519.key").kid
    assert await db.fetchval("select count(*) from signing_keys where kid = $1", kid) == 1


def test_the_owner_url_is_checked_like_the_service_url():
    from ce_service.settings import SettingsError, load_settings

    base = {"CE_SECRET_KEY": "k" * 40}
    one = load_settings({**base, "CE_DATABASE_URL": "postgresql://ce@db/ce"})
    assert one.owner_database_url == "" and one.migration_database_url == "postgresql://ce@db/ce"
    two = load_settings({**base, "CE_DATABASE_URL": "postgresql://ce_service@db/ce",
                         "CE_OWNER_DATABASE_URL": "postgresql://ce@db/ce"})
    assert two.database_url == "postgresql://ce_service@db/ce" and two.migration_database_url == "postgresql://ce@db/ce"
    with pytest.raises(SettingsError, match="CE_OWNER_DATABASE_URL must start with postgresql://"):
        load_settings({**base, "CE_DATABASE_URL": "postgresql://a@db/ce", "CE_OWNER_DATABASE_URL": "mysql://ce@db"})
    with pytest.raises(SettingsError, match="CE_DATABASE_URL is not"):
        load_settings({**base, "CE_OWNER_DATABASE_URL": "postgresql://ce@db/ce"})


def test_role_names_are_read_from_urls_as_libpq_reads_them(monkeypatch):
    monkeypatch.setenv("PGUSER", "from_env")
    assert db_roles.role_of("postgresql://ce_service:pw@db:5432/ce") == "ce_service"
    assert db_roles.role_of("postgresql://db/ce?user=q_user") == "q_user"
    assert db_roles.role_of("postgresql:///ce?host=/run/pg") == "from_env"
    assert db_roles.url_for_role("postgresql://postgres:@/ce?host=/tmp/s", "ce_service", "p@ss") == \
        "postgresql://ce_service:p%40ss@/ce?host=/tmp/s"


async def test_the_running_chain_head_cannot_be_forged_through_its_setting(service, db, history):
    """Any session may write the setting the chain trigger keeps its running head in: a forged value is refused."""
    head = await db.fetchrow("select seq, hash from event_chain_head")
    for forged in ("9223372036854775806:" + "ab" * 32, f"{head['seq']}:" + "00" * 32, "500:" + "cd" * 32):
        with pytest.raises(asyncpg.RaiseError):
            async with service.transaction():
                await service.execute("select set_config('ce.chain_head', $1, true)", forged)
                await service.execute("insert into record_events (record_id, actor_kind, actor_name, role, action,"
                                      " from_status, to_status) values ($1, 'system', 'x', 'system', 'seal', 'draft',"
                                      " 'draft')", uuid.UUID(history))
        # Even a statement that writes no event cannot move the head through the setting.
        with pytest.raises(asyncpg.RaiseError):
            async with service.transaction():
                await service.execute("select set_config('ce.chain_head', $1, true)", forged)
                await service.execute("insert into record_events (record_id, actor_kind, actor_name, role, action,"
                                      " to_status) select id, 'system', 'x', 'system', 'seal', 'draft' from records"
                                      " where false")
    assert await db.fetchrow("select seq, hash from event_chain_head") == head


async def test_the_service_cannot_date_events_in_the_past(service, db, history):
    async with service.transaction():
        await service.execute("insert into record_events (record_id, at, actor_kind, actor_name, role, action,"
                              " from_status, to_status) values ($1, '2020-01-01', 'system', 'x', 'system', 'seal',"
                              " 'draft', 'draft')", uuid.UUID(history))
        now = await service.fetchval("select now()")
    assert await db.fetchval("select at from record_events order by chain_seq desc limit 1") == now


# What the red team found the check missed: roles the service's role can act as, and objects other than tables.

@asynccontextmanager
async def throwaway_roles(db, *options: str) -> AsyncIterator[list[str]]:
    """One new role per entry of `options` (e.g. "login", "nologin superuser"), named ce_rt_<8 hex digits>.

    Roles belong to the whole server: afterwards whatever they own here goes back to the owner and they are dropped.
    """
    names: list[str] = []
    try:
        for option in options:
            names.append(f"ce_rt_{uuid.uuid4().hex[:8]}")
            await db.execute(f"create role {names[-1]} {option}")
        yield names
    finally:
        for name in names:
            if await db.fetchval("select 1 from pg_roles where rolname = $1", name):
                await db.execute(f"reassign owned by {name} to current_user")
                await db.execute(f"drop owned by {name}")
                await db.execute(f"drop role {name}")


async def test_a_fresh_role_that_owns_nothing_passes_the_check(db):
    async with throwaway_roles(db, "login") as (role,):
        assert await db_roles.service_role_problems(db, role) == []


async def test_a_member_of_a_member_of_a_superuser_is_refused(database_url, db):
    async with throwaway_roles(db, "login", "nologin", "nologin superuser") as (role, middle, superuser):
        await db.execute(f"grant {superuser} to {middle}")
        await db.execute(f"grant {middle} to {role}")
        assert await db_roles.service_role_problems(db, role) == [f"it is a member of {superuser}, which is superuser"]
        with pytest.raises(db_roles.RoleError, match=f"it is a member of {superuser}, which is superuser"):
            await db_roles.prepare_service_role(db, db_roles.url_for_role(database_url, role, None))


async def test_a_member_of_a_role_that_may_create_roles_is_refused(db):
    async with throwaway_roles(db, "login", "nologin createrole createdb") as (role, creator):
        await db.execute(f"grant {creator} to {role}")
        assert await db_roles.service_role_problems(db, role) == [
            f"it is a member of {creator}, which is createrole, createdb"]


async def test_a_member_of_the_owner_of_the_tables_is_refused(db):
    async with throwaway_roles(db, "login", "nologin", "nologin") as (role, middle, owner):
        await db.execute(f"grant {owner} to {middle}")
        await db.execute(f"grant {middle} to {role}")
        await db.execute(f"alter table record_events owner to {owner}")
        assert await db_roles.service_role_problems(db, role) == [
            f"it is a member of {owner}, which owns 2 table(s) or sequence(s) (record_events, record_events_id_seq)"]


async def test_a_member_of_the_owner_of_the_database_is_refused(db):
    async with throwaway_roles(db, "login", "nologin") as (role, owner):
        await db.execute(f"grant {owner} to {role}")
        await db.execute(f"alter database {await db.fetchval('select current_database()')} owner to {owner}")
        problems = await db_roles.service_role_problems(db, role)
        assert f"it is a member of {owner}, which owns the database" in problems
        # From PostgreSQL 15 on, schema public belongs to whoever owns the database.
        assert set(problems) <= {f"it is a member of {owner}, which owns the database",
                                 "it is a member of pg_database_owner, which owns schema public"}


async def test_owning_the_chain_functions_is_refused(db):
    """The owner of a security-definer function may replace its body: the chain would hash what it is told."""
    async with throwaway_roles(db, "login") as (role,):
        await db.execute(f"alter function chain_record_event() owner to {role}")
        await db.execute(f"alter function record_event_content(record_events) owner to {role}")
        assert await db_roles.service_role_problems(db, role) == [
            "it owns 2 function(s) (chain_record_event(), record_event_content(record_events))"]


async def test_owning_a_type_is_refused(db):
    async with throwaway_roles(db, "login") as (role,):
        try:
            await db.execute(f"create type public.{role}_kind as enum ('a', 'b')")
            await db.execute(f"alter type public.{role}_kind owner to {role}")
            assert await db_roles.service_role_problems(db, role) == [f"it owns 1 type(s) ({role}_kind)"]
        finally:
            await db.execute(f"drop type if exists public.{role}_kind")


async def test_owning_any_other_object_in_the_database_is_refused(db):
    async with throwaway_roles(db, "login") as (role,):
        try:
            await db.execute(f'create collation public.{role}_c from "C"')
            await db.execute(f"alter collation public.{role}_c owner to {role}")
            await db.execute(f"create text search dictionary public.{role}_d (template = simple)")
            await db.execute(f"alter text search dictionary public.{role}_d owner to {role}")
            assert await db_roles.service_role_problems(db, role) == [
                f"it owns 2 other object(s) (collation {role}_c, text search dictionary {role}_d)"]
        finally:
            await db.execute(f"drop collation if exists public.{role}_c")
            await db.execute(f"drop text search dictionary if exists public.{role}_d")


async def test_owning_another_schema_is_refused(db):
    async with throwaway_roles(db, "login") as (role,):
        try:
            await db.execute(f"create schema {role}_s authorization {role}")
            await db.execute(f"create table {role}_s.t (i int)")   # the schema's owner is not the table's
            assert await db_roles.service_role_problems(db, role) == [f"it owns schema {role}_s"]
        finally:
            await db.execute(f"drop schema if exists {role}_s cascade")


@pytest.mark.parametrize("predefined", list(db_roles.FORBIDDEN_MEMBERSHIPS))
async def test_a_member_of_a_role_that_reaches_past_the_database_is_refused(db, predefined):
    async with throwaway_roles(db, "login", "nologin") as (role, middle):
        await db.execute(f"grant {predefined} to {middle}")
        await db.execute(f"grant {middle} to {role}")
        assert await db_roles.service_role_problems(db, role) == [
            f"it is a member of {predefined}, which {db_roles.FORBIDDEN_MEMBERSHIPS[predefined]}"]


async def test_a_replication_role_is_refused(db):
    async with throwaway_roles(db, "login replication") as (role,):
        assert await db_roles.service_role_problems(db, role) == ["it is replication"]
