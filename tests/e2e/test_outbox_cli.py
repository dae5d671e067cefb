"""`mashbot outbox list|show|retry`: what waits, what failed and why, without message bodies."""

from __future__ import annotations

import asyncio

import pytest

from adapters import bootstrap
from bot.challenge import Channel, Message
from tests.e2e.test_cli import cli  # noqa: F401 - the shared fixture
from tests.ladder_harness import local

SECRET = "SECRET-FAMILY-DETAIL"


def queue_and_fail() -> None:
    async def go() -> None:
        service = bootstrap.build()
        try:
            async with service.database.uow() as uow:
                await uow.outbox.add([
                    Message(kind="csap_form", to="tara.nolan", reference="CH-22222", channel=Channel.EMAIL,
                            data={"family": SECRET}),
                    Message(kind="nudge", to="ava.okafor", reference="CH-22222", data={"note": SECRET})],
                    local("2027-01-04 10:00"))
                await uow.commit()
            async with service.database.uow() as uow:
                await uow.outbox.mark_failed(1, "gave up after 7 attempt(s): SMTP 550 (SMTPRecipientsRefused)", None)
                await uow.commit()
        finally:
            await service.close()

    asyncio.run(go())


def test_failed_messages_are_listed_shown_and_retried_without_their_content(cli, pin_clock) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    queue_and_fail()
    pin_clock(local("2027-01-04 12:00"))
    code, out = cli("outbox", "list", "--failed")
    assert code == 0
    assert "csap_form" in out and "tara.nolan" in out and "email" in out and "SMTP 550" in out
    assert "nudge" not in out  # only the failed one
    assert "1 failed, 1 pending for more than 15 minutes" in out
    code, out = cli("outbox", "list")
    assert "csap_form" in out and "nudge" in out and "ava.okafor" in out
    assert SECRET not in out
    code, out = cli("outbox", "show", "1")
    assert code == 0 and SECRET not in out
    assert "kind:        csap_form" in out and "recipient:   tara.nolan" in out and "attempts:    0" in out
    assert "last error:  gave up after 7 attempt(s): SMTP 550" in out and "queued:      Mon 4 Jan 2027, 10:00" in out

    assert cli("outbox", "retry", "2") == (1, "mashbot: outbox message 2 is pending, not failed: nothing to retry\n")
    assert cli("outbox", "show", "99")[0] == 1
    code, out = cli("outbox", "retry", "1")
    assert code == 0 and "1 message(s) queued to be sent again: 1." in out
    assert cli("outbox", "list", "--failed")[1].startswith("No failed messages in the outbox.")
    code, out = cli("outbox", "show", "1")
    assert "status:      pending" in out and "next try:    Mon 4 Jan 2027, 12:00" in out
    assert cli("outbox", "retry", "--all-failed")[1] == "No failed messages to retry.\n"


def test_retry_needs_an_id_or_all_failed(cli) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    with pytest.raises(SystemExit) as exit_info:
        cli("outbox", "retry")
    assert exit_info.value.code == 2


def test_the_digest_dry_run_lists_who_was_not_reached(cli) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    queue_and_fail()
    code, out = cli("digest", "--dry-run", "--date", "2027-01-05")
    assert code == 0
    farid = out.split("To: Farid Khan")[1].split("To: ")[0]  # all areas: sees the failure
    assert "1 message could not be delivered" in farid
    assert "CSAP form to Tara Nolan by email about CH-22222, queued Mon 4 Jan, 10:00" in farid
    assert SECRET not in out
