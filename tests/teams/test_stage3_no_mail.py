"""Teams offers the Stage 3 form on the challenger's card; with no mail transport configured
pressing its submit answers with the reason, and the family details reach no stored row."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage import tables as t
from tests.teams.support import TARA, Teams, card_text, verbs
from tests.teams.test_ladder import last_card, raise_as_tara


async def test_the_stage3_form_is_refused_in_teams_without_mail(teams: Teams) -> None:
    await teams.install(TARA)
    reference = await raise_as_tara(teams)
    await teams.dispatch()
    later = teams.service.now() + timedelta(days=40)  # every stage timed out: Head of Service
    teams.service.clock_offset += timedelta(days=40)
    await teams.service.mashbot.tick(later)
    await teams.dispatch()
    card = last_card(teams, TARA)
    assert "send_stage3_form" in verbs(card), card_text(card)
    body = await teams.press(TARA, card, "send_stage3_form", parents="Sam Example", meeting_date="Tuesday")
    shown = card_text(body["value"]) if isinstance(body.get("value"), dict) else str(body)
    assert "no email set up" in shown and "Nothing you typed was kept" in shown
    assert (await teams.challenge(reference)).stage3_form_sent_at is None
    async with teams.service.database.uow(read_only=True) as uow:
        payloads = (await uow.session.scalars(select(t.outbox.c.payload))).all()
    assert payloads and not any("Sam Example" in p for p in payloads)
