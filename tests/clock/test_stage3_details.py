"""The Stage 3 form's family details are emailed and never kept: refused when no mail transport
is configured, and removed from the outbox row whatever happens to the send — sent, given up,
or still unsent a day later. Each test reads the stored row afterwards (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from adapters import bootstrap
from adapters.dispatcher import Dispatcher
from adapters.email import EmailSender, SmtpConfig
from bot.commands import RaiseChallenge, SendStage3Form
from bot.errors import NotAvailable
from bot.handlers import Mashbot
from storage import tables as t
from storage.database import Database
from tests.clock.smtp_server import smtp_server
from tests.clock.support import core, local, settings

FAMILY = (("family_names", "Alex Example"), ("dates_of_birth", "01/02/2015"))
RAISED = local("2027-01-04 10:00")
AT_STAGE_3 = local("2027-01-29 17:05")  # every stage timed out: Head of Service


async def at_stage_3(bot: Mashbot) -> tuple[str, int]:
    result = await bot.raise_challenge(RaiseChallenge(
        actor_id="practitioner", case_reference="LCS123456", area="East",
        decision_challenged="Level 2", requested_outcome="Level 3 assessment",
        reason_category="level_of_need", reason_text="Risk from missing episodes not weighed."), RAISED)
    assert result.challenge is not None
    await bot.tick(local("2027-01-29 17:00"))
    async with bot.uow() as uow:
        challenge = await uow.challenges.get(result.challenge.reference)
    assert challenge is not None and challenge.stage == 3
    return challenge.reference, challenge.version


async def send_form(bot: Mashbot, reference: str, version: int) -> None:
    await bot.handle(SendStage3Form(actor_id="practitioner", reference=reference, version=version,
                                    family=FAMILY, meeting_date="28/01/2027"), AT_STAGE_3)


async def form_rows(database: Database) -> list[dict]:
    async with database.uow(read_only=True) as uow:
        found = await uow.session.execute(select(t.outbox).where(t.outbox.c.kind == "stage3_form"))
        return [dict(r._mapping) for r in found]


def holds_family_details(row: dict) -> bool:
    return "Alex Example" in row["payload"] or "01/02/2015" in row["payload"]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def test_the_form_is_refused_when_no_mail_transport_is_configured(roster_db: Database) -> None:
    service = bootstrap.build(settings(str(roster_db.url)))  # no MASHBOT_SMTP_URL
    try:
        assert not service.settings.mail_transport_configured
        reference, version = await at_stage_3(service.mashbot)
        with pytest.raises(NotAvailable, match="no email set up") as refused:
            await send_form(service.mashbot, reference, version)
        assert "Nothing you typed was kept" in str(refused.value)
        async with roster_db.uow(read_only=True) as uow:
            challenge = await uow.challenges.get(reference)
        assert challenge is not None and challenge.version == version and challenge.stage3_form_sent_at is None
        assert await form_rows(roster_db) == []
    finally:
        await service.close()


async def test_with_smtp_configured_the_form_is_accepted(roster_db: Database) -> None:
    service = bootstrap.build(settings(str(roster_db.url), MASHBOT_SMTP_URL="smtp://127.0.0.1:1"))
    try:
        assert service.settings.mail_transport_configured
        await send_form(service.mashbot, *await at_stage_3(service.mashbot))
        [row] = await form_rows(roster_db)
        assert row["status"] == "pending" and holds_family_details(row)  # only until it is sent
    finally:
        await service.close()


async def test_a_sent_form_keeps_no_family_details(roster_db: Database) -> None:
    bot = core(roster_db)
    await send_form(bot, *await at_stage_3(bot))
    async with smtp_server() as inbox:
        email = EmailSender(SmtpConfig.from_url(inbox.url), "mashbot@example.org")
        await Dispatcher(roster_db, email=email, clock=Clock(AT_STAGE_3), jitter=0.0).run_once()
        [sent] = [m for m in inbox.messages() if "Stage 3 Monitoring Information form" in str(m["Subject"])]
    assert "Alex Example" in sent.get_body(("plain",)).get_content()  # CSAP got them
    [row] = await form_rows(roster_db)
    assert row["status"] == "sent" and not holds_family_details(row)


async def test_a_form_given_up_keeps_no_family_details(roster_db: Database) -> None:
    bot = core(roster_db)
    await send_form(bot, *await at_stage_3(bot))
    clock = Clock(AT_STAGE_3)
    async with smtp_server() as inbox:
        inbox.fail_next = 10**6  # the server keeps answering 451
        dispatcher = Dispatcher(roster_db, email=EmailSender(SmtpConfig.from_url(inbox.url), "m@example.org"),
                                clock=clock, jitter=0.0, base_delay=3600, max_delay=6 * 3600)
        for _ in range(12):
            await dispatcher.run_once()
            [row] = await form_rows(roster_db)
            if row["status"] != "pending":
                break
            clock.now = max(clock.now, row["next_attempt_at"])
    assert row["status"] == "failed" and "gave up" in row["last_error"]
    assert not holds_family_details(row)


async def test_an_unsent_form_loses_its_family_details_after_a_day(roster_db: Database) -> None:
    """Queued while email worked, then the transport went away (or the row waits for a retry):
    a day after it was queued the row is given up and its details removed, even with no sender."""
    bot = core(roster_db)
    await send_form(bot, *await at_stage_3(bot))
    clock = Clock(AT_STAGE_3 + timedelta(hours=23))
    idle = Dispatcher(roster_db, email=None, clock=clock)
    await idle.run_once()
    [row] = await form_rows(roster_db)
    assert row["status"] == "pending" and holds_family_details(row)  # within the day: may still go
    clock.now = AT_STAGE_3 + timedelta(days=1, minutes=1)
    report = await idle.run_once()
    [row] = await form_rows(roster_db)
    assert report.scrubbed == 1
    assert row["status"] == "failed" and "not sent within a day" in row["last_error"]
    assert not holds_family_details(row)
    assert '"name_of_referrer"' in row["payload"]  # the rest of the record stays
    assert (await Dispatcher(roster_db, email=None, clock=Clock(clock.now + timedelta(hours=1))).run_once()
            ).scrubbed == 0  # nothing left to remove
