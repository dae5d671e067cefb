"""`mashbot audit verify`, `mashbot audit rekey` and the start-up key checks, end to end."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from storage.database import Database
from tests.e2e import test_cli
from tests.e2e.test_cli import raise_challenge
from tests.ladder_harness import local

NEW_KEY = "n" * 40
cli = test_cli.cli  # the same in-process `mashbot` fixture


def edit(database_url: str, sql: str) -> None:
    async def go() -> None:
        db = Database(database_url)
        try:
            async with db.session() as session, session.begin():
                await session.execute(text(sql))
        finally:
            await db.dispose()

    asyncio.run(go())


def test_verify_names_the_challenge_whose_row_was_edited(cli, database_url: str) -> None:  # type: ignore[no-untyped-def]
    ref = raise_challenge(local("2027-01-04 10:00"))
    code, out = cli("audit", "verify")
    assert code == 0 and "every challenge agrees" in out
    assert "development key" in out  # no MASHBOT_AUDIT_KEY here: said plainly
    edit(database_url, f"UPDATE challenges SET stage = 2 WHERE reference = '{ref}'")
    code, out = cli("audit", "verify")
    assert code == 1 and "does NOT verify" in out and f"- {ref}: the challenge row was changed" in out


def test_rekey_moves_the_trail_to_a_new_key_and_starts_refuse_the_old_one(
        cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    raise_challenge(local("2027-01-04 10:00"))
    monkeypatch.setenv("MASHBOT_AUDIT_KEY", NEW_KEY)
    code, out = cli("audit", "verify")
    assert code == 1 and "BROKEN at event 1" in out and "signed with key id" in out
    code, out = cli("db", "upgrade")  # a start with a key the trail is not signed with
    assert code == 1 and "mashbot audit rekey" in out
    code, out = cli("audit", "rekey")  # MASHBOT_AUDIT_OLD_KEY unset: from the development key
    assert code == 0 and "re-signed" in out, out
    code, out = cli("audit", "verify")
    assert code == 0 and "development key" not in out
    assert NEW_KEY not in out
    monkeypatch.setenv("MASHBOT_AUDIT_OLD_KEY", "x" * 40)
    code, out = cli("audit", "rekey")
    assert code == 1 and "MASHBOT_AUDIT_OLD_KEY is not the key" in out


def test_serve_refuses_to_start_unkeyed_with_a_real_transport(cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MASHBOT_SMTP_URL", "smtp://127.0.0.1:1")
    monkeypatch.delenv("MASHBOT_AUDIT_KEY", raising=False)
    code, out = cli("serve", "--port", "0")
    assert code == 2 and "MASHBOT_AUDIT_KEY is not set" in out
    monkeypatch.setenv("MASHBOT_AUDIT_KEY", "short")
    code, out = cli("audit", "verify")
    assert code == 1 and "at least 16" in out
