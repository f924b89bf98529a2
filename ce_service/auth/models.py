"""Who is asking: a machine client or a signed-in user."""

from __future__ import annotations

import msgspec

from ce_service.identity import region_in_scope

CLIENT_KINDS = ("provider", "review_system", "hr_system")
# Roles that are not reviewers; reviewer roles are data (verifier_kinds.role).
BASE_ROLES = ("professional", "admin")


class ApiClient(msgspec.Struct, frozen=True):
    """A machine client authenticated by its bearer token."""

    id: int
    name: str
    kind: str
    regions: list[str]  # division-code prefixes it may act for; empty: everywhere
    requests_per_second: int | None = None  # its own rate limit; None: the service default

    def covers(self, region: str | None) -> bool:
        """True when this client may act for people (or records) of `region`."""
        return not self.regions or (region is not None and any(region_in_scope(region, p) for p in self.regions))


class User(msgspec.Struct, frozen=True):
    """A person signed in with a session cookie, with the scope their role works in."""

    id: int
    username: str
    display_name: str
    role: str
    person_id: int | None
    unit_code: str | None
    region_prefix: str | None

    @property
    def scope(self) -> str:
        """The scope as one string, for the trail: a unit code, a region prefix, or ''."""
        return self.unit_code or self.region_prefix or ""
