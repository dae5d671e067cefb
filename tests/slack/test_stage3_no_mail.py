"""Slack offers the Stage 3 form in a modal; with no mail transport configured its submission is
answered with a closed modal that says why, and the family details typed reach no stored row."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from adapters.slack.channel import SLACK
from storage import tables as t
from tests.slack.conftest import START, TARA, Workspace, buttons, idle, raise_challenge, view_text


async def test_the_stage3_form_is_refused_in_slack_without_mail(workspace: Workspace) -> None:
    ws = workspace
    ref = await raise_challenge(ws)
    await idle(ws)
    later = START + timedelta(days=40)  # every stage timed out: Head of Service (Stage 3)
    ws.service.clock_offset += later - START
    await ws.service.mashbot.tick(later)
    await ws.client.app[SLACK].dispatcher.run_once()
    await ws.fake.wait_for(lambda: "send_stage3_form" in buttons(ws.fake.last_card(TARA)))
    opened = len(ws.fake.called("views.open"))
    await ws.press(TARA, ws.fake.last_card(TARA), "send_stage3_form")
    await ws.fake.wait_for(lambda: len(ws.fake.called("views.open")) > opened)
    answer = await ws.submit(TARA, ws.opened_view(), {"parents": "Sam Example", "meeting_date": "Tuesday"})
    assert answer.status == 200
    body = await answer.json()
    assert body["response_action"] == "update"
    assert "no email set up" in view_text(body["view"]) and "Nothing you typed was kept" in view_text(body["view"])
    assert (await ws.challenge(ref)).stage3_form_sent_at is None
    async with ws.service.database.uow(read_only=True) as uow:
        payloads = (await uow.session.scalars(select(t.outbox.c.payload))).all()
    assert payloads and not any("Sam Example" in p for p in payloads)
