"""GET /api/v1/audit/checkpoints: the signed chain heads, for review and HR systems to keep their own copies."""

from __future__ import annotations

import asyncpg
import msgspec
from litestar import get

from ce_service.audit import checkpoints
from ce_service.audit.checkpoints import Checkpoint
from ce_service.auth.guards import for_clients
from ce_service.errors import FieldError, Invalid

MAX_PAGE = 1000


class CheckpointPage(msgspec.Struct):
    """Checkpoints past `after_seq`, oldest first; ask again with the last one's seq for more."""

    checkpoints: list[Checkpoint]
    after_seq: int
    limit: int


@get("/api/v1/audit/checkpoints", **for_clients("review_system", "hr_system"))
async def list_checkpoints(db: asyncpg.Connection, after_seq: int = 0, limit: int = 100) -> CheckpointPage:
    """Signed checkpoints of the record history's hash chain (Ed25519 over the canonical JSON of seq, hash, at, kid)."""
    errors = []
    if not 0 <= after_seq <= 2**62:
        errors.append(FieldError("after_seq", "must be between 0 and 2^62", code="out_of_range",
                                 params={"min": 0, "max": 2**62}))
    if not 1 <= limit <= MAX_PAGE:
        errors.append(FieldError("limit", f"must be between 1 and {MAX_PAGE}", code="out_of_range", params={"min": 1, "max": MAX_PAGE}))
    if errors:
        raise Invalid.of(errors)
    return CheckpointPage(await checkpoints.page(db, after_seq, limit), after_seq, limit)


ROUTES = [list_checkpoints]
