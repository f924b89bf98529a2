"""`ce-service import FILE`: import a CSV or XLSX file from the command line, with a progress bar."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from ce_service.settings import Settings


def _bar(done: int, total: int) -> None:
    width = 30
    filled = width * done // total if total else width
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} rows")
    sys.stderr.flush()


def cmd_import(settings: Settings, args: argparse.Namespace) -> None:
    """Store the file as an import, run it here, print the counts and write the per-row report beside it."""
    from ce_service.auth.models import User
    from ce_service.cli import CommandError, _services
    from ce_service.db import create_pool
    from ce_service.imports import service

    path = Path(args.file)
    content = path.read_bytes()
    services = _services(settings)

    async def run():
        pool = await create_pool(services.database_url, 1, 2)
        try:
            async with pool.acquire() as conn:
                user = None
                if args.as_user:
                    row = await conn.fetchrow("select id, username, display_name, role, person_id, unit_code,"
                                              " region_prefix from users where username = $1 and disabled_at is null",
                                              args.as_user)
                    if row is None:
                        raise CommandError(f"no active user named {args.as_user}")
                    user = User(**dict(row))
                created = await service.create_import(conn, user, user.display_name if user else "命令行导入",
                                                      args.kind, path.name, content, 64 * 1024 * 1024)
            print(f"import {created.id}: {path.name} ({created.format})", file=sys.stderr)
            finished = await service.run_import(pool, created.id, max_hours=settings.max_hours_per_record,
                                                progress=_bar)
            sys.stderr.write("\n")
            async with pool.acquire() as conn:
                name, report = await service.report(conn, None, created.id, "csv", only_rejected=False)
            return finished, report
        finally:
            await pool.close()

    finished, report = asyncio.run(run())
    if finished is None or finished.status != "done":
        raise CommandError(f"import did not finish: {finished.error if finished else 'taken by another run'}")
    report_path = path.with_name(path.stem + ".report.csv")
    report_path.write_bytes(report)
    print(f"{finished.rows_total} rows: {finished.accepted} accepted, {finished.duplicates} duplicates, "
          f"{finished.held} held, {finished.rejected} rejected; report: {report_path}")


def register(sub: argparse._SubParsersAction) -> None:
    """Add `import` to the ce-service parser."""
    parser = sub.add_parser("import", help="import a CSV or XLSX file of records or people, with progress")
    parser.add_argument("file")
    parser.add_argument("--kind", choices=["records", "people"], default="records")
    parser.add_argument("--as", dest="as_user", metavar="USERNAME",
                        help="import as this reviewer (their unit or region); default: province-wide, as an operator")
    parser.set_defaults(run=cmd_import)
