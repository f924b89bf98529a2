"""The ce-service command: serve, worker, migrate, demo, clients, users, units, series, rules, routing, platforms."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg

from ce_service import db_roles
from ce_service.db import init_connection
from ce_service.db_roles import RoleError, register_signing_key, role_of
from ce_service.embedded import EmbeddedUnavailable, Services, resolve_services, stop_embedded
from ce_service.errors import DomainError
from ce_service.logs import setup_logging
from ce_service.migrate import MigrationError, migrate, pending_migrations
from ce_service.settings import Settings, SettingsError, load_settings

log = logging.getLogger("ce_service")


class CommandError(Exception):
    """A command cannot go on; the message says why and what to do."""


def _services(settings: Settings) -> Services:
    """Find or start the database and Redis, log which are in use, and bring the schema up to date."""
    services = _resolve(settings)
    if settings.embedded_db:
        _migrate_and_ship_rules(services, settings.signing_key_file)
    return services


def _resolve(settings: Settings) -> Services:
    """The URLs in use (embedded servers started if needed), logged; a warning when one role does everything."""
    services = resolve_services(settings.database_url, settings.redis_url, settings.data_dir,
                                settings.owner_database_url)
    log.info(services.description)
    if role_of(services.owner_database_url) == role_of(services.database_url):
        # One role for both (CE_OWNER_DATABASE_URL unset, as processes other than `migrate` should have it):
        # fine when that role owns nothing, which only the database can tell.
        try:
            acts_as_owner = asyncio.run(_with_connection(services.database_url, db_roles.acts_as_owner))
        except (OSError, asyncpg.PostgresError):
            acts_as_owner = False   # the command itself will say what is wrong with the database
        if acts_as_owner:
            log.warning(
                "the service connects to the database as %r, the owner of its tables (or a superuser): anyone holding "
                "the service's credentials could disable the audit triggers and rewrite the record history. Give "
                "CE_DATABASE_URL a role that owns nothing and keep the owner's URL in CE_OWNER_DATABASE_URL, for "
                "`ce-service migrate` only (README: \"Two database roles\")", role_of(services.database_url))
    return services


def _migrate_and_ship_rules(services: Services, signing_key_file: Path) -> list[str]:
    """As the owner: apply pending migrations, grant the service's role its privileges, load any shipped rule
    set the database has never seen, and register the public half of the signing key (made if missing)."""
    from ce_service.rules.store import ensure_shipped_rule_sets

    owner_url = services.owner_database_url or services.database_url
    applied = asyncio.run(migrate(owner_url, service_url=services.database_url))
    if applied:
        log.info("applied migrations: %s", ", ".join(applied))

    async def owner_steps(conn: asyncpg.Connection) -> tuple[list, str]:
        loaded = await ensure_shipped_rule_sets(conn)
        try:
            return loaded, await register_signing_key(conn, signing_key_file)
        except ValueError as exc:   # the file holds no key
            raise CommandError(str(exc)) from None

    loaded_sets, kid = asyncio.run(_with_connection(owner_url, owner_steps))
    for loaded in loaded_sets:
        log.info("loaded rule set %s version %d: %s", loaded.name, loaded.version, ", ".join(loaded.rules))
    log.debug("signing key %s (%s) is registered", kid, signing_key_file)
    return applied


async def _with_connection(database_url: str, work: Callable[[asyncpg.Connection], Awaitable[Any]]) -> Any:
    conn = await asyncpg.connect(database_url)
    await init_connection(conn)
    try:
        return await work(conn)
    finally:
        await conn.close()


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> None:
    """Apply pending migrations."""
    services = _resolve(settings)
    applied = _migrate_and_ship_rules(services, settings.signing_key_file)
    print("applied: " + ", ".join(applied) if applied else "the database is up to date")


def cmd_serve(settings: Settings, args: argparse.Namespace) -> None:
    """Serve the API and the PWA (and, with embedded services, run jobs in-process)."""
    from ce_service.serving import serve

    if args.demo:
        _refuse_demo_in_production(settings)
    services = _services(settings)
    if not settings.embedded_db:
        pending = asyncio.run(_with_connection(services.database_url, pending_migrations))
        if pending:
            raise CommandError(f"{len(pending)} migration(s) pending ({pending[0].filename} …): run 'ce-service migrate' first")
    if args.demo:
        _load_demo(services.owner_database_url or services.database_url, quiet_if_loaded=True)
    # Worker processes of uvicorn read these; the embedded servers stay owned by this process.
    # They never need the owner's credentials.
    os.environ["CE_DATABASE_URL"] = services.database_url
    os.environ.pop("CE_OWNER_DATABASE_URL", None)
    os.environ["CE_REDIS_URL"] = services.redis_url
    os.environ["CE_SECRET_KEY"] = settings.secret_key
    os.environ["CE_DATA_DIR"] = str(settings.data_dir)
    if settings.embedded_db or settings.embedded_redis or args.with_worker:
        os.environ["CE_INPROCESS_WORKER"] = "1"
    host = args.host or settings.host
    port = args.port or settings.port
    log.info("serving on http://%s:%d (%d worker process%s)", host, port, args.workers, "" if args.workers == 1 else "es")
    if args.access_log:
        os.environ["CE_ACCESS_LOG"] = "1"
    serve(host, port, args.workers, settings.log_level.lower(), settings.log_format, settings.trusted_proxies)


def cmd_worker(settings: Settings, args: argparse.Namespace) -> None:
    """Run the arq worker until stopped."""
    from arq import Worker

    from ce_service.jobs import worker_settings

    services = _services(settings)
    from ce_service.compliance.receipts import load_signer

    options = worker_settings(services.database_url, services.redis_url, max_hours=settings.max_hours_per_record,
                              job_timeout=settings.job_timeout_seconds, signer=load_signer(settings.signing_key_file),
                              checkpoint_file=settings.audit_checkpoint_file)
    options["handle_signals"] = True
    Worker(**options).run()


def cmd_demo(settings: Settings, args: argparse.Namespace) -> None:
    """Load the demo data and print the credentials it made."""
    _refuse_demo_in_production(settings)
    services = _services(settings)
    _load_demo(services.owner_database_url or services.database_url, quiet_if_loaded=False)


def _refuse_demo_in_production(settings: Settings) -> None:
    if settings.environment == "production":
        raise CommandError("demo data (with its well-known demo password) is never loaded when CE_ENV=production")


def _load_demo(database_url: str, quiet_if_loaded: bool) -> None:
    # Loaded as the tables' owner, like a restore: only the owner may write histories dated in the past.
    from ce_service.demo import load_demo

    report = asyncio.run(_with_connection(database_url, load_demo))
    if report is None:
        if not quiet_if_loaded:
            print("The demo data is already loaded (its credentials were printed when it was loaded).")
        return
    print(report)


def cmd_clients_create(settings: Settings, args: argparse.Namespace) -> None:
    """Create an API client and print its token as the last line."""
    from ce_service.auth.service import create_client

    services = _services(settings)
    client_id, token = asyncio.run(_with_connection(
        services.database_url, lambda conn: create_client(conn, args.name, args.kind, args.region or [], args.rate)))
    print(f"created {args.kind} client {client_id} ({args.name}); its token is shown once, below:")
    print(token)


def cmd_clients_list(settings: Settings, args: argparse.Namespace) -> None:
    """List API clients (never their tokens)."""
    from ce_service.auth import queries

    services = _services(settings)
    rows = asyncio.run(_with_connection(services.database_url, lambda conn: conn.fetch(queries.LIST_CLIENTS)))
    for r in rows:
        state = f"revoked {r['revoked_at']:%Y-%m-%d}" if r["revoked_at"] else "active"
        regions = ",".join(r["regions"]) or "all regions"
        rate = f"{r['requests_per_second']}/s" if r["requests_per_second"] else f"{settings.client_rate_limit}/s (default)"
        print(f"{r['id']:>5}  {r['kind']:<14} {r['token_hint']}…  {state:<18} {regions:<14} {rate:<16} {r['name']}")


def cmd_clients_rate(settings: Settings, args: argparse.Namespace) -> None:
    """Set a client's own requests-per-second limit, or put it back on the default."""
    from ce_service.auth.service import set_rate

    services = _services(settings)
    rate = None if args.rate == "default" else _positive(args.rate)
    asyncio.run(_with_connection(services.database_url, lambda conn: set_rate(conn, args.id, rate)))
    shown = f"{rate} requests per second" if rate else f"the default ({settings.client_rate_limit} per second)"
    print(f"client {args.id} may now send {shown}; processes apply it within {settings.client_cache_seconds} s")


