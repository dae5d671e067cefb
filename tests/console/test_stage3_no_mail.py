"""The console offers the Stage 3 form; with no mail transport configured, submitting it is
refused with a message that says why, and nothing the challenger typed reaches the outbox."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.buttons import Verb
from storage import tables as t
from tests.console.conftest import START, Console, pin
from tests.console.test_routes import flash


async def test_the_stage3_form_is_refused_without_mail_and_keeps_nothing(console: Console) -> None:
    await console.act_as("tara.nolan")
    reference = await console.raise_challenge()
    later = START + timedelta(days=40)  # every stage times out: Head of Service (Stage 3)
    pin(console.service, later)
    await console.service.mashbot.tick(later)
    before = await console.challenge(reference)
    assert before.stage == 3
    page = await console.press(reference, Verb.SEND_STAGE3_FORM.value,
                               parents="Sam Example", meeting_date="next Tuesday")
    [message] = flash(page)
    assert "cannot be sent: mashbot has no email set up" in message and "Nothing you typed was kept" in message
    after = await console.challenge(reference)
    assert after.version == before.version and after.stage3_form_sent_at is None
    async with console.service.database.uow(read_only=True) as uow:
        payloads = (await uow.session.scalars(select(t.outbox.c.payload))).all()
    assert payloads and not any("Sam Example" in p for p in payloads)
