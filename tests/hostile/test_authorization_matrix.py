"""Every operation of the OpenAPI document against every kind of caller: who gets in, who is kept out.

An operation missing from ACCESS fails the test, so a new route must say who may call it. The routes
the document leaves out (web pages, their form posts, PWA files) have their own matrix in
tests/hostile/test_web_authorization.py.
"""

from __future__ import annotations

import re

import pytest

from tests.builders import UNIT, api_client, national_id, person, sign_in, user
from tests.hostile.test_generated_requests import _openapi

ANYONE = "anyone"
MACHINES = ("provider", "review_system", "hr_system")
# Every role a user can have: the two base roles and each verifier kind's reviewer role (migrations 0003, 0012).
ROLES = ("professional", "unit_reviewer", "agency_reviewer", "industry_reviewer", "hr_reviewer", "health_reviewer",
         "admin")
UNIT_SCOPED = {"unit_reviewer", "agency_reviewer", "industry_reviewer"}   # scoped by a unit's (agency's) code
DEPARTMENTS = {"hr_reviewer", "health_reviewer"}                           # scoped by a region
REVIEWERS = UNIT_SCOPED | DEPARTMENTS
STAFF = REVIEWERS | {"admin"}
SIGNED_IN = set(ROLES)

# (method, path pattern) -> who may call it.
ACCESS: dict[tuple[str, str], set[str] | str] = {
    ("GET", "/health"): ANYONE,
    ("GET", "/ready"): ANYONE,
    ("POST", "/api/v1/auth/login"): ANYONE,
    ("POST", "/api/v1/auth/logout"): SIGNED_IN,
    ("GET", "/api/v1/auth/me"): SIGNED_IN,
    ("PUT", "/api/v1/persons/{national_id}"): {"hr_system"},
    ("POST", "/api/v1/persons/{national_id}/exemptions"): {"hr_system"},
    ("POST", "/api/v1/persons/{national_id}/integrity"): {"hr_system"},
    ("GET", "/api/v1/persons/{national_id}/integrity"): {"hr_system", *REVIEWERS},
    ("GET", "/api/v1/integrity/units"): {"hr_system", *DEPARTMENTS},
    ("GET", "/api/v1/me/records"): {"professional"},
    ("POST", "/api/v1/me/records"): {"professional"},
    ("GET", "/api/v1/me/records/{record_id}"): {"professional"},
    ("PATCH", "/api/v1/me/records/{record_id}"): {"professional"},
    ("POST", "/api/v1/me/records/{record_id}/submit"): {"professional"},
    ("POST", "/api/v1/me/records/{record_id}/withdraw"): {"professional"},
    ("GET", "/api/v1/me/form"): {"professional"},
    ("POST", "/api/v1/me/evidence"): {"professional"},
    ("GET", "/api/v1/me/records/{record_id}/evidence"): {"professional"},
    ("GET", "/api/v1/compliance/keys"): ANYONE,
    ("GET", "/api/v1/audit/checkpoints"): {"review_system", "hr_system"},
    ("GET", "/api/v1/compliance/{national_id}"): {"review_system"},
    ("POST", "/api/v1/compliance/batch"): {"review_system"},
    ("POST", "/api/v1/hr/records"): {"hr_system"},
    ("POST", "/api/v1/hr/records/{record_id}/revoke"): {"hr_system"},
    ("GET", "/api/v1/provider/records"): {"provider"},
    ("POST", "/api/v1/provider/records"): {"provider"},
    ("GET", "/api/v1/review/queue"): REVIEWERS,
    ("GET", "/api/v1/review/records/{record_id}"): REVIEWERS,
    ("POST", "/api/v1/review/records/{record_id}/approve"): REVIEWERS,
    ("POST", "/api/v1/review/records/{record_id}/return"): REVIEWERS,
    ("POST", "/api/v1/review/approve-many"): REVIEWERS,
    ("POST", "/api/v1/review/records/{record_id}/revoke"): DEPARTMENTS,
    ("GET", "/api/v1/review/forms/{national_id}"): REVIEWERS,
    ("GET", "/api/v1/review/duplicates"): DEPARTMENTS,
    ("POST", "/api/v1/review/duplicates/{flag_id}/close"): DEPARTMENTS,
    ("GET", "/api/v1/review/records/{record_id}/evidence"): REVIEWERS,
    ("GET", "/api/v1/admin/platforms"): {"admin"},
    ("GET", "/api/v1/admin/platforms/{name}"): {"admin"},
    ("GET", "/api/v1/admin/platforms/{name}/set-aside"): {"admin"},
    ("POST", "/api/v1/admin/platforms/{name}/pull"): {"admin"},
    ("GET", "/api/v1/imports"): STAFF,
    ("POST", "/api/v1/imports"): STAFF,
    ("GET", "/api/v1/imports/templates/{name}"): STAFF,
    ("GET", "/api/v1/imports/{import_id}"): STAFF,
    ("GET", "/api/v1/imports/{import_id}/report"): STAFF,
}
NID = national_id(5)
FILL = {"national_id": NID, "flag_id": "1", "record_id": "00000000-0000-4000-8000-000000000000", "name": "gz",
        "import_id": "00000000-0000-4000-8000-000000000000"}
OPERATIONS = [(method.upper(), path) for path, item in _openapi()["paths"].items() for method in item
              if method in ("get", "put", "post", "patch", "delete")]


async def role_user(db, role: str, person_id: int) -> int:
    """A user of `role` named after it, in the scope of the person `person_id` (unit UNIT, region 52)."""
    return await user(db, role, role, person_id=person_id if role == "professional" else None,
                      unit_code=UNIT if role in UNIT_SCOPED else None,
                      region_prefix="52" if role in DEPARTMENTS else None)


def test_every_operation_says_who_may_call_it():
    assert sorted(set(OPERATIONS) - set(ACCESS)) == [], "add these routes to ACCESS"
    assert sorted(set(ACCESS) - set(OPERATIONS)) == [], "these routes are gone: remove them from ACCESS"


@pytest.mark.parametrize("caller", ["anonymous", *MACHINES, *ROLES])
async def test_only_the_callers_allowed_get_past_the_door(api, db, caller):
    pid = await person(db, NID, periods=[(2015, "intermediate", "standard", "522601", UNIT)])
    headers: dict[str, str] = {}
    if caller in MACHINES:
        headers = {"Authorization": "Bearer " + await api_client(db, caller)}
    elif caller in ROLES:
        await role_user(db, caller, pid)
        headers = await sign_in(api, caller)
    wrong = []
    for method, path in OPERATIONS:
        if (method, path) == ("POST", "/api/v1/auth/logout"):
            continue   # would end this caller's session for the rest of the loop; checked last
        url = re.sub(r"\{(\w+)\}", lambda m: FILL[m.group(1)], path)
        answer = await api.request(method, url, headers=headers, json={} if method != "GET" else None)
        allowed = ACCESS[(method, path)]
        let_in = allowed == ANYONE or caller in allowed
        if let_in and answer.status_code in (401, 403):
            wrong.append(f"{method} {path}: {caller} refused with {answer.status_code}")
        if not let_in and answer.status_code not in (401, 403):
            wrong.append(f"{method} {path}: {caller} let in ({answer.status_code})")
        assert answer.status_code < 500, (method, path, caller, answer.text[:200])
    assert not wrong, "\n".join(wrong)
    logout = await api.post("/api/v1/auth/logout", headers=headers)
    assert (logout.status_code in (401, 403)) == (caller not in ROLES), logout.status_code