def _positive(raw: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise CommandError(f"{raw!r} is not a positive whole number (or 'default')")
    return int(raw)


def cmd_clients_revoke(settings: Settings, args: argparse.Namespace) -> None:
    """Revoke an API client's token."""
    from ce_service.auth import queries

    services = _services(settings)
    result = asyncio.run(_with_connection(services.database_url, lambda conn: conn.execute(queries.REVOKE_CLIENT, args.id)))
    if result.endswith(" 0"):
        raise CommandError(f"no active client with id {args.id}")
    print(f"revoked client {args.id}")


def cmd_clients_rotate(settings: Settings, args: argparse.Namespace) -> None:
    """Give a client a new token (same client, same records); print it as the last line."""
    from ce_service.auth.service import rotate_token

    services = _services(settings)
    token = asyncio.run(_with_connection(services.database_url, lambda conn: rotate_token(conn, args.id)))
    print(f"client {args.id} has a new token; the old one no longer works (processes may accept it for up to "
          f"{settings.client_cache_seconds} s). It is shown once, below:")
    print(token)


def cmd_users_create(settings: Settings, args: argparse.Namespace) -> None:
    """Create a user bound to the scope of their role."""
    from ce_service.auth.service import create_user

    password = _password_from(args)
    services = _services(settings)
    user_id = asyncio.run(_with_connection(services.database_url, lambda conn: create_user(
        conn, username=args.username, display_name=args.name or args.username, role=args.role, password=password,
        national_id=args.national_id, unit_code=args.unit, region_prefix=args.region)))
    print(f"created {args.role} user {user_id} ({args.username})")


def _password_from(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return args.password if args.password is not None else getpass.getpass("password: ")


def cmd_users_state(settings: Settings, args: argparse.Namespace) -> None:
    """Disable, enable, reset the password of, or end the sessions of a user; every one ends their sessions."""
    from ce_service.auth.service import set_user_state

    password = _password_from(args) if args.action == "reset-password" else None
    services = _services(settings)
    print(asyncio.run(_with_connection(services.database_url, lambda conn: set_user_state(
        conn, args.username, args.action, password))))


def cmd_units_add(settings: Settings, args: argparse.Namespace) -> None:
    """Add or update an employer unit."""
    from ce_service.people.units import save_unit

    services = _services(settings)
    asyncio.run(_with_connection(services.database_url, lambda conn: save_unit(
        conn, args.code, args.name, args.kind, args.region, args.department or "")))
    print(f"saved unit {args.code} ({args.name})")


def cmd_series_list(settings: Settings, args: argparse.Namespace) -> None:
    """List the title series with how many people are in each."""
    from ce_service.people.series import list_series

    services = _services(settings)
    for r in asyncio.run(_with_connection(services.database_url, list_series)):
        print(f"{r['code']:<30} {r['people']:>8}  {r['name_zh']}")


def cmd_series_add(settings: Settings, args: argparse.Namespace) -> None:
    """Add a title series."""
    from ce_service.people.series import add_series

    services = _services(settings)
    asyncio.run(_with_connection(services.database_url, lambda conn: add_series(conn, args.code, args.name_zh)))
    print(f"added series {args.code} ({args.name_zh.strip()})")


def cmd_rules_load(settings: Settings, args: argparse.Namespace) -> None:
    """Check a rule-set file and store it as the new version in force."""
    from ce_service.rules.loader import RuleSetInvalid
    from ce_service.rules.store import load_rule_set

    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read {path}: {exc}") from None
    services = _services(settings)
    try:
        loaded = asyncio.run(_with_connection(
            services.database_url, lambda conn: load_rule_set(conn, text, f"cli:{getpass.getuser()}:{path.name}")))
    except RuleSetInvalid as exc:
        lines = "\n".join(f"  {path.name}: {p}" for p in exc.problems)
        raise CommandError(f"{path.name} has {len(exc.problems)} problem(s); nothing was loaded:\n{lines}") from None
    if loaded.unchanged:
        print(f"rule set {loaded.name} version {loaded.version} already holds exactly this file; nothing to do")
    else:
        print(f"loaded rule set {loaded.name} version {loaded.version}: {', '.join(loaded.rules)}")


def cmd_rules_list(settings: Settings, args: argparse.Namespace) -> None:
    """List every version of every rule set; the newest of each name is in force."""
    from ce_service.rules import queries

    services = _services(settings)
    rows = asyncio.run(_with_connection(services.database_url, lambda conn: conn.fetch(queries.LIST_RULE_SETS)))
    for r in rows:
        print(f"{r['name']:<12} v{r['version']:<3} {r['loaded_at']:%Y-%m-%d %H:%M}  {r['loaded_by']:<28} {r['title']}")


def cmd_audit_verify(settings: Settings, args: argparse.Namespace) -> None:
    """Check the chain, its head, every record row and every signed checkpoint; name each problem found."""
    from ce_service.audit.checkpoints import read_file
    from ce_service.audit.trail import verify_trail

    kept, unreadable = [], []
    files = [Path(f) for f in args.checkpoints or []]
    if settings.audit_checkpoint_file.exists():
        files.insert(0, settings.audit_checkpoint_file)
    for file in files:
        try:
            found, bad = read_file(file)
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc}") from None
        kept += found
        unreadable += bad
    trusted = _trusted_keys(settings, args.keys)
    services = _services(settings)
    report = asyncio.run(_with_connection(services.database_url, lambda conn: verify_trail(conn, trusted, kept)))
    findings = unreadable + report.findings
    summary = (f"{report.events} events, {report.records} records, {report.checkpoints} signed checkpoints "
               f"({len(kept)} read from {len(files)} file(s))")
    for warning in report.warnings:
        print(f"WARNING: {warning}", file=sys.stderr)
    if findings:
        for finding in findings:
            print(f"BROKEN: {finding}", file=sys.stderr)
        raise CommandError(f"audit trail BROKEN: {len(findings)} problem(s) in {summary}")
    print(f"audit trail intact: {summary} verified")


def _trusted_keys(settings: Settings, keys_file: str | None) -> dict[str, bytes]:
    """The service's own key (from its key file, never from the database) and any keys pinned in a file."""
    from ce_service.compliance.receipts import key_id, load_signer, unb64url

    trusted = {}
    if settings.signing_key_file.exists():
        signer = load_signer(settings.signing_key_file)
        trusted[signer.kid] = signer.public_key
    if keys_file:
        try:
            listed = json.loads(Path(keys_file).read_text(encoding="utf-8"))["keys"]
            for key in listed:
                raw = unb64url(key["public_key"])
                if key_id(raw) != key["kid"]:
                    raise ValueError(f"kid {key['kid']} does not name its key")
                trusted[key["kid"]] = raw
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CommandError(f"{keys_file} is not a key list like GET /api/v1/compliance/keys gives: {exc}") from None
    return trusted


def cmd_embedded_stop(settings: Settings, args: argparse.Namespace) -> None:
    """Stop the embedded servers of the data folder left running by a killed process, naming each."""
    for line in stop_embedded(settings.data_dir, force=args.force):
        print(line)


def cmd_audit_checkpoint(settings: Settings, args: argparse.Namespace) -> None:
    """Sign the chain head now; store it and append it to the checkpoint file."""
    from ce_service.audit.checkpoints import make_checkpoint
    from ce_service.compliance.receipts import load_signer

    signer = load_signer(settings.signing_key_file)
    services = _services(settings)
    made = asyncio.run(_with_connection(services.database_url, lambda conn: make_checkpoint(
        conn, signer, settings.audit_checkpoint_file)))
    if made is None:
        print("no new events since the last checkpoint; nothing signed")
    else:
        print(f"checkpoint signed: event {made.seq}, hash {made.hash}, at {made.at}, key {made.kid}; "
              f"appended to {settings.audit_checkpoint_file}")


def cmd_routing_list(settings: Settings, args: argparse.Namespace) -> None:
    """Show who verifies what."""
    from ce_service.review.routing import routing_table

    services = _services(settings)
    for r in asyncio.run(_with_connection(services.database_url, routing_table)):
        steps = " → ".join(r["steps"]) or "registered on arrival"
        print(f"{r['source']:<11} {r['series'] or '(any series)':<16} {r['affiliation'] or '(any)':<9} "
              f"{r['region_prefix'] or '(anywhere)':<10} {steps:<24} {r['note']}")


def cmd_routing_set(settings: Settings, args: argparse.Namespace) -> None:
    """Add or change one routing rule."""
    from ce_service.review.routing import set_route

    steps = [s.strip() for s in args.steps.split(",") if s.strip()] if args.steps != "-" else []
    services = _services(settings)
    asyncio.run(_with_connection(services.database_url, lambda conn: set_route(
        conn, args.source, args.series, args.region or "", steps, args.note or "", args.affiliation)))
    print(f"{args.source} {args.series or '(any series)'} {args.affiliation or '(any affiliation)'} "
          f"{args.region or '(anywhere)'}: {' → '.join(steps) or 'registered on arrival'}")


def build_parser() -> argparse.ArgumentParser:
    """The command line, one sub-command per job."""
    parser = argparse.ArgumentParser(prog="ce-service", description="继续教育学时登记与达标查询服务 (ce-service)")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the API and the web app")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.add_argument("--demo", action="store_true", help="load the demo data first if it is not there yet")
    serve.add_argument("--with-worker", action="store_true", help="also run background jobs in the serving process")
    serve.add_argument("--access-log", action="store_true", help="log every request")
    serve.set_defaults(run=cmd_serve)

    sub.add_parser("worker", help="run the background job worker (arq)").set_defaults(run=cmd_worker)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(run=cmd_migrate)
    sub.add_parser("demo", help="load demo data and print its credentials").set_defaults(run=cmd_demo)

    clients = sub.add_parser("clients", help="API clients (machine tokens)").add_subparsers(dest="action", required=True)
    create = clients.add_parser("create", help="create a client and print its token")
    create.add_argument("--name", required=True)
    create.add_argument("--kind", required=True, choices=["provider", "review_system", "hr_system"])
    create.add_argument("--region", action="append", help="limit to a region prefix (repeatable)")
    create.add_argument("--rate", type=int, help="its own limit of requests per second (default: CE_CLIENT_RATE_LIMIT)")
    create.set_defaults(run=cmd_clients_create)
    clients.add_parser("list", help="list clients").set_defaults(run=cmd_clients_list)
    revoke = clients.add_parser("revoke", help="revoke a client's token")
    revoke.add_argument("id", type=int)
    revoke.set_defaults(run=cmd_clients_revoke)
    rotate = clients.add_parser("rotate", help="replace a client's token, keeping the client and its records")
    rotate.add_argument("id", type=int)
    rotate.set_defaults(run=cmd_clients_rotate)
    rate = clients.add_parser("rate", help="set a client's requests-per-second limit ('default' to clear it)")
    rate.add_argument("id", type=int)
    rate.add_argument("rate")
    rate.set_defaults(run=cmd_clients_rate)

    users = sub.add_parser("users", help="people who sign in").add_subparsers(dest="action", required=True)
    ucreate = users.add_parser("create", help="create a user")
    ucreate.add_argument("--username", required=True)
    ucreate.add_argument("--role", required=True,
                         help="professional, admin, or a reviewer role (unit_reviewer, hr_reviewer, health_reviewer, "
                              "or any other a verifier kind names)")
    ucreate.add_argument("--name", help="display name")
    ucreate.add_argument("--password", help="the password (or --password-stdin, or a prompt)")
    ucreate.add_argument("--password-stdin", action="store_true")
    ucreate.add_argument("--national-id", help="professional: the person's ID number")
    ucreate.add_argument("--unit", help="reviewers bound to a unit, an agency or an industry department "
                                        "(unit_reviewer, agency_reviewer, industry_reviewer): its credit code")
    ucreate.add_argument("--region", help="reviewers bound to a region (hr_reviewer, health_reviewer …): 52, 5226, 522601")
    ucreate.set_defaults(run=cmd_users_create)
    for action, help_text in (("disable", "refuse a user's sign-in and end their sessions"),
                              ("enable", "allow a disabled user to sign in again"),
                              ("reset-password", "set a new password and end the user's sessions"),
                              ("end-sessions", "sign a user out everywhere")):
        state = users.add_parser(action, help=help_text)
        state.add_argument("username")
        if action == "reset-password":
            state.add_argument("--password", help="the new password (or --password-stdin, or a prompt)")
            state.add_argument("--password-stdin", action="store_true")
        state.set_defaults(run=cmd_users_state)

    rules = sub.add_parser("rules", help="yearly requirements as data").add_subparsers(dest="action", required=True)
    rload = rules.add_parser("load", help="check a rule-set file (TOML) and put it in force as a new version")
    rload.add_argument("file")
    rload.set_defaults(run=cmd_rules_load)
    rules.add_parser("list", help="list rule-set versions").set_defaults(run=cmd_rules_list)

    routing = sub.add_parser("routing", help="who verifies what (data, no deploy)").add_subparsers(
        dest="action", required=True)
    routing.add_parser("list", help="show the routing rules").set_defaults(run=cmd_routing_list)
    rset = routing.add_parser("set", help="add or change the steps for a source (and series, region)")
    rset.add_argument("--source", required=True)
    rset.add_argument("--series", help="only for this series (default: any)")
    rset.add_argument("--region", help="only for this region prefix (default: anywhere)")
    rset.add_argument("--affiliation", choices=["unit", "agency", "industry"],
                      help="only for people whose period names a unit, an agency or an industry department "
                           "(default: any)")
    rset.add_argument("--steps", required=True, help="verifier kinds in order, e.g. unit,hr; '-' for none")
    rset.add_argument("--note")
    rset.set_defaults(run=cmd_routing_set)

    embedded = sub.add_parser("embedded", help="the embedded PostgreSQL and Redis of the data folder").add_subparsers(
        dest="action", required=True)
    estop = embedded.add_parser("stop", help="stop servers left running by a killed process (kill -9), naming each")
    estop.add_argument("--force", action="store_true", help="stop them even while a living process uses them")
    estop.set_defaults(run=cmd_embedded_stop)

    audit = sub.add_parser("audit", help="the record history's hash chain").add_subparsers(dest="action", required=True)
    verify = audit.add_parser("verify", help="check the chain, every record row and every signed checkpoint")
    verify.add_argument("--checkpoints", action="append", metavar="FILE",
                        help="a checkpoint file kept outside the database (JSON lines); may be repeated")
    verify.add_argument("--keys", metavar="FILE", help="pinned keys, as GET /api/v1/compliance/keys gives them")
    verify.set_defaults(run=cmd_audit_verify)
    audit.add_parser("checkpoint", help="sign the chain head now").set_defaults(run=cmd_audit_checkpoint)

    units = sub.add_parser("units", help="employer units").add_subparsers(dest="action", required=True)
    uadd = units.add_parser("add", help="add or update a unit, a personnel agency or an industry department")
    uadd.add_argument("--code", required=True, help="unified social credit code")
    uadd.add_argument("--name", required=True)
    uadd.add_argument("--kind", default="enterprise",
                      choices=["government", "public_institution", "enterprise", "private", "social_org", "other",
                               "agency", "industry"],
                      help="agency: 人事代理机构, industry: 行业主管部门 (named by a period's agency); else an employer unit")
    uadd.add_argument("--region", required=True, help="6-digit division code")
    uadd.add_argument("--department", help="competent department (主管部门)")
    uadd.set_defaults(run=cmd_units_add)

    series = sub.add_parser("series", help="title series (职称系列)").add_subparsers(dest="action", required=True)
    series.add_parser("list", help="list series with how many people are in each").set_defaults(run=cmd_series_list)
    sadd = series.add_parser("add", help="add a series")
    sadd.add_argument("--code", required=True, help="lower-case ASCII, e.g. party_school_teacher")
    sadd.add_argument("--name-zh", required=True, help="the Chinese name, e.g. 党校（行政学院）教师")
    sadd.set_defaults(run=cmd_series_add)

    from ce_service.platforms.commands import register as register_platforms
    register_platforms(sub)
    from ce_service.imports.commands import register as register_import
    register_import(sub)
    return parser


def _exit_on_signal(number: int, frame: Any) -> None:
    if number != signal.SIGTERM:
        # SIGHUP is taken as SIGTERM: a running server (uvicorn, arq) stops gracefully on that, where an exception
        # raised into its event loop could be caught by a task and leave it serving.
        signal.raise_signal(signal.SIGTERM)
        return
    raise SystemExit(128 + number)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ce-service command."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"ce-service: configuration error: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings.log_level, settings.log_format)
    # SIGTERM (systemd, Docker, kill) and SIGHUP (a closed terminal) end the command as Ctrl-C does: by an exception,
    # so that exit handlers run and the embedded servers this process started are stopped with it. Servers that
    # catch these signals themselves (uvicorn, arq) raise them again when done, which lands here.
    if threading.current_thread() is threading.main_thread():   # (a command run from a thread, as tests do, cannot)
        for number in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(number, _exit_on_signal)
    try:
        args.run(settings, args)
    except DomainError as exc:
        details = "; ".join(f"{e.field}: {e.message}" for e in getattr(exc, "errors", [])) or exc.detail
        print(f"ce-service: {details}", file=sys.stderr)
        return 1
    except (CommandError, MigrationError, RoleError, EmbeddedUnavailable) as exc:
        print(f"ce-service: {exc}", file=sys.stderr)
        return 1
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"ce-service: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0
