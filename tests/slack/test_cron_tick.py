"""Cron's `mashbot tick` sends through Slack like `mashbot serve` does (the same dispatcher),
and a rate-limited Slack leaves the message queued to retry, not lost."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from adapters import bootstrap
from adapters.cli import main
from bot.commands import RaiseChallenge
from tests.ladder_harness import local
from tests.slack.conftest import AVA, CARD_SECRET, FARID, SIGNING_SECRET, TARA
from tests.slack.fake_slack import TOKEN, FakeSlack


def _env(monkeypatch: pytest.MonkeyPatch, db_url: str, fake: FakeSlack) -> None:
    for name, value in {"MASHBOT_DATABASE_URL": db_url, "MASHBOT_POLICY": "lancashire", "SLACK_BOT_TOKEN": TOKEN,
                        "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": fake.api_url,
                        "MASHBOT_SECRET": CARD_SECRET}.items():
        monkeypatch.setenv(name, value)


async def _raise_at(at_text: str) -> str:
    service = bootstrap.build()
    try:
        result = await service.mashbot.raise_challenge(RaiseChallenge(
            actor_id="tara.nolan", case_reference="LCS123456", area="East", decision_challenged="Level 2",
            requested_outcome="Level 3", reason_category="level_of_need",
            reason_text="Repeated missing episodes were not weighed."), local(at_text))
    finally:
        await service.close()
    assert result.challenge is not None
    return result.challenge.reference


async def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = await asyncio.get_running_loop().run_in_executor(None, main, list(argv))
    out = capsys.readouterr()
    return code, out.out + out.err


async def test_a_cron_tick_sends_its_messages_by_slack(db_url: str, fake: FakeSlack, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch, pin_clock,  # type: ignore[no-untyped-def]
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    _env(monkeypatch, db_url, fake)
    ref = await _raise_at("2027-01-04 10:00")
    pin_clock(local("2027-01-04 10:01"))  # cron's next minute: the raise's cards go out
    code, out = await _cli(capsys, "tick")
    assert code == 0 and "0 changed" in out and "outbox: 3 sent, 0 to retry later, 0 failed" in out, out
    assert fake.dm(AVA) and fake.dm(TARA)
    cards_before = len(fake.called("chat.postMessage")) + len(fake.called("chat.update"))

    pin_clock(local("2027-01-05 17:00"))  # the Practice Manager's day ran out
    fake.fail("chat.postMessage", "ratelimited", 429, retry_after=30)  # Slack pushes back once
    code, out = await _cli(capsys, "tick")
    assert code == 0, out
    assert "1 changed" in out and "1 to retry later" in out
    assert len(fake.called("chat.postMessage")) + len(fake.called("chat.update")) > cards_before + 1
    assert any(ref in m.text or ref in str(m.blocks) for m in fake.dm(TARA))  # the challenger is told in Slack
    code, listed = await _cli(capsys, "outbox", "list", "--pending")
    assert "attempts 1" in listed and "Slack" in listed and "ratelimited" in listed.lower()


async def test_a_cron_digest_goes_out_by_slack(db_url: str, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch,
                                               pin_clock, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    _env(monkeypatch, db_url, fake)
    await _raise_at("2027-01-05 10:00")
    pin_clock(local("2027-01-06 08:30"))
    code, out = await _cli(capsys, "digest")
    assert code == 0, out
    assert "2 queued" in out and "5 message(s) sent, 0 waiting." in out  # the digests and the raise's cards
    digests = [m for m in fake.dm(FARID) if "daily digest" in m.text]
    assert len(digests) == 1  # Farid Khan reads it in Slack, not by email
