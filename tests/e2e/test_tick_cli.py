"""`mashbot tick` as the administrator and cron run it: a rehearsal changes nothing; a real
tick sends what it queued (unless --no-send). SQLite and PostgreSQL, SMTP on loopback."""

from __future__ import annotations

import asyncio

import pytest

from adapters import bootstrap
from bot.commands import Accept

from tests.clock.smtp_server import smtp_server
from tests.e2e.test_cli import cli, raise_challenge  # noqa: F401 - the shared fixture
from tests.ladder_harness import local


def test_a_rehearsed_tick_shows_what_would_happen_and_changes_nothing(cli, pin_clock) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    ref = raise_challenge(local("2027-01-04 10:00"))
    before = cli("challenges", "show", ref)[1]
    audit_before = cli("audit", "verify")[1]
    outbox_before = cli("outbox", "list")[1]
    assert outbox_before.count("pending  raised") == 1  # the raise's own messages

    code, out = cli("tick", "--now", "2027-01-05T17:00")
    assert code == 0, out
    assert "Rehearsal at Tue 5 Jan 2027, 17:00" in out and "nothing was written or sent" in out
    assert "would find 1 due, 1 changed" in out
    assert f"{ref}" in out and "stage 0 Practice Manager -> stage 1 Team Manager" in out
    assert "Messages that would be queued (kind, recipient, channel):" in out
    assert "tara.nolan" in out  # the challenger would be told, by chat
    # only kinds, people and channels: no case reference or case text
    assert "LCS123456" not in out and "missing episodes" not in out

    # nothing was written: the timeline, the audit trail and the outbox are as they were
    assert cli("challenges", "show", ref)[1] == before
    assert cli("audit", "verify")[1] == audit_before
    assert cli("outbox", "list")[1] == outbox_before
    # the real tick still does the work at its time
    pin_clock(local("2027-01-05 17:00"))
    code, out = cli("tick", "--no-send")
    assert "1 due, 1 changed" in out


def test_a_card_pressed_after_a_rehearsal_is_not_already_actioned_in_the_future(cli) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    ref = raise_challenge(local("2027-01-04 10:00"))
    assert cli("tick", "--now", "2027-02-15T09:00")[0] == 0  # weeks ahead: the whole ladder, rehearsed

    async def press() -> str:
        service = bootstrap.build()
        try:
            result = await service.mashbot.handle(Accept(actor_id="ava.okafor", reference=ref, version=1),
                                                  local("2027-01-04 11:00"))
        finally:
            await service.close()
        return result.reply

    reply = asyncio.run(press())  # raises AlreadyActioned ("... by mashbot (time limit) at ...") if it wrote
    assert "already" not in reply.lower()
    assert "accepted" in cli("challenges", "show", ref)[1]


def test_a_rehearsal_in_the_far_future_walks_the_whole_ladder_and_keeps_nothing(cli) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    ref = raise_challenge(local("2027-01-04 10:00"))
    code, out = cli("tick", "--now", "2027-03-01T09:00")
    assert code == 0 and ref in out
    code, shown = cli("challenges", "show", ref)
    assert "Practice Manager (before Stage 1); state open" in shown and "BREACHED" not in shown


def test_cron_tick_sends_what_it_queued_by_email(cli, pin_clock, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    raise_challenge(local("2027-01-04 10:00"))
    pin_clock(local("2027-01-05 17:00"))

    async def with_server() -> tuple[tuple[int, str], int]:
        async with smtp_server() as inbox:
            monkeypatch.setenv("MASHBOT_SMTP_URL", inbox.url)
            loop = asyncio.get_running_loop()
            result = await loop.run_in_executor(None, cli, "tick")
            return result, len(inbox.received)

    (code, out), received = asyncio.run(with_server())
    assert code == 0, out
    assert "1 changed" in out
    sent = int(out.split("outbox: ")[1].split()[0])
    assert sent >= 2 and received == sent  # the challenger, the old and the new reviewer at least
    assert cli("outbox", "list", "--pending")[1] == "No pending messages in the outbox.\n"


def test_tick_no_send_leaves_the_outbox_for_serve(cli, pin_clock, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    raise_challenge(local("2027-01-04 10:00"))
    pin_clock(local("2027-01-05 17:00"))
    monkeypatch.setenv("MASHBOT_SMTP_URL", "smtp://127.0.0.1:9?timeout=1")  # a send would fail and say so
    code, out = cli("tick", "--no-send")
    assert code == 0 and "Nothing sent (--no-send)" in out
    listed = cli("outbox", "list", "--pending")[1]
    assert "escalat" in listed and "attempts 0" in listed


def test_cron_tick_without_smtp_says_what_is_missing(cli, pin_clock) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    raise_challenge(local("2027-01-04 10:00"))
    pin_clock(local("2027-01-05 17:00"))
    code, out = cli("tick")
    assert code == 0 and "0 sent" in out and "waiting for a way to send them" in out
