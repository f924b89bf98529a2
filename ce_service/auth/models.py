"""Who is asking: a machine client or a signed-in user."""

from __future__ import annotations

import msgspec

CLIENT_KINDS = ("provider", "review_system", "hr_system")
ROLES = ("professional", "unit_reviewer", "hr_reviewer", "health_reviewer", "admin")


class ApiClient(msgspec.Struct, frozen=True):
    """A machine client authenticated by its bearer token."""

    id: int
    name: str
    kind: str
    regions: list[str]


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
