"""Certificate files over HTTP: the owner uploads; the owner and reviewers in scope fetch, through the record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import asyncpg
from litestar import Response, get, post
from litestar.datastructures import State, UploadFile
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body

from ce_service.auth.guards import provide_user, reviewer, signed_in
from ce_service.auth.models import User
from ce_service.errors import Invalid, NotFound
from ce_service.records import service as records
from ce_service.review import service as review

OWNER = {"guards": [signed_in("professional")], "dependencies": {"user": Provide(provide_user, sync_to_thread=False)}}
REVIEWER = {"guards": [reviewer()], "dependencies": {"user": Provide(provide_user, sync_to_thread=False)}}
UPLOAD_CEILING = 64 * 1024 * 1024   # CE_MAX_EVIDENCE_BYTES (at most this) is the limit in force


@dataclass
class EvidenceForm:
    """A multipart form with the certificate file."""

    file: UploadFile


async def file_response(state: State, ref: str | None) -> Response[bytes]:
    """The stored file (photos scaled for display), private to this browser, or 404."""
    if not ref or not state.evidence.exists(ref):
        raise NotFound("This record has no certificate file.")
    content, media_type = await state.evidence.display(ref)
    # A certificate is someone's upload: it is shown sandboxed (no script, no same origin), and a PDF,
    # which a browser's viewer would run with this site's origin, is downloaded rather than opened here.
    return Response(content, media_type=media_type, headers={
        "Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
        "Content-Disposition": 'attachment; filename="certificate.pdf"' if media_type == "application/pdf"
        else "inline"})


@post("/api/v1/me/evidence", **OWNER, status_code=201, request_max_body_size=UPLOAD_CEILING)
async def upload(data: Annotated[EvidenceForm, Body(media_type=RequestEncodingType.MULTI_PART)],
                 state: State) -> dict[str, str]:
    """Store a certificate photo (JPEG, PNG) or PDF, checked by its content; returns its `evidence_ref`."""
    if not isinstance(data.file, UploadFile):
        raise Invalid.field("file", "must be a file field of the form", code="file_missing")
    return {"evidence_ref": state.evidence.save(await data.file.read())}


@get("/api/v1/me/records/{record_id:str}/evidence", **OWNER)
async def own_evidence(record_id: str, user: User, db: asyncpg.Connection, state: State) -> Response[bytes]:
    """The certificate of one of my records."""
    return await file_response(state, (await records.get_own(db, user, record_id)).evidence_ref)


@get("/api/v1/review/records/{record_id:str}/evidence", **REVIEWER)
async def reviewed_evidence(record_id: str, user: User, db: asyncpg.Connection, state: State) -> Response[bytes]:
    """The certificate of a record in my scope (outside it: 404)."""
    return await file_response(state, (await review.record(db, user, record_id)).evidence_ref)


ROUTES = [upload, own_evidence, reviewed_evidence]
