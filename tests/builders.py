"""Test data inserted with SQL (and the service's own token and password functions)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import asyncpg

from ce_service.auth.secrets import hash_password, new_token, token_hash
from ce_service.identity import make_credit_code, make_national_id

UNIT = make_credit_code("91522601700000000")
OTHER_UNIT = make_credit_code("91420100700000000")
PASSWORD = "correct-horse-battery"


def national_id(sequence: int = 123, region: str = "522601", birth: date = date(1980, 1, 1)) -> str:
    """A valid ID number, different for each sequence (past 999 the birth date moves on)."""
    return make_national_id(region, birth + timedelta(days=sequence // 1000), sequence % 1000)


async def api_client(db: asyncpg.Connection, kind: str, name: str = "test client") -> str:
    """Store a client of `kind` and return its bearer token."""
    token = new_token()
    await db.execute("insert into api_clients (name, kind, token_hash, token_hint) values ($1, $2, $3, $4)",
                     name, kind, token_hash(token), token[:7])
    return token


async def person(db: asyncpg.Connection, nid: str | None = None, *, name: str = "张三", series: str = "engineering",
                 periods: list[tuple] | None = None) -> int:
    """Store a person with periods (from_year, level, workplace, region, unit[, affiliation]); returns the person id."""
    pid = await db.fetchval("insert into persons (national_id, name, series) values ($1, $2, $3) returning id",
                            nid or national_id(), name, series)
    for from_year, level, workplace, region, unit, *affiliation in periods or [
            (2015, "intermediate", "standard", "522601", UNIT)]:
        await db.execute("insert into person_periods (person_id, from_year, level, workplace, region, unit_code,"
                         " affiliation) values ($1, $2, $3, $4, $5, $6, $7)",
                         pid, from_year, level, workplace, region, unit, *(affiliation or ["unit"]))
    return pid


async def user(db: asyncpg.Connection, username: str, role: str, *, person_id: int | None = None,
               unit_code: str | None = None, region_prefix: str | None = None) -> int:
    """Store a user whose password is PASSWORD."""
    return await db.fetchval(
        "insert into users (username, display_name, role, person_id, unit_code, region_prefix, password_hash)"
        " values ($1, $1, $2, $3, $4, $5, $6) returning id",
        username, role, person_id, unit_code, region_prefix, hash_password(PASSWORD))


async def sign_in(api, username: str) -> dict[str, str]:
    """Sign in through the API; returns the headers a write needs (the cookie stays in the client)."""
    response = await api.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}


async def record(db: asyncpg.Connection, person_id: int, year: int, category: str, hours: float, *,
                 history: list[tuple[str, datetime]] | None = None, region_earned: str | None = None,
                 source: str = "self") -> str:
    """Store a record whose events are `history` [(status, at), …] (default: registered a year after `year` began)."""
    history = history or [("registered", datetime(year, 12, 1, tzinfo=timezone.utc))]
    final, last_at = history[-1]
    rid = await db.fetchval(
        "insert into records (person_id, year, category, half_hours, course_title, completed_on, region_earned, source,"
        " status, created_at, updated_at, registered_at, revoked_at) values ($1, $2, $3, $4, '课程', $5, $6, $7, $8,"
        " $9, $10, $11, $12) returning id",
        person_id, year, category, int(hours * 2), date(year, 3, 1), region_earned, source, final, history[0][1], last_at,
        next((at for s, at in history if s == "registered"), None), next((at for s, at in history if s == "revoked"), None))
    previous = None
    for status, at in history:
        await db.execute("insert into record_events (record_id, at, actor_kind, actor_name, role, action, from_status,"
                         " to_status) values ($1, $2, 'system', 'test', 'system', 'test', $3, $4)", rid, at, previous, status)
        previous = status
    return str(rid)


async def web_sign_in(api, username: str, password: str = PASSWORD) -> str:
    """Sign in through the web form (with its double-submit token) as a browser does; returns the CSRF token
    the landing page gives htmx (hx-headers), which every form post of the pages must carry."""
    import json
    import re

    form = await api.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    signed = await api.post("/login", data={"username": username, "password": password, "csrf": token},
                            follow_redirects=False)
    assert signed.status_code == 303, signed.text
    home = await api.get(signed.headers["location"], follow_redirects=False)
    assert home.status_code == 200, (signed.headers["location"], home.status_code)
    return json.loads(re.search(r"hx-headers='([^']+)'", home.text).group(1))["X-CSRF-Token"]


def shared_strings_xlsx(strings: int, kind: str = "records") -> bytes:
    """An XLSX import whose header and one example row are followed, in its shared-strings part, by `strings`
    distinct strings no cell uses: small on the wire, every string read before the first row can be.

    Written by hand (not with openpyxl) so that nothing but the shared strings grows.
    """
    import io
    import zipfile
    from xml.sax.saxutils import escape

    from ce_service.imports.tables import COLUMNS

    labels = [c.label for c in COLUMNS[kind]]
    used = labels + [c.example for c in COLUMNS[kind]]
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    shared = "".join([f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{main}" count="{len(used) + strings}" '
                      f'uniqueCount="{len(used) + strings}">', *(f"<si><t>{escape(text)}</t></si>" for text in used),
                      *(f"<si><t>课程{i:08d}</t></si>" for i in range(strings)), "</sst>"])
    rows = "".join(f'<row r="{r}">' + "".join(f'<c r="{chr(65 + i)}{r}" t="s"><v>{first + i}</v></c>'
                                              for i in range(len(labels))) + "</row>"
                   for r, first in ((1, 0), (2, len(labels))))
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
            'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            f'2006/relationships"><Relationship Id="rId1" Type="{relationships}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" xmlns:r="{relationships}"><sheets>'
            '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            f'2006/relationships"><Relationship Id="rId1" Type="{relationships}/worksheet" '
            f'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{relationships}/sharedStrings" '
            'Target="sharedStrings.xml"/></Relationships>'),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{main}"><sheetData>{rows}</sheetData>'
            '</worksheet>'),
        "xl/sharedStrings.xml": shared,
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text.encode())
    return out.getvalue()


def paeth_png(width: int, height: int) -> bytes:
    """A PNG of width × height pixels at 16 bits per channel with alpha, every row Paeth-filtered: the
    costliest kind of pixel to decode, yet it packs to a few megabytes (its rows are all alike)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x04" + bytes((x * 7) & 0xFF for x in range(width * 8))   # filter 4 (Paeth), 8 bytes a pixel
    packer = zlib.compressobj(1)
    pixels = b"".join([*(packer.compress(row) for _ in range(height)), packer.flush()])
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 16, 6, 0, 0, 0))
            + chunk(b"IDAT", pixels) + chunk(b"IEND", b""))
