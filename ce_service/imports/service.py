"""Imports: accept a file, run it in chunks with progress (resumable), and report on every row."""

from __future__ import annotations

import contextlib
import logging
import secrets
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from ce_service.auth.models import ApiClient, User
from ce_service.auth.secrets import token_hash
from ce_service.errors import (
    Conflict,
    DomainError,
    FieldError,
    Forbidden,
    Invalid,
    NotFound,
    Unavailable,
    field_error_from_msgspec,
    file_too_large,
)
from ce_service.imports import queries as q
from ce_service.imports.tables import (
    COLUMNS,
    KINDS,
    REASON_LABEL,
    TECHNICAL_LABEL,
    WORKPLACE,
    TableError,
    all_rows,
    file_format,
    first_row,
    period_from_row,
    record_from_row,
    table_bytes,
)
from ce_service.intake.schemas import MAX_BATCH
from ce_service.intake.service import IMPORT, accept_batch
from ce_service.people.schemas import PersonIn
from ce_service.people.service import put_person
from ce_service.rendering import Busy, off_loop
from ce_service.say import say_all
from ce_service.words import CATEGORY, LEVEL

PARSE_SECONDS = 20.0  # to read a file's first row at upload; a whole file in the job may take six times that

log = logging.getLogger("ce_service.imports")

CHUNK = MAX_BATCH
MAX_LIST = 100
RESULT_ZH = {"accepted": "已接收", "duplicate": "重复（已有记录）", "held": "暂存（人员尚未登记）", "rejected": "未通过",
             "created": "新增人员", "updated": "更新人员"}


class ImportStatus(msgspec.Struct):
    """Where an import stands: rows done of rows total, and the counts so far."""

    id: str
    kind: str
    filename: str
    format: str
    uploader: str
    status: str                # queued | running | done | failed
    rows_total: int | None
    rows_done: int
    accepted: int
    duplicates: int
    held: int
    rejected: int
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class ImportPage(msgspec.Struct):
    """Imports, newest first."""

    items: list[ImportStatus]
    limit: int
    offset: int


def _status(row: asyncpg.Record) -> ImportStatus:
    return ImportStatus(str(row["id"]), row["kind"], row["filename"], row["format"], row["uploader_name"],
                        row["status"], row["rows_total"], row["rows_done"], row["accepted"], row["duplicates"],
                        row["held"], row["rejected"], row["error"], row["created_at"], row["started_at"],
                        row["finished_at"])


def _scope(user: User | None, kind: str) -> tuple[str, list[str], str | None]:
    """(importer client name, its regions, unit) of who uploads; administrators and the CLI act province-wide."""
    if user is None or user.role == "admin":
        return "批量导入 全部地区", [], None
    if user.unit_code and kind == "records":
        return f"批量导入 单位 {user.unit_code}", [], user.unit_code
    if user.region_prefix:
        return f"批量导入 地区 {user.region_prefix}", [user.region_prefix], None
    if user.unit_code:
        raise Forbidden("Units import records; people are imported by HR.")
    raise Forbidden("Only reviewers and administrators import files.")


async def create_import(conn: asyncpg.Connection, user: User | None, uploader_name: str, kind: str, filename: str,
                        content: bytes, max_bytes: int) -> ImportStatus:
    """Check the file is readable and store it, queued; the rows are checked when it runs."""
    if kind not in KINDS:
        raise Invalid.field("kind", f"must be one of {', '.join(KINDS)}", code="one_of",
                            params={"choices": ", ".join(KINDS)})
    name, regions, unit = _scope(user, kind)
    if len(content) > max_bytes:
        raise file_too_large("file", len(content), max_bytes)
    if not content:
        raise Invalid.field("file", "is empty", code="file_empty")
    # A file name ends up in headers and reports: no control characters (a header with one cannot be sent).
    filename = "".join(c for c in (filename or "upload") if c.isprintable())[-255:] or "upload"
    try:
        await off_loop(first_row, content, kind, timeout=PARSE_SECONDS, pool="upload")   # someone's upload: read apart
    except TableError as exc:
        raise Invalid.field("file", str(exc), code=exc.code, params=exc.params) from None
    except Busy:
        raise   # other uploads ahead of this one: 503, try again (not the file's fault)
    except Unavailable:
        raise Invalid.field("file", f"could not be read within {PARSE_SECONDS:.0f} s or its memory limit: "
                                    "split it or save it again as a plain CSV or XLSX", code="file_too_slow",
                            params={"seconds": int(PARSE_SECONDS)}) from None
    client = await conn.fetchrow(q.IMPORTER_CLIENT, name, token_hash(secrets.token_urlsafe(32)), regions)
    import_id = await conn.fetchval(q.INSERT_IMPORT, kind, filename, file_format(content), content,
                                    user.id if user else None, uploader_name, client["id"], unit)
    return _status(await conn.fetchrow(q.STATUS, import_id))


