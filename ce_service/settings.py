"""One frozen Settings object, read once from the environment."""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = ROOT / "migrations"
PWA_DIR = ROOT / "pwa"

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# A proxy on this host only (nginx beside the service).
DEFAULT_TRUSTED_PROXIES = "127.0.0.1,::1"
DEFAULT_HELP_CONTACT = "请联系所在单位的继续教育管理员重置密码。"
MAX_HELP_CONTACT = 500


class SettingsError(ValueError):
    """A configuration value is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    """Everything the service reads from its environment, documented in the README."""

    # postgresql://… the service connects with (API, worker, commands); empty means: start an
    # embedded PostgreSQL in data_dir.
    database_url: str = ""
    # postgresql://… of the tables' owner, used only to migrate, grant the service's role its
    # privileges and register the signing key; empty: database_url does that too (one role).
    owner_database_url: str = ""
    # redis://… or unix:///path ; empty means: start an embedded Redis in data_dir.
    redis_url: str = ""
    # Where the embedded servers, evidence files and the generated secret key live.
    data_dir: Path = field(default_factory=lambda: Path(".ce-data").resolve())
    # Keys the CSRF tokens of sessions; outside production it defaults to data_dir/secret.key.
    secret_key: str = ""
    # The Ed25519 key (base64url seed) that signs compliance answers; made on first use if missing.
    signing_key_file: Path = field(default_factory=lambda: Path(".ce-data/signing_ed25519.key").resolve())
    # Where signed checkpoints of the audit chain are appended, outside the database (default: data_dir).
    audit_checkpoint_file: Path = field(default_factory=lambda: Path(".ce-data/audit-checkpoints.jsonl").resolve())
    # How long a machine client's token is trusted before it is looked up again (revocation delay).
    client_cache_seconds: int = 30
    # Requests per second a machine client may send (across all API processes) unless it has its own limit.
    client_rate_limit: int = 1000
    host: str = "127.0.0.1"
    # Proxies (addresses or networks, comma-separated) whose X-Forwarded-For names the real client.
    trusted_proxies: str = DEFAULT_TRUSTED_PROXIES
    port: int = 8000
    log_level: str = "INFO"
    # json (one object per line, for log collectors) or text (for people at a terminal).
    log_format: str = "json"
    # Log every request (method, route, status, milliseconds, request ID).
    access_log: bool = False
    # "development" relaxes the Secure flag on cookies (plain http on localhost).
    environment: str = "development"
    db_pool_min: int = 2
    db_pool_max: int = 10
    # Largest request body accepted, in bytes (larger: 413).
    max_body_bytes: int = 2_000_000
    # Where certificate files are kept (default: data_dir/evidence) and the largest accepted.
    evidence_dir: Path = field(default_factory=lambda: Path(".ce-data/evidence").resolve())
    max_evidence_bytes: int = 10 * 1024 * 1024
    # Largest import file accepted, in bytes (at most 64 MiB).
    max_import_bytes: int = 32 * 1024 * 1024
    # How long a job run (an import, a platform pull) may take before it is cut and retried; also
    # how soon a job whose worker was killed is run again (this + 10 s).
    job_timeout_seconds: int = 120
    # Largest hours a single record may carry (a whole course, not a year).
    max_hours_per_record: int = 200
    session_hours: int = 12
    # Whom a person who forgot their password should ask, shown on the sign-in page (operator's text, escaped).
    help_contact: str = DEFAULT_HELP_CONTACT

    @property
    def embedded_db(self) -> bool:
        """True when no database URL is configured."""
        return not self.database_url

    @property
    def migration_database_url(self) -> str:
        """Where migrations run: the owner's URL, or the service's own when there is one role (empty: embedded)."""
        return self.owner_database_url or self.database_url

    @property
    def embedded_redis(self) -> bool:
        """True when no Redis URL is configured."""
        return not self.redis_url

    @property
    def secure_cookies(self) -> bool:
        """Cookies carry the Secure flag everywhere but in development."""
        return self.environment != "development"


def _int(env: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a whole number") from None
    if not low <= value <= high:
        raise SettingsError(f"{name}={value} is outside {low}..{high}")
    return value


def _proxies(raw: str) -> str:
    """A comma-separated list of addresses or networks, each checked."""
    import ipaddress

    items = [x.strip() for x in raw.split(",") if x.strip()]
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise SettingsError(f"CE_TRUSTED_PROXIES: {item!r} is not an IP address or network") from None
    return ",".join(items)


def _help_contact(raw: str) -> str:
    """CE_HELP_CONTACT: one paragraph of plain text (no control characters), at most MAX_HELP_CONTACT characters."""
    text = raw.strip()
    if not text:
        return DEFAULT_HELP_CONTACT
    if len(text) > MAX_HELP_CONTACT:
        raise SettingsError(f"CE_HELP_CONTACT is {len(text)} characters long; at most {MAX_HELP_CONTACT} are shown")
    if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in text):
        raise SettingsError("CE_HELP_CONTACT must be one line of text without control characters")
    return text


def local_secret(path: Path, nbytes: int) -> str:
    """A random secret generated once into `path` (readable by its owner only) and shared by every process;
    '' if another process made the file but never wrote it."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process is writing it at this moment
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(nbytes) + "\n")
    for _ in range(50):
        if secret := path.read_text().strip():
            return secret
        time.sleep(0.02)
    return ""


