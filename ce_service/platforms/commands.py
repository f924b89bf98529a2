"""`ce-service platforms …`: configure training platforms, see how their pulls stand, pull one now."""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path

from ce_service.settings import Settings


def _token(args: argparse.Namespace, required: bool) -> str | None:
    """The token from a file or an environment variable: never from the command line (shell history)."""
    from ce_service.cli import CommandError

    if args.token_file:
        return Path(args.token_file).read_text().strip()
    if args.token_env:
        value = os.environ.get(args.token_env, "").strip()
        if not value:
            raise CommandError(f"the environment variable {args.token_env} is empty")
        return value
    if required:
        raise CommandError("give the platform's token with --token-file PATH or --token-env VARIABLE")
    return None


def cmd_add(settings: Settings, args: argparse.Namespace) -> None:
    """Configure a platform to pull from."""
    from ce_service.cli import _services, _with_connection
    from ce_service.platforms.service import add_platform

    token = _token(args, required=True)
    services = _services(settings)
    asyncio.run(_with_connection(services.database_url, lambda conn: add_platform(
        conn, args.name, args.base_url, token, args.region, args.interval, args.display_name)))
    print(f"platform {args.name}: pulled from {args.base_url} every {args.interval} s, records earned in {args.region}")


def cmd_set(settings: Settings, args: argparse.Namespace) -> None:
    """Change a platform's settings."""
    from ce_service.cli import _services, _with_connection
    from ce_service.platforms.service import change_platform

    token = _token(args, required=False)
    enabled = {"on": True, "off": False}.get(args.pull or "")
    services = _services(settings)
    asyncio.run(_with_connection(services.database_url, lambda conn: change_platform(
        conn, args.name, base_url=args.base_url, token=token, interval_seconds=args.interval, enabled=enabled,
        display_name=args.display_name)))
    print(f"platform {args.name} changed")


def cmd_list(settings: Settings, args: argparse.Namespace) -> None:
    """Every platform: last success, cursor, counters, last error."""
    from ce_service.cli import _services, _with_connection
    from ce_service.platforms.service import list_platforms

    services = _services(settings)
    for p in asyncio.run(_with_connection(services.database_url, list_platforms)):
        state = "on" if p.enabled else "off"
        print(f"{p.name} ({state}, every {p.interval_seconds} s) {p.base_url} region {p.region}"
              + (f" · {p.display_name}" if p.display_name else ""))
        print(f"  last success {p.last_success_at or 'never'}; last try {p.last_attempt_at or 'never'}; "
              f"cursor {p.cursor!r}")
        print(f"  stored {p.items_stored}, duplicates {p.items_duplicate}, held {p.items_held}, "
              f"set aside {p.items_set_aside} {p.set_aside_by_reason or ''}")
        if p.last_error:
            print(f"  last error at {p.last_error_at}: {p.last_error}")


def cmd_pull(settings: Settings, args: argparse.Namespace) -> None:
    """Pull one platform now, in this process, until it is caught up."""
    from ce_service.cli import CommandError, _services
    from ce_service.db import create_pool
    from ce_service.platforms.service import pull

    services = _services(settings)

    async def run():
        pool = await create_pool(services.database_url, 1, 2)
        try:
            return await pull(pool, args.name, max_hours=settings.max_hours_per_record)
        finally:
            await pool.close()

    report = asyncio.run(run())
    if not report.ran:
        raise CommandError(f"a pull of {args.name} is running elsewhere; try again when it ends")
    print(f"{args.name}: {report.pages} pages, {report.stored} stored, {report.duplicates} already there, "
          f"{report.held} held (person not registered yet), {report.set_aside} set aside {report.reasons or ''}")
    if report.error:
        raise CommandError(f"stopped before catching up: {report.error}")
    print("caught up")


def cmd_set_aside(settings: Settings, args: argparse.Namespace) -> None:
    """The results a platform sent that could not be used, with why."""
    from ce_service.cli import _services, _with_connection
    from ce_service.platforms.service import set_aside

    services = _services(settings)
    page = asyncio.run(_with_connection(services.database_url, lambda conn: set_aside(conn, args.name, None, 500)))
    for item in page.items:
        print(f"{item.at:%Y-%m-%d %H:%M} {item.result_id}: {item.reason}")
    if page.next_after is not None:
        print("… more: see GET /api/v1/admin/platforms/{name}/set-aside")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `platforms` sub-commands to the ce-service parser."""
    platforms = sub.add_parser("platforms", help="provincial training platforms the service pulls results from"
                               ).add_subparsers(dest="action", required=True)
    add = platforms.add_parser("add", help="configure a platform")
    add.add_argument("name", help="a short name: lower-case letters, digits, - or _")
    add.add_argument("--base-url", required=True)
    add.add_argument("--region", required=True, help="6-digit division code where its hours are earned, e.g. 520000")
    add.add_argument("--interval", type=int, default=3600, help="seconds between pulls (default 3600)")
    add.add_argument("--display-name", help="the name people see, e.g. 贵州省专业技术人员继续教育平台 "
                     "(default: named by its region)")
    add.add_argument("--token-file", help="a file holding the bearer token the platform gave us")
    add.add_argument("--token-env", help="or an environment variable holding it")
    add.set_defaults(run=cmd_add)
    change = platforms.add_parser("set", help="change a platform's settings")
    change.add_argument("name")
    change.add_argument("--base-url")
    change.add_argument("--interval", type=int)
    change.add_argument("--display-name", help="the name people see")
    change.add_argument("--token-file")
    change.add_argument("--token-env")
    change.add_argument("--pull", choices=["on", "off"], help="pull it on schedule or not")
    change.set_defaults(run=cmd_set)
    platforms.add_parser("list", help="how each platform's pulls stand").set_defaults(run=cmd_list)
    now = platforms.add_parser("pull", help="pull one platform now until it is caught up")
    now.add_argument("name")
    now.set_defaults(run=cmd_pull)
    aside = platforms.add_parser("set-aside", help="results that could not be used, with why")
    aside.add_argument("name")
    aside.set_defaults(run=cmd_set_aside)