def _import_id(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise NotFound("No such import.") from None


async def status(conn: asyncpg.Connection, user: User | None, import_id: str) -> ImportStatus:
    """An import the user uploaded (or any, for administrators and the CLI)."""
    row = await conn.fetchrow(q.STATUS, _import_id(import_id))
    if row is None or (user is not None and user.role != "admin" and row["uploaded_by"] != user.id):
        raise NotFound("No such import.")
    return _status(row)


async def list_imports(conn: asyncpg.Connection, user: User, limit: int, offset: int) -> ImportPage:
    """The user's imports (administrators: everyone's), newest first."""
    if not 1 <= limit <= MAX_LIST:
        raise Invalid.field("limit", f"must be between 1 and {MAX_LIST}", code="out_of_range",
                            params={"min": 1, "max": MAX_LIST})
    if not 0 <= offset <= 1_000_000:
        raise Invalid.field("offset", "must be between 0 and 1000000", code="out_of_range",
                            params={"min": 0, "max": 1_000_000})
    rows = await conn.fetch(q.LIST, None if user.role == "admin" else user.id, limit, offset)
    return ImportPage([_status(r) for r in rows], limit, offset)


async def unfinished_imports(conn: asyncpg.Connection, older_than_seconds: float) -> list[str]:
    """Imports still queued or running this long after their upload."""
    return [str(r["id"]) for r in await conn.fetch(q.UNFINISHED, older_than_seconds)]


async def run_import(pool: asyncpg.Pool, import_id: str, *, max_hours: int,
                     progress: Callable[[int, int], None] | None = None,
                     read_seconds: float = PARSE_SECONDS * 6) -> ImportStatus | None:
    """Process an import from where it stopped, one chunk per transaction; None if another run has it."""
    async with pool.acquire() as conn:
        if not await conn.fetchval(q.TRY_LOCK, import_id):
            return None
        released = False
        try:
            row = await conn.fetchrow(q.FOR_RUN, import_id)
            if row is not None:
                await _run(conn, row, max_hours, progress, read_seconds)
            await conn.execute(q.UNLOCK, import_id)
            released = True
            return _status(await conn.fetchrow(q.STATUS, import_id))
        finally:
            if not released:
                with contextlib.suppress(asyncpg.InterfaceError):
                    conn.terminate()   # the session lock must not stay on a pooled connection


async def _run(conn: asyncpg.Connection, row: asyncpg.Record, max_hours: int,
               progress: Callable[[int, int], None] | None, read_seconds: float) -> None:
    try:
        # No limit on waiting for the turn (other imports' files ahead): the job's own time limit ends a
        # run that waited too long, and the next run takes its place in the queue.
        rows = await off_loop(all_rows, bytes(row["content"]), row["kind"], timeout=read_seconds, pool="import",
                              wait=None)
    except (TableError, Unavailable) as exc:
        await conn.execute(q.FAILED, row["id"], str(exc.detail if isinstance(exc, Unavailable) else exc))
        return
    except Exception as exc:   # whatever else reading the file raised: the import fails, saying so, never stays running
        log.exception("import %s: the file could not be read", row["id"])
        await conn.execute(q.FAILED, row["id"], f"the file could not be read: {exc.__class__.__name__}")
        return
    await conn.execute(q.STARTED, row["id"], len(rows))
    client = ApiClient(row["client_id"], row["client_name"], "importer", list(row["client_regions"]))
    done = row["rows_done"]
    chunks = _record_chunks(rows, done) if row["kind"] == "records" else _people_chunks(rows, done)
    for chunk in chunks:
        async with conn.transaction():
            if row["kind"] == "records":
                results = await _records(conn, client, row["unit_code"], chunk, max_hours, row["affiliation"] or "unit")
            else:
                results = await _people(conn, client, chunk, max_hours)
            await conn.execute(q.INSERT_ROWS, row["id"], [r[0] for r in results], [r[1] for r in results],
                               [r[2] for r in results], [r[3] for r in results], [r[4] for r in results])
            count = {s: sum(1 for r in results if r[2] == s) for s in RESULT_ZH}
            moved = await conn.fetchval(q.PROGRESS, row["id"], done + len(chunk),
                                        count["accepted"] + count["created"] + count["updated"],
                                        count["duplicate"], count["held"], count["rejected"], done)
            if moved is None:
                raise RuntimeError("an import's progress moved under the run that holds its lock")
        done += len(chunk)
        if progress:
            progress(done, len(rows))
    await conn.execute(q.FINISHED, row["id"])
    log.info("import %s done: %d rows", row["id"], len(rows))


Row = tuple[int, dict[str, Any]]
Result = tuple[int, str | None, str, str | None, str | None]   # line, key, status, record id, errors (JSON)


def _record_chunks(rows: list[Row], done: int) -> list[list[Row]]:
    return [rows[i:i + CHUNK] for i in range(done, len(rows), CHUNK)]


def _people_chunks(rows: list[Row], done: int) -> list[list[Row]]:
    """The rows grouped by person (a person's periods may be on several rows), whole people per chunk."""
    by_person: dict[Any, list[Row]] = {}
    for line, cells in rows:
        by_person.setdefault(cells.get("national_id") or f"line {line}", []).append((line, cells))
    chunks, chunk, seen = [], [], 0
    for person_rows in by_person.values():
        if seen >= done:
            chunk.extend(person_rows)
            if len(chunk) >= CHUNK // 10:
                chunks.append(chunk)
                chunk = []
        seen += len(person_rows)
    return chunks + ([chunk] if chunk else [])


def _errors_json(errors: list[FieldError]) -> str:
    return msgspec.json.encode(errors).decode()


async def _records(conn: asyncpg.Connection, client: ApiClient, unit: str | None, chunk: list[Row],
                   max_hours: int, affiliation: str = "unit") -> list[Result]:
    raws = [record_from_row(cells) for _, cells in chunk]
    results: list[Result | None] = [None] * len(chunk)
    if unit is not None:
        # A unit imports for its own people only (people not registered yet are held, as from anyone).
        ids = [r["national_id"] for r in raws if isinstance(r["national_id"], str) and len(r["national_id"]) == 18]
        # The code and what it stands for: an agency's staff desk (unit) is not the agency for its clients.
        units = {r["national_id"]: (r["unit"], r["affiliation"]) for r in await conn.fetch(q.CURRENT_UNITS, ids)}
        for i, raw in enumerate(raws):
            if raw["national_id"] in units and units[raw["national_id"]] != (unit, affiliation):
                results[i] = (chunk[i][0], raw["external_id"], "rejected", None, _errors_json(
                    [FieldError("national_id", "this person is not in your unit", code="not_in_unit")]))
    todo = [i for i, r in enumerate(results) if r is None]
    if todo:
        outcome = await accept_batch(conn, client, [raws[i] for i in todo], IMPORT, max_hours)
        for i, result in zip(todo, outcome.results):
            results[i] = (chunk[i][0], raws[i]["external_id"] if isinstance(raws[i]["external_id"], str) else None,
                          result.status, result.record_id,
                          _errors_json(result.errors) if result.errors else None)
    return [r for r in results if r is not None]


async def _people(conn: asyncpg.Connection, client: ApiClient, chunk: list[Row], max_hours: int) -> list[Result]:
    by_person: dict[Any, list[Row]] = {}
    for line, cells in chunk:
        by_person.setdefault(cells.get("national_id") or f"line {line}", []).append((line, cells))
    results: list[Result] = []
    for national_id, person_rows in by_person.items():
        first = person_rows[0][1]
        key = national_id if isinstance(national_id, str) else str(national_id)
        errors: list[FieldError] = []
        status = "rejected"
        if len({(c.get("name"), c.get("series")) for _, c in person_rows}) > 1:
            errors = [FieldError("name", "name and series must be the same on every row of one person",
                                 code="inconsistent_person")]
        else:
            try:
                data = msgspec.convert({"name": first.get("name"), "series": first.get("series"),
                                        "periods": [period_from_row(c) for _, c in person_rows]}, PersonIn)
                async with conn.transaction():
                    _, created = await put_person(conn, client, key, data, max_hours)
                status = "created" if created else "updated"
            except msgspec.ValidationError as exc:
                errors = [field_error_from_msgspec(exc)]
            except DomainError as exc:
                errors = list(getattr(exc, "errors", None) or []) or [FieldError(
                    "national_id", exc.detail, code="out_of_scope" if isinstance(exc, Forbidden) else "refused")]
        for line, _ in person_rows:
            results.append((line, key, status, None, _errors_json(errors) if errors else None))
    return results


async def report(conn: asyncpg.Connection, user: User | None, import_id: str, fmt: str,
                 only_rejected: bool) -> tuple[str, bytes]:
    """(file name, bytes): every row's result, or the rejected rows as the template with the reason beside them."""
    current = await status(conn, user, import_id)
    if fmt not in ("csv", "xlsx"):
        raise Invalid.field("format", "must be csv or xlsx", code="one_of", params={"choices": "csv, xlsx"})
    rows = await conn.fetch(q.REPORT, current.id, "rejected" if only_rejected else None)
    stem = current.filename.rsplit(".", 1)[0]
    labels = {c.key: c.label for c in COLUMNS[current.kind]}   # a reason names the column the person filled
    if only_rejected:
        reasons = {r["line"]: _reason_text(r["errors"], labels) for r in rows}
        content = await conn.fetchval("select content from imports where id = $1", current.id)
        columns = COLUMNS[current.kind]
        try:
            every = await off_loop(all_rows, bytes(content), current.kind, timeout=PARSE_SECONDS * 6,
                                   pool="report") if reasons else []
        except TableError as exc:   # an import that failed reading its file has no rejected rows to show
            raise Conflict(f"The file of this import cannot be read again: {exc}") from None
        body = [[_cell(c.key, cells.get(c.key)) for c in columns] + [reasons[line]]
                for line, cells in every if line in reasons]
        return f"{stem}-未通过.{fmt}", table_bytes(fmt, [c.label for c in columns] + [REASON_LABEL], body)
    # Chinese first; the API's English messages last, under 技术细节, for whoever wires up a system to these files.
    header = ["行号", labels["external_id" if current.kind == "records" else "national_id"], "结果", "系统记录号",
              REASON_LABEL, TECHNICAL_LABEL]
    body = [[r["line"], r["key"] or "", RESULT_ZH.get(r["status"], r["status"]), r["record_id"] or "",
             _reason_text(r["errors"], labels), _technical_text(r["errors"])] for r in rows]
    return f"{stem}-结果.{fmt}", table_bytes(fmt, header, body)


def _reason_text(errors_json: str | None, labels: dict[str, str]) -> str:
    """Why a row was refused, in Chinese, by each error's code (rows stored before codes: by the message)."""
    return say_all(msgspec.json.decode(errors_json), labels) if errors_json else ""


def _technical_text(errors_json: str | None) -> str:
    if not errors_json:
        return ""
    return "; ".join(f"{e['field']}: {e['message']}" for e in msgspec.json.decode(errors_json))


# A cell sent back as the import reads it, in the template's words where the file used the API's codes.
_WORDS = {"category": CATEGORY, "level": LEVEL, "workplace": {code: word for word, code in reversed(WORKPLACE.items())}}


def _cell(key: str, value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, str) and key in _WORDS:
        return _WORDS[key].get(value, value)
    return "" if value is None else value
