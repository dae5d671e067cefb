"""The administrator's CLI end to end, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from adapters import bootstrap
from adapters.cli import main
from bot.commands import RaiseChallenge
from tests.ladder_harness import local


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tmp_path: Path):
    """Run `mashbot ...` in-process against the test database; returns (exit code, output)."""
    monkeypatch.setenv("MASHBOT_DATABASE_URL", database_url)
    monkeypatch.setenv("MASHBOT_POLICY", "lancashire")
    monkeypatch.delenv("MASHBOT_ROSTER", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env or database file is picked up

    def run(*argv: str) -> tuple[int, str]:
        code = main(list(argv))
        out = capsys.readouterr()
        return code, out.out + out.err

    assert run("db", "upgrade")[0] == 0
    assert run("roster", "import", "--demo")[0] == 0
    return run


def raise_challenge(now: datetime, **overrides: object) -> str:
    fields: dict[str, object] = dict(
        actor_id="tara.nolan", case_reference="LCS123456", area="East",
        decision_challenged="Level 2 – Additional support", requested_outcome="A Level 3 assessment",
        reason_category="level_of_need", reason_text="Repeated missing episodes were not weighed.",
    )
    fields.update(overrides)

    async def go() -> str:
        service = bootstrap.build()
        try:
            result = await service.mashbot.raise_challenge(RaiseChallenge(**fields), now)  # type: ignore[arg-type]
        finally:
            await service.close()
        assert result.challenge is not None
        return result.challenge.reference

    return asyncio.run(go())


def test_full_lancashire_ladder_runs_by_ticks_alone_and_ends_breached(cli, pin_clock) -> None:  # type: ignore[no-untyped-def]
    ref = raise_challenge(local("2027-01-04 10:00"))
    at = local("2027-01-04 10:00")
    while at < local("2027-01-29 18:00"):
        at += timedelta(hours=8)
        pin_clock(at)
        code, out = cli("tick", "--no-send")
        assert code == 0, out
    code, out = cli("challenges", "show", ref)
    assert code == 0
    assert "Head of Service (Stage 3 of 3); state open" in out and "BREACHED" in out
    timeline = [line for line in out.splitlines() if "escalated (timeout)" in line]
    assert [re.search(r"; due (.*?)\)$", line).group(1) for line in timeline] == [  # type: ignore[union-attr]
        "Tue 12 Jan 2027, 17:00", "Tue 19 Jan 2027, 17:00", "Tue 26 Jan 2027, 17:00"]
    assert "breached (final stage overdue)" in out
    assert cli("audit", "verify") == (0, cli("audit", "verify")[1])
    code, out = cli("audit", "verify")
    assert code == 0 and "intact" in out
    code, out = cli("challenges", "list")
    assert ref in out and "BREACHED" in out


def test_a_second_tick_at_the_same_instant_changes_nothing(cli, pin_clock) -> None:  # type: ignore[no-untyped-def]
    raise_challenge(local("2027-01-04 10:00"))
    pin_clock(local("2027-01-05 17:00"))
    code, first = cli("tick")
    assert "1 changed" in first
    code, second = cli("tick")
    assert "0 due, 0 changed" in second


def test_due_lists_what_falls_due_soon(cli) -> None:  # type: ignore[no-untyped-def]
    ref = raise_challenge(local("2027-01-04 10:00"))
    code, out = cli("due", "--days", "1", "--now", "2027-01-04T11:00:00+00:00")
    assert code == 0 and ref in out and "Tue 5 Jan, 17:00" in out


def test_a_bad_roster_file_changes_nothing_and_names_row_and_field(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "roster.csv"
    bad.write_text("id,name,email,roles,areas,side,slack_user_id,teams_aad_id,delegate,away\n"
                   "a.one,A One,a@example.org,practice_manager,Eastern,MASH,,,,\n")
    code, out = cli("roster", "import", str(bad))
    assert code == 1
    assert "row 2" in out and "areas" in out
    code, out = cli("roster", "show")
    assert code == 0 and "ava.okafor" in out  # the demo roster is still in place


def test_a_roster_without_a_team_manager_is_refused(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from adapters.roster_files import demo_roster_path

    text = demo_roster_path().read_text()
    thin = tmp_path / "thin.yaml"
    thin.write_text(text.replace("mash_team_manager", "practitioner"))
    code, out = cli("roster", "import", str(thin))
    assert code == 1 and "mash_team_manager" in out and "nothing was changed" in out
    assert cli("roster", "check")[0] == 0


def test_policy_and_calendar_commands(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("calendar", "due", "2026-12-24T14:00", "5") == (0, "2027-01-05T17:00:00+00:00\n")
    assert cli("calendar", "due", "2026-04-02T16:55", "5") == (0, "2026-04-13T17:00:00+01:00\n")
    assert cli("calendar", "due", "2026-12-18T16:55", "5") == (0, "2026-12-29T17:00:00+00:00\n")
    assert cli("calendar", "due", "2027-01-08T12:00", "1", "--policy", "coventry")[1] == "2027-01-11T17:00:00+00:00\n"
    assert cli("calendar", "due", "2026-03-28T23:00", "--hours", "4")[1] == "2026-03-29T04:00:00+01:00\n"
    code, out = cli("policy", "show")
    assert code == 0 and "Head of Service" in out and "Practice Manager" in out
    assert cli("policy", "check", "coventry")[0] == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(Path(__file__).resolve().parents[2].joinpath("bot/packs/lancashire.yaml").read_text()
                   .replace("role: mash_team_manager", "role: tea_manager"))
    code, out = cli("policy", "check", str(bad))
    assert code == 1 and "bad.yaml" in out and "tea_manager" in out and "line" in out


def test_audit_verify_names_the_first_broken_link_after_tampering(cli, database_url: str, pin_clock) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    from storage.database import Database

    ref = raise_challenge(local("2027-01-04 10:00"))
    pin_clock(local("2027-01-05 17:00"))
    cli("tick")
    assert cli("audit", "verify")[0] == 0

    async def tamper() -> None:
        db = Database(database_url)
        try:
            async with db.session() as session, session.begin():
                await session.execute(text("UPDATE challenge_events SET actor_id = 'someone.else' WHERE seq = 2"))
        finally:
            await db.dispose()

    asyncio.run(tamper())
    code, out = cli("audit", "verify")
    assert code == 1 and "BROKEN at event 2" in out
    assert ref


def test_serve_loads_mashbot_roster_at_start_and_a_bad_one_changes_nothing(
        database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from adapters.admin import load_startup_roster
    from adapters.roster_files import demo_roster_path
    from adapters.settings import Settings
    from bot.errors import InvalidCommand
    from storage.database import Database

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MASHBOT_DATABASE_URL", database_url)
    monkeypatch.delenv("MASHBOT_ROSTER", raising=False)
    assert "demo roster" in asyncio.run(load_startup_roster(Settings()))  # empty: the fictional demo
    assert asyncio.run(load_startup_roster(Settings())) == "Using the roster already imported."
    own = tmp_path / "own.yaml"
    own.write_text(demo_roster_path().read_text().replace("Ava Okafor", "Ava Okafor-Smith"))
    monkeypatch.setenv("MASHBOT_ROSTER", str(own))
    assert asyncio.run(load_startup_roster(Settings())).startswith("Imported 33 people")
    bad = tmp_path / "bad.yaml"
    bad.write_text(demo_roster_path().read_text().replace("mash_team_manager", "practitioner"))
    monkeypatch.setenv("MASHBOT_ROSTER", str(bad))
    with pytest.raises(InvalidCommand, match="nothing was changed"):
        asyncio.run(load_startup_roster(Settings()))

    async def names() -> list[str]:
        db = Database(database_url)
        try:
            async with db.uow() as uow:
                return [p.name for p in (await uow.people.roster()).people]
        finally:
            await db.dispose()

    assert "Ava Okafor-Smith" in asyncio.run(names())


def test_a_setting_that_does_not_parse_is_named_without_a_traceback_or_its_secret(
        cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MASHBOT_DEMO", "maybe")
    monkeypatch.setenv("MASHBOT_TICK_SECONDS", "soon")
    monkeypatch.setenv("MASHBOT_SECRET", "s3cret-value")
    code, out = cli("tick", "--no-send")
    assert code == 2
    assert "MASHBOT_DEMO" in out and "'maybe'" in out
    assert "MASHBOT_TICK_SECONDS" in out
    assert "Traceback" not in out and "s3cret-value" not in out
