"""The demo data: loads once, is internally consistent, and its printed credentials work."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest

from ce_service.auth.secrets import token_hash, verify_password
from ce_service.demo import CLIENTS, DEMO_MARKER_UNIT, DEMO_PASSWORD, load_demo
from ce_service.identity import credit_code_error, national_id_error
from ce_service.records.lifecycle import STATUSES

TABLES = ("units", "persons", "person_periods", "person_history", "exemptions", "api_clients", "users", "records",
          "record_events")
TOKEN = re.compile(r"\bce_[A-Za-z0-9_-]{43}\b")


@pytest.fixture
async def report(db) -> str:
    # How fast it loads is not asserted: that would measure this machine, not the code.
    text = await load_demo(db)
    assert text is not None
    return text


async def counts(db) -> dict[str, int]:
    return {t: await db.fetchval(f"select count(*) from {t}") for t in TABLES}


async def test_report_names_every_credential(db, report):
    assert DEMO_PASSWORD in report
    usernames = [r["username"] for r in await db.fetch("select username from users order by id")]
    assert {"admin", "zhangwei", "hr-guizhou", "hr-qiandongnan", "health-guizhou"} <= set(usernames)
    for username in usernames:
        assert username in report
    tokens = TOKEN.findall(report)
    assert len(tokens) == 3
    kinds = set()
    for token in tokens:
        row = await db.fetchrow("select kind, token_hint, revoked_at from api_clients where token_hash = $1",
                                token_hash(token))
        assert row is not None and row["revoked_at"] is None and row["token_hint"] == token[:7]
        kinds.add(row["kind"])
    assert kinds == {kind for kind, _ in CLIENTS}


async def test_users_are_bound_to_their_scopes(db, report):
    rows = await db.fetch("select u.username, u.role, u.unit_code, u.region_prefix, u.password_hash, p.national_id"
                          " from users u left join persons p on p.id = u.person_id")
    roles = {r["username"]: r for r in rows}
    assert roles["admin"]["role"] == "admin"
    assert {r["region_prefix"] for r in rows if r["role"] == "hr_reviewer"} == {"52", "5226"}
    assert [r["region_prefix"] for r in rows if r["role"] == "health_reviewer"] == ["52"]
    unit_codes = {r["unit_code"] for r in rows if r["role"] == "unit_reviewer"}
    guizhou = {r["credit_code"] for r in await db.fetch("select credit_code from units where region like '52%'")}
    assert unit_codes == guizhou
    professionals = [r for r in rows if r["role"] == "professional"]
    assert len(professionals) == 3
    for r in professionals:
        assert r["national_id"] in report  # they may sign in with their ID number too
    assert verify_password(roles["admin"]["password_hash"], DEMO_PASSWORD)


async def test_identities_are_valid(db, report):
    for r in await db.fetch("select credit_code from units"):
        assert credit_code_error(r["credit_code"]) is None
    persons = await db.fetch("select national_id from persons")
    assert 45 <= len(persons) <= 60
    for r in persons:
        assert national_id_error(r["national_id"]) is None, r["national_id"]
    mismatched = await db.fetchval(
        "select count(*) from person_periods pp join units u on u.credit_code = pp.unit_code"
        " where pp.region <> u.region or (u.kind = 'private') <> (pp.workplace = 'private')")
    assert mismatched == 0
    assert await db.fetchval("select count(*) from person_periods where region like '42%'") > 0
    exemption = await db.fetchrow("select reason, created_by from exemptions")
    assert tuple(exemption) == ("green_channel", "demo")


async def test_records_are_consistent(db, report):
    today = datetime.now(timezone.utc).date()
    now = datetime.now(timezone.utc)
    records = await db.fetch("select * from records")
    assert {r["status"] for r in records} == set(STATUSES)
    assert {r["source"] for r in records} >= {"self", "provider", "platform", "hr"}
    assert {r["year"] for r in records} >= set(range(2019, today.year))
    provider_id = await db.fetchval("select id from api_clients where kind = 'provider'")
    for r in records:
        assert r["half_hours"] > 0
        assert r["completed_on"].year == r["year"] and r["completed_on"] <= today
        if r["status"] == "registered":
            assert r["registered_at"] is not None and r["submitted_at"] is not None and r["revoked_at"] is None
        if r["status"] == "revoked":
            assert r["revoked_at"] is not None and r["status_reason"]
        if r["status"] == "returned":
            assert r["status_reason"]
        if r["status"] == "draft":
            assert r["submitted_at"] is None and r["registered_at"] is None
        for column in ("created_at", "updated_at", "submitted_at", "registered_at", "revoked_at"):
            assert r[column] is None or r[column] <= now
        if r["source"] == "provider":
            assert r["source_client_id"] == provider_id
            assert re.fullmatch(rf"BASE-{r['year']}-\d{{6}}", r["external_id"])
        if r["source"] == "platform":
            assert r["category"] == "public" and r["course_code"] == f"GX-{r['year']}"
    # Some people meet 90 h in a past year and some fall short.
    totals = await db.fetch("select person_id, year, sum(half_hours) as h from records"
                            " where status = 'registered' and year < $1 group by 1, 2", today.year)
    assert any(t["h"] >= 180 for t in totals) and any(t["h"] < 180 for t in totals)


async def test_every_record_has_its_history(db, report):
    rows = await db.fetch("""
        select r.id, r.status, r.created_at, count(e.id) as n,
            (array_agg(e.to_status order by e.id desc))[1] as last_status,
            (array_agg(e.from_status order by e.id))[1] as first_from,
            (array_agg(e.at order by e.id)) as ats,
            bool_and(e.actor_name <> '') as named
        from records r left join record_events e on e.record_id = r.id group by r.id""")
    for r in rows:
        assert r["n"] >= 1
        assert r["last_status"] == r["status"]
        assert r["first_from"] is None
        assert r["ats"] == sorted(r["ats"]) and r["ats"][0] == r["created_at"]
        assert r["named"]
    chained = await db.fetchval("""
        select count(*) from (
            select from_status, lag(to_status) over (partition by record_id order by id) as previous
            from record_events) e
        where e.previous is not null and e.previous is distinct from e.from_status""")
    assert chained == 0
    assert await db.fetchval("select count(*) from record_events where action = 'return' and reason is null") == 0
    assert await db.fetchval("select count(distinct actor_kind) from record_events") == 3


async def test_second_load_is_a_no_op(db, report):
    before = await counts(db)
    assert await load_demo(db) is None
    assert await counts(db) == before
    assert await db.fetchval("select exists (select 1 from units where credit_code = $1)", DEMO_MARKER_UNIT)


async def test_refuses_when_a_demo_username_is_taken(db):
    from ce_service.errors import Conflict
    from tests.builders import user

    await user(db, "admin", "admin")
    with pytest.raises(Conflict):
        await load_demo(db)
    assert await db.fetchval("select count(*) from units") == 0


def test_content_is_deterministic():
    import random

    from ce_service.demo import build_plan

    now = datetime(2026, 6, 1, tzinfo=timezone.utc)
    clients = dict((kind, name) for kind, name in CLIENTS)
    a, b = (build_plan(random.Random(2026), now, clients) for _ in range(2))
    assert [(r.id, r.half_hours, r.status, r.steps[-1].at) for r in a.records] == \
        [(r.id, r.half_hours, r.status, r.steps[-1].at) for r in b.records]
    assert all(r.completed_on <= date(2026, 5, 31) for r in a.records)


async def test_demo_records_waiting_are_in_reviewer_queues(db):
    from ce_service.demo import load_demo

    await load_demo(db)
    waiting = await db.fetch("select route, step, status, source from records"
                             " where status in ('submitted', 'unit_approved')")
    assert waiting and all(r["route"] and r["step"] < len(r["route"]) for r in waiting)
    assert all(r["route"][r["step"]] != "unit" for r in waiting if r["status"] == "unit_approved")


async def test_late_official_copies_supersede_waiting_records_and_flag_registered_ones(db, report):
    """Registered hours are never taken away: a registered own record and its official copy are flagged instead."""
    superseded = await db.fetch("select r.id, o.status as official from records r join records o on o.id = r.superseded_by"
                                " where r.status = 'superseded'")
    assert superseded and all(row["official"] == "registered" for row in superseded)
    flags = await db.fetch("select f.reason, r.status as own, o.status as official from duplicate_flags f"
                           " join records r on r.id = f.record_id join records o on o.id = f.official_id")
    assert [(f["own"], f["official"]) for f in flags] == [("registered", "registered")]
