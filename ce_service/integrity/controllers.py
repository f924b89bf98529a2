"""The integrity file over JSON: HR systems write and read it; reviewers in scope read it."""

from __future__ import annotations

import asyncpg
from litestar import get, post
from litestar.params import Parameter

from ce_service.auth.guards import for_clients, for_clients_or_reviewers
from ce_service.auth.models import ApiClient, User
from ce_service.integrity import service
from ce_service.integrity.schemas import EntryIn, EntryOut, IntegrityFile, RevokedApprovalPage
from ce_service.wire import json_body

HR = for_clients("hr_system")
HR_OR_REVIEWER = for_clients_or_reviewers("hr_system")
HR_OR_DEPARTMENT = for_clients_or_reviewers("hr_system", departments_only=True)


# Text fields are checked for NUL one by one, so that the error names the field.
@post("/api/v1/persons/{national_id:str}/integrity", **HR, **json_body(EntryIn, items_checked_for_nul=True))
async def add_entry(national_id: str, data: EntryIn, client: ApiClient, db: asyncpg.Connection) -> EntryOut:
    """Enter falsification, misconduct or a blacklisting in a person's integrity file (201)."""
    return await service.add_by_client(db, client, national_id, data)


@get("/api/v1/persons/{national_id:str}/integrity", **HR_OR_REVIEWER)
async def integrity_file(national_id: str, client: ApiClient | None, user: User | None,
                         db: asyncpg.Connection) -> IntegrityFile:
    """A person's integrity file, revocations included, newest first."""
    if client is not None:
        return await service.file_for_client(db, client, national_id)
    return await service.file_for_user(db, user, national_id)


@get("/api/v1/integrity/units", **HR_OR_DEPARTMENT)
async def revoked_unit_approvals(client: ApiClient | None, user: User | None, db: asyncpg.Connection,
                                 after: int | None = None, limit: int = Parameter(default=100)) -> RevokedApprovalPage:
    """Units whose approvals were later revoked: the record, the unit's reviewer, the revocation; newest first."""
    if client is not None:
        return await service.units_for_client(db, client, after, limit)
    return await service.units_for_user(db, user, after, limit)


ROUTES = [add_entry, integrity_file, revoked_unit_approvals]
