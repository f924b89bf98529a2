"""`ce-service series list|add`, `units add --kind agency`, `users create --role agency_reviewer` and
`routing list|set --affiliation`, run as an operator would."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from ce_service.cli import main
from ce_service.identity import make_credit_code
from tests.builders import national_id, person

AGENCY = make_credit_code("12421200700000001")


@pytest.fixture
def cli_env(database_url, monkeypatch, tmp_path) -> str:
    monkeypatch.setenv("CE_DATABASE_URL", database_url)
    monkeypatch.setenv("CE_REDIS_URL", "redis://127.0.0.1:1")   # not used by these commands
    monkeypatch.setenv("CE_DATA_DIR", str(tmp_path))
    return database_url


def test_the_series_the_notices_name_are_there_with_their_people(cli_env, capsys):
    """Seed 002 (Kaili): "高等学校教师、中等职业学校教师、中小学教师、实验技术、技工院校教师、党校、行政学院（校）系统教师"
    are series people declare in; the list shows each with how many people are registered in it."""
    async def add_people() -> None:
        conn = await asyncpg.connect(cli_env)
        await person(conn, national_id(1), series="secondary_vocational_teacher")
        await person(conn, national_id(2), series="secondary_vocational_teacher")
        await conn.close()

    asyncio.run(add_people())
    assert main(["series", "list"]) == 0
    lines = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines()}
    assert lines["secondary_vocational_teacher"][1:] == ["2", "中等职业学校教师"]
    assert lines["party_school_teacher"][1:] == ["0", "党校（行政学院）教师"]
    assert {"health", "ship", "civil_aviation", "notary"} <= set(lines)


def test_add_checks_the_code_and_name_and_refuses_duplicates(cli_env, capsys):
    """Seed 002: "继续推进职称分类改革" — series change; an operator adds one without a release."""
    assert main(["series", "add", "--code", "ecology_ranger", "--name-zh", "生态护林"]) == 0
    assert "added series ecology_ranger" in capsys.readouterr().out
    assert main(["series", "add", "--code", "ecology_ranger", "--name-zh", "另一个名字"]) == 1
    assert "already exists" in capsys.readouterr().err
    assert main(["series", "add", "--code", "forest", "--name-zh", "生态护林"]) == 1
    assert "already exists" in capsys.readouterr().err
    for code, name, field in [("Ship", "船", "code"), ("x", "船", "code"), ("a" * 41, "船", "code"),
                              ("ship-tech", "船", "code"), ("ok_code", "  ", "name_zh"),
                              ("ok_code", "长" * 41, "name_zh"), ("ok_code", "卫生\u200b", "name_zh"),
                              ("ok_code", "船\u202e舶", "name_zh"), ("ok_code", "船\n舶", "name_zh"),
                              ("ok_code", "船\x00", "name_zh")]:
        assert main(["series", "add", "--code", code, "--name-zh", name]) == 1
        assert f"{field}:" in capsys.readouterr().err
    assert main(["series", "list"]) == 0
    out = capsys.readouterr().out
    assert "生态护林" in out and "ok_code" not in out


def test_an_agency_its_reviewer_and_its_routing_from_the_command_line(cli_env, capsys):
    """Seed 004: "自由职业专业技术人员，由人事代理机构履行审核、公示、推荐程序。" The operator adds the agency, its
    reviewer, and can see and change where its people's hours go."""
    assert main(["units", "add", "--code", AGENCY, "--name", "咸宁市人才服务中心", "--region", "421200",
                 "--kind", "agency"]) == 0
    assert main(["users", "create", "--username", "xn-agency", "--role", "agency_reviewer", "--unit", AGENCY,
                 "--password", "correct-horse-battery"]) == 0
    assert "created agency_reviewer user" in capsys.readouterr().out
    assert main(["users", "create", "--username", "xn-agency2", "--role", "agency_reviewer",
                 "--region", "42", "--password", "correct-horse-battery"]) == 1
    assert "unit:" in capsys.readouterr().err
    assert main(["routing", "list"]) == 0
    lines = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert ["self", "(any", "series)", "agency", "(anywhere)", "agency", "→", "hr"] in [line[:8] for line in lines]
    assert ["hr", "health", "(any)", "(anywhere)", "health"] in [line[:5] for line in lines]
    assert main(["routing", "set", "--source", "self", "--affiliation", "agency", "--region", "4212",
                 "--steps", "agency"]) == 0

    async def route() -> list[str]:
        conn = await asyncpg.connect(cli_env)
        try:
            return await conn.fetchval("select route_for('self', 'engineering', '421202', 'agency')")
        finally:
            await conn.close()

    assert asyncio.run(route()) == ["agency"]


def test_an_organisation_people_name_keeps_its_kind(cli_env, capsys):
    """A freelancer's period names the agency as their agency: it cannot quietly become an employer unit."""
    assert main(["units", "add", "--code", AGENCY, "--name", "咸宁市人才服务中心", "--region", "421200",
                 "--kind", "agency"]) == 0
    # Not named by anyone yet: its kind may still be corrected.
    assert main(["units", "add", "--code", AGENCY, "--name", "咸宁市人才服务中心", "--region", "421200",
                 "--kind", "industry"]) == 0
    assert main(["units", "add", "--code", AGENCY, "--name", "咸宁市人才服务中心", "--region", "421200",
                 "--kind", "agency"]) == 0

    async def name_it() -> None:
        conn = await asyncpg.connect(cli_env)
        try:
            await person(conn, national_id(9), periods=[(2020, "junior", "standard", "421202", AGENCY, "agency")])
        finally:
            await conn.close()

    asyncio.run(name_it())
    capsys.readouterr()
    assert main(["units", "add", "--code", AGENCY, "--name", "咸宁市人才服务中心", "--region", "421200",
                 "--kind", "enterprise"]) == 1
    assert "kind:" in capsys.readouterr().err
    # A change that keeps what it is for people (a new name, another agency kind) is fine.
    assert main(["units", "add", "--code", AGENCY, "--name", "咸宁市人才交流服务中心", "--region", "421200",
                 "--kind", "agency"]) == 0


def test_users_disable_enable_reset_password_and_end_sessions(cli_env, capsys, monkeypatch):
    """An administrator can stop a reviewer who left, let them back, reset a forgotten password, and sign
    someone out everywhere, without touching the database by hand."""
    import io

    assert main(["users", "create", "--username", "clerk2", "--role", "admin", "--password", "correct-horse-battery"]) == 0
    capsys.readouterr()
    assert main(["users", "disable", "clerk2"]) == 0
    assert "disabled clerk2" in capsys.readouterr().out
    assert main(["users", "enable", "clerk2"]) == 0
    assert "enabled clerk2" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("another-long-secret\n"))
    assert main(["users", "reset-password", "clerk2", "--password-stdin"]) == 0
    assert "set a new password for clerk2" in capsys.readouterr().out
    assert main(["users", "end-sessions", "clerk2"]) == 0
    assert main(["users", "disable", "nobody-here"]) == 1
    assert "username: no such user" in capsys.readouterr().err

    async def state():
        conn = await asyncpg.connect(cli_env)
        try:
            return await conn.fetchrow("select disabled_at, password_hash from users where username = 'clerk2'")
        finally:
            await conn.close()

    from ce_service.auth.secrets import verify_password

    row = asyncio.run(state())
    assert row["disabled_at"] is None and verify_password(row["password_hash"], "another-long-secret")
