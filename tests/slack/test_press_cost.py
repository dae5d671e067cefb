"""What one Slack button press costs: units of work (transactions) and view-model builds,
from the signed request passing the edge to the presser's card being updated in place."""

from __future__ import annotations

import traceback
from typing import Any

import pytest

from adapters.slack.channel import SLACK
from bot import views
from storage.unit_of_work import SqlUnitOfWork
from tests.slack.conftest import AVA, buttons, idle_after, open_workspace, raise_challenge


async def test_a_button_press_takes_at_most_three_transactions_and_one_card_build(
        db_url: str, fake: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    async for ws in open_workspace(db_url, fake):
        await raise_challenge(ws)
        await ws.cards_for(AVA, 1)
        await idle_after(ws)
        card = ws.fake.last_card(AVA)
        channel = ws.client.app[SLACK]
        monkeypatch.setattr(channel.interactions, "kick", lambda: None)  # the outbox's own sends are not the press's

        opened: list[str] = []
        enter = SqlUnitOfWork.__aenter__

        async def counting(self: SqlUnitOfWork) -> SqlUnitOfWork:
            edge = any("refusal" in frame.name for frame in traceback.extract_stack())
            opened.append("replay guard" if edge else "press")
            return await enter(self)

        built: list[str] = []
        card_for = views.card_for

        def counting_card(*args: Any, **kwargs: Any) -> views.CardView:
            built.append(args[2])
            return card_for(*args, **kwargs)

        monkeypatch.setattr(SqlUnitOfWork, "__aenter__", counting)
        monkeypatch.setattr(views, "card_for", counting_card)
        updates = card.updates
        assert (await ws.press(AVA, card, "accept")).status == 200
        await ws.fake.wait_for(lambda: card.updates > updates)
        await channel.tasks.drain()
        assert buttons(card)[:1] == ["record_outcome"]  # updated in place, from the press itself
        assert opened.count("press") <= 3, opened
        assert opened.count("replay guard") == 1  # every Slack request's signature is claimed once
        assert built == ["ava.okafor"]
