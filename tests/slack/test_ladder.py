"""The whole Lancashire ladder in Slack, through HTTP only: signed requests to /slack/events
in, the fake Web API's records out. Raise (modal) → pool claim → escalate → outcome →
challenger escalates → … → Head of Service (found by email) → outcome accepted → closed."""

from __future__ import annotations

from bot.challenge import State
from tests.slack.conftest import (
    AVA,
    BEN,
    ELLEN,
    FARID,
    GWEN,
    TARA,
    Workspace,
    buttons,
    demo_database,
    idle,
    idle_after,
    open_workspace,
    raise_challenge,
    text_of,
    view_text,
)
from tests.slack.fake_slack import FakeSlack


async def escalate(ws: Workspace, user: str, verb: str = "escalate", reason: str = "Needs a manager's view.") -> dict:
    opened = len(ws.fake.called("views.open"))
    assert (await ws.press(user, ws.fake.last_card(user), verb)).status == 200
    await ws.fake.wait_for(lambda: len(ws.fake.called("views.open")) > opened)
    view = ws.opened_view()
    answer = await ws.submit(user, view, {"reason": reason})
    body = await answer.json()
    assert body["response_action"] == "update", body
    return body


async def record_outcome(ws: Workspace, user: str, outcome: str = "decision_upheld",
                         rationale: str = "The threshold decision followed the guidance.") -> dict:
    opened = len(ws.fake.called("views.open"))
    assert (await ws.press(user, ws.fake.last_card(user), "record_outcome")).status == 200
    await ws.fake.wait_for(lambda: len(ws.fake.called("views.open")) > opened)
    answer = await ws.submit(user, ws.opened_view(), {"outcome": outcome, "rationale": rationale})
    body = await answer.json()
    assert body["response_action"] == "update", body
    return body


async def accept(ws: Workspace, user: str) -> None:
    assert (await ws.press(user, ws.fake.last_card(user), "accept")).status == 200
    await idle_after(ws)
    # The presser's own card is refreshed by a row queued after the change's messages are
    # sent: wait for what they will see, not for a quiet outbox.
    await ws.fake.wait_for(lambda: "record_outcome" in buttons(ws.fake.last_card(user)), timeout=10)


async def run_ladder(ws: Workspace) -> None:
    fake = ws.fake
    ref = await raise_challenge(ws)
    await ws.cards_for(AVA, 1)
    await ws.cards_for(BEN, 1)
    await ws.cards_for(TARA, 1)
    await idle(ws)
    assert buttons(fake.last_card(AVA))[:3] == ["accept", "escalate", "delegate"]
    assert "Tue 29 Dec, 17:00 — 1 working day left" in text_of(fake.last_card(AVA))
    ben_card = fake.last_card(BEN)

    # Stage 0: the pool. Ava accepts; Ben's card is updated in place.
    await accept(ws, AVA)
    await fake.wait_for(lambda: "Taken by Ava Okafor at Thu 24 Dec, 10:00" in text_of(ben_card))
    assert len(fake.dm(BEN)) == 1 and buttons(ben_card) == []
    # Ava's own card is refreshed through the outbox after Ben's: wait for it, do not race it.
    await fake.wait_for(lambda: buttons(fake.last_card(AVA))[:1] == ["record_outcome"])
    assert buttons(fake.last_card(AVA))[:3] == ["record_outcome", "escalate", "delegate"]
    assert "accepted your challenge" in text_of(fake.last_card(TARA))

    # Ava escalates to the Team Manager (a reason is asked for in a modal).
    await escalate(ws, AVA)
    await ws.cards_for(ELLEN, 1)
    await idle_after(ws)
    assert "escalated" in text_of(fake.last_card(TARA))
    # The Team Manager decides from the dispute and from why the Practice Manager sent it up.
    ellen = text_of(fake.last_card(ELLEN))
    assert "Why they disagree" in ellen and "Needs a manager's view." in ellen
    assert "Earlier: Practice Manager" in ellen and "Team Manager (Stage 1 of 3;" in ellen
    await accept(ws, ELLEN)
    body = await record_outcome(ws, ELLEN)
    assert "Outcome recorded" in view_text(body["view"])
    await idle_after(ws)
    assert buttons(fake.last_card(TARA))[:2] == ["accept_outcome", "escalate_outcome"]

    # The challenger still disagrees: Senior Manager.
    await escalate(ws, TARA, "escalate_outcome")
    await ws.cards_for(FARID, 1)
    await idle_after(ws)
    await accept(ws, FARID)
    await record_outcome(ws, FARID)
    await idle_after(ws)

    # And again: Head of Service, who has no Slack id in the roster (found by email).
    await escalate(ws, TARA, "escalate_outcome")
    await ws.cards_for(GWEN, 1)
    await idle_after(ws)
    assert fake.called("users.lookupByEmail")[0].args["email"] == "gwen.talbot@example.org"
    await accept(ws, GWEN)
    await record_outcome(ws, GWEN, "decision_revised", "The missing episodes change the level of need.")
    await idle_after(ws)
    assert (await ws.press(TARA, fake.last_card(TARA), "accept_outcome")).status == 200
    await idle_after(ws)

    challenge = await ws.challenge(ref)
    assert challenge.state is State.CLOSED
    # Ben (the pool member who did not take it) kept the "Taken by" card: no later stage,
    # no rationale reached him.
    assert ben_card.updates == 1 and len(fake.dm(BEN)) == 1
    assert "threshold decision" not in text_of(ben_card) and "Senior Manager" not in text_of(ben_card)
    await fake.wait_for(lambda: "Closed at" in text_of(fake.last_card(TARA)))
    assert buttons(fake.last_card(TARA)) == [] or set(buttons(fake.last_card(TARA))) <= {"add_lesson"}
    assert not fake.called("auth.test"), "our own authorize= means no auth.test round trip"


async def test_the_whole_ladder_from_raise_to_close_through_slack_alone(database_url: str, fake: FakeSlack) -> None:
    async for ws in open_workspace(await demo_database(database_url), fake):
        await run_ladder(ws)
