"""`ce-service platforms add|list|pull|set-aside`, run as an operator would, against a mocked platform."""

from __future__ import annotations

import asyncio

import asyncpg
import respx

from ce_service.cli import main
from tests.builders import national_id, person
from tests.platforms.fake import BASE, TOKEN, FakePlatform, result


def test_add_pull_and_list(database_url, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("CE_DATABASE_URL", database_url)
    monkeypatch.setenv("CE_REDIS_URL", "redis://127.0.0.1:1")   # not used by these commands
    monkeypatch.setenv("CE_DATA_DIR", str(tmp_path))
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    assert main(["platforms", "add", "gz", "--base-url", BASE, "--region", "520000", "--token-file",
                 str(token_file)]) == 0
    assert main(["platforms", "add", "gz", "--base-url", BASE, "--region", "520000", "--token-file",
                 str(token_file)]) == 1
    assert "exists" in capsys.readouterr().err
    assert main(["platforms", "add", "x", "--base-url", BASE, "--region", "520000"]) == 1
    assert "--token-file" in capsys.readouterr().err

    async def add_person() -> None:
        conn = await asyncpg.connect(database_url)
        await person(conn, national_id(1), name="人员1")
        await conn.close()

    asyncio.run(add_person())
    fake = FakePlatform([result(1), result(2, passed=False)])
    with respx.mock(assert_all_called=False) as mock:
        mock.get(f"{BASE}/api/v1/results").mock(side_effect=fake)
        assert main(["platforms", "pull", "gz"]) == 0
    out = capsys.readouterr().out
    assert "1 stored" in out and "1 set aside" in out and "caught up" in out
    assert main(["platforms", "list"]) == 0
    out = capsys.readouterr().out
    assert "stored 1" in out and "not passed" in out and TOKEN not in out
    assert main(["platforms", "set-aside", "gz"]) == 0
    assert "not passed" in capsys.readouterr().out
    assert main(["platforms", "set", "gz", "--pull", "off"]) == 0
    assert main(["platforms", "set", "nope", "--pull", "off"]) == 1