def _local_secret_key(data_dir: Path) -> str:
    """Outside production, a key generated once and kept in the data dir, shared by every process."""
    path = data_dir / "secret.key"
    if key := local_secret(path, 32):
        return key
    raise SettingsError(f"{path} is empty: delete it or set CE_SECRET_KEY")


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read Settings from the environment, failing fast with a message that names the variable."""
    env = dict(os.environ if env is None else env)
    database_url = env.get("CE_DATABASE_URL", "").strip()
    if database_url and not database_url.startswith(("postgresql://", "postgres://")):
        raise SettingsError("CE_DATABASE_URL must start with postgresql:// (or be unset for the embedded database)")
    owner_database_url = env.get("CE_OWNER_DATABASE_URL", "").strip()
    if owner_database_url and not owner_database_url.startswith(("postgresql://", "postgres://")):
        raise SettingsError("CE_OWNER_DATABASE_URL must start with postgresql:// (or be unset)")
    if owner_database_url and not database_url:
        raise SettingsError("CE_OWNER_DATABASE_URL is set but CE_DATABASE_URL is not: set CE_DATABASE_URL to the "
                            "service's own role (or unset both for the embedded database)")
    redis_url = env.get("CE_REDIS_URL", "").strip()
    if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise SettingsError("CE_REDIS_URL must start with redis://, rediss:// or unix:// (or be unset for the embedded Redis)")
    log_level = env.get("CE_LOG_LEVEL", "INFO").strip().upper()
    if log_level not in LOG_LEVELS:
        raise SettingsError(f"CE_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")
    log_format = env.get("CE_LOG_FORMAT", "json").strip().lower()
    if log_format not in ("json", "text"):
        raise SettingsError("CE_LOG_FORMAT must be json or text")
    access_log = env.get("CE_ACCESS_LOG", "").strip().lower()
    if access_log not in ("", "0", "1", "true", "false"):
        raise SettingsError("CE_ACCESS_LOG must be 1 or 0")
    environment = env.get("CE_ENV", "development").strip()
    if environment not in ("development", "production", "test"):
        raise SettingsError("CE_ENV must be development, production or test")
    data_dir = Path(env.get("CE_DATA_DIR", "").strip() or ".ce-data").resolve()
    secret_key = env.get("CE_SECRET_KEY", "").strip()
    if environment == "production" and len(secret_key) < 32:
        raise SettingsError("CE_SECRET_KEY must be set to at least 32 characters in production")
    if not secret_key:
        secret_key = _local_secret_key(data_dir)
    pool_min = _int(env, "CE_DB_POOL_MIN", 2, 1, 200)
    pool_max = _int(env, "CE_DB_POOL_MAX", 10, 1, 500)
    if pool_max < pool_min:
        raise SettingsError("CE_DB_POOL_MAX must be at least CE_DB_POOL_MIN")
    return Settings(
        database_url=database_url,
        owner_database_url=owner_database_url,
        redis_url=redis_url,
        data_dir=data_dir,
        secret_key=secret_key,
        signing_key_file=Path(env.get("CE_SIGNING_KEY_FILE", "").strip() or data_dir / "signing_ed25519.key").resolve(),
        audit_checkpoint_file=Path(env.get("CE_AUDIT_CHECKPOINT_FILE", "").strip()
                                   or data_dir / "audit-checkpoints.jsonl").resolve(),
        client_cache_seconds=_int(env, "CE_CLIENT_CACHE_SECONDS", 30, 0, 3600),
        client_rate_limit=_int(env, "CE_CLIENT_RATE_LIMIT", 1000, 1, 1_000_000),
        host=env.get("CE_HOST", "127.0.0.1").strip(),
        trusted_proxies=_proxies(env.get("CE_TRUSTED_PROXIES", "").strip() or DEFAULT_TRUSTED_PROXIES),
        port=_int(env, "CE_PORT", 8000, 1, 65535),
        log_level=log_level,
        log_format=log_format,
        access_log=access_log in ("1", "true"),
        environment=environment,
        db_pool_min=pool_min,
        db_pool_max=pool_max,
        max_body_bytes=_int(env, "CE_MAX_BODY_BYTES", 2_000_000, 1_000, 200_000_000),
        evidence_dir=Path(env.get("CE_EVIDENCE_DIR", "").strip() or data_dir / "evidence").resolve(),
        max_evidence_bytes=_int(env, "CE_MAX_EVIDENCE_BYTES", 10 * 1024 * 1024, 1_000, 60 * 1024 * 1024),
        max_import_bytes=_int(env, "CE_MAX_IMPORT_BYTES", 32 * 1024 * 1024, 1_000, 64 * 1024 * 1024),
        job_timeout_seconds=_int(env, "CE_JOB_TIMEOUT_SECONDS", 120, 10, 3600),
        max_hours_per_record=_int(env, "CE_MAX_HOURS_PER_RECORD", 200, 1, 2000),
        session_hours=_int(env, "CE_SESSION_HOURS", 12, 1, 24 * 30),
        help_contact=_help_contact(env.get("CE_HELP_CONTACT", "")),
    )
