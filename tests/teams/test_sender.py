"""The Teams sender's answers to the connector's refusals: throttling is retried when Teams
says, a card deleted from the chat is posted anew, and no reference means email."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage import tables as t
from tests.teams.support import AVA, BEN, Teams, card_text, verbs
from tests.teams.test_ladder import TAKEN_AT, last_card, raise_as_tara


async def test_throttling_is_retried_after_the_time_teams_asks_for(teams: Teams) -> None:
    await teams.install(AVA)
    await raise_as_tara(teams)
    teams.connector.fail["send"] = 429
    report = await teams.dispatch()
    assert report.retrying >= 1 and report.failed == 0
    async with teams.service.database.uow(read_only=True) as uow:
        row = (await uow.session.execute(
            select(t.outbox).where(t.outbox.c.recipient == "ava.okafor"))).one()
    assert row.status == "pending" and row.last_error == "Teams throttled the bot (429)"
    assert abs((row.next_attempt_at - teams.service.now()) - timedelta(seconds=7)) < timedelta(seconds=2)
    del teams.connector.fail["send"]
    teams.service.clock_offset += timedelta(seconds=8)
    await teams.dispatch()
    assert "accept" in verbs(last_card(teams, AVA))


async def test_a_card_deleted_from_the_chat_is_posted_anew(teams: Teams) -> None:
    for user in (AVA, BEN):
        await teams.install(user)
    await raise_as_tara(teams)
    await teams.dispatch()
    teams.connector.fail["update"] = 404
    await teams.press(AVA, last_card(teams, AVA), "accept")
    await teams.dispatch()
    sends = teams.connector.to(BEN.conversation, "send")
    assert len(sends) == 2 and TAKEN_AT in card_text(sends[-1].card)
    assert teams.connector.to(BEN.conversation, "update") == []
    assert teams.connector.to(BEN.conversation, "reply") == []  # a new message, not a reply

