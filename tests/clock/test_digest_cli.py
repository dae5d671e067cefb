"""`mashbot digest --dry-run [--date D]` and `mashbot digest`, in-process, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from adapters import bootstrap
from adapters.cli import main
from bot.commands import RaiseChallenge
from tests.clock.smtp_server import smtp_server
from tests.ladder_harness import local

Run = Callable[..., tuple[int, str]]


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> Run:
    monkeypatch.setenv("MASHBOT_DATABASE_URL", database_url)
    monkeypatch.setenv("MASHBOT_POLICY", "lancashire")
    monkeypatch.delenv("MASHBOT_ROSTER", raising=False)
    monkeypatch.delenv("MASHBOT_SMTP_URL", raising=False)
    monkeypatch.chdir(tmp_path)

    def run(*argv: str) -> tuple[int, str]:
        code = main(list(argv))
        out = capsys.readouterr()
        return code, out.out + out.err

    assert run("roster", "import", "--demo")[0] == 0
    return run


def raise_on(at: str) -> str:
    async def go() -> str:
        service = bootstrap.build()
        try:
            result = await service.mashbot.raise_challenge(RaiseChallenge(
                actor_id="tara.nolan", case_reference="LCS123456", area="East", decision_challenged="Level 2",
                requested_outcome="Level 3", reason_category="level_of_need",
                reason_text="Repeated missing episodes were not weighed."), local(at))
        finally:
            await service.close()
        assert result.challenge is not None
        return result.challenge.reference

    return asyncio.run(go())


def test_dry_run_prints_what_each_recipient_would_get_and_sends_nothing(cli: Run) -> None:
    ref = raise_on("2027-01-05 10:00")
    code, out = cli("digest", "--dry-run", "--date", "2027-01-06")
    assert code == 0
    assert "To: Farid Khan" in out and "To: Gwen Talbot" in out
    assert "mashbot daily digest — Wed 6 Jan 2027 — for Farid Khan, all areas" in out
    assert f"{ref}  East  Practice Manager — due Wed 6 Jan, 17:00" in out
    assert "LCS123456" not in out and "missing episodes" not in out
    # Nothing was claimed: the same dry run again prints the same, and a real run still queues.
    assert cli("digest", "--dry-run", "--date", "2027-01-06")[1] == out


def test_dry_run_on_a_bank_holiday_says_no_digest_goes_out(cli: Run) -> None:
    code, out = cli("digest", "--dry-run", "--date", "2027-01-01")
    assert code == 0 and out.startswith("2027-01-01 is not a working day")


def test_date_without_dry_run_is_refused(cli: Run) -> None:
    assert cli("digest", "--date", "2027-01-06") == (
        2, "mashbot: --date is for --dry-run only; without it the digest is today's\n")


def test_a_real_run_queues_once_and_sends_by_email(cli: Run, monkeypatch: pytest.MonkeyPatch,
                                                   pin_clock: Callable[[datetime], None]) -> None:
    raise_on("2027-01-05 10:00")
    received: list[int] = []

    async def with_server() -> None:
        async with smtp_server() as inbox:
            monkeypatch.setenv("MASHBOT_SMTP_URL", inbox.url)
            loop = asyncio.get_running_loop()
            pin_clock(local("2027-01-06 08:30"))
            first = await loop.run_in_executor(None, cli, "digest")
            pin_clock(local("2027-01-06 09:00"))
            second = await loop.run_in_executor(None, cli, "digest")
            assert first[0] == 0 and "2 queued, 0 already sent" in first[1] and " 0 waiting" in first[1]
            assert second[0] == 0 and "0 queued, 2 already sent" in second[1]
            received.append(len([m for m in inbox.messages() if "daily digest" in m["Subject"]]))

    asyncio.run(with_server())
    assert received == [2]


def test_now_without_dry_run_only_rehearses(cli: Run, pin_clock: Callable[[datetime], None]) -> None:
    raise_on("2027-01-05 10:00")
    code, out = cli("digest", "--now", "2027-01-06T08:30")
    assert code == 0 and "--now rehearses and changes nothing" in out and "To: Farid Khan" in out
    pin_clock(local("2027-01-06 08:30"))
    code, out = cli("digest")  # nothing was claimed by the rehearsal: today's digests still go
    assert code == 0 and "2 queued, 0 already sent" in out
