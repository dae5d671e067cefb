"""Buttons that must change nothing: a second press, an old card, someone else's card, a
stranger — each answered with an ephemeral message that says why."""

from __future__ import annotations

import asyncio

from bot.challenge import State
from tests.slack.conftest import (
    AVA,
    BEN,
    TARA,
    Workspace,
    buttons,
    demo_database,
    idle,
    idle_after,
    open_workspace,
    raise_challenge,
    text_of,
)
from tests.slack.fake_slack import FakeSlack


async def opened(ws: Workspace) -> str:
    ref = await raise_challenge(ws)
    await ws.cards_for(AVA)
    await ws.cards_for(BEN)
    await idle(ws)
    return ref


async def events(ws: Workspace, ref: str) -> list[str]:
    async with ws.service.database.uow(read_only=True) as uow:
        return [e.kind for e in await uow.events.for_challenge(ref)]


async def last_ephemeral(ws: Workspace, count: int) -> str:
    await ws.fake.wait_for(lambda: len(ws.fake.ephemerals()) >= count)
    return ws.fake.ephemerals()[count - 1]


async def test_a_stale_button_says_who_actioned_it_and_changes_nothing(workspace: Workspace) -> None:
    ref = await opened(workspace)
    ben_card = workspace.fake.last_card(BEN)
    stale = workspace.press_body(BEN, ben_card, "accept")  # Ben's Accept, as his card showed it
    assert (await workspace.press(AVA, workspace.fake.last_card(AVA), "accept")).status == 200
    await last_ephemeral(workspace, 1)
    await idle_after(workspace)
    response = await workspace.post(stale)
    assert response.status == 200
    assert await last_ephemeral(workspace, 2) == "Already actioned by Ava Okafor at Thu 24 Dec, 10:00."
    challenge = await workspace.challenge(ref)
    assert challenge.owner_id == "ava.okafor" and challenge.version == 2
    assert await events(workspace, ref) == ["raised", "accepted"]


async def test_pressing_twice_at_once_applies_once(database_url: str, fake: FakeSlack) -> None:
    async for ws in open_workspace(await demo_database(database_url), fake):
        await pressing_twice_at_once(ws)


async def pressing_twice_at_once(workspace: Workspace) -> None:
    ref = await opened(workspace)
    card = workspace.fake.last_card(AVA)
    first, second = await asyncio.gather(workspace.press(AVA, card, "accept"), workspace.press(AVA, card, "accept"))
    assert first.status == second.status == 200
    fake = workspace.fake
    replies = await fake.wait_for(lambda: len(fake.ephemerals()) >= 2 and fake.ephemerals())
    assert sum(r.startswith("You own") for r in replies) == 1
    assert sum(r.startswith("You already did this at") for r in replies) == 1  # not "by <yourself>"
    assert not any("Already actioned by Ava Okafor" in r for r in replies)
    assert await events(workspace, ref) == ["raised", "accepted"]


async def test_someone_elses_card_is_for_them(workspace: Workspace) -> None:
    ref = await opened(workspace)
    response = await workspace.press(BEN, workspace.fake.last_card(AVA), "accept")  # a forwarded card
    assert response.status == 200
    assert await last_ephemeral(workspace, 1) == (
        "This card was sent to someone else (Ava Okafor); only they can use its buttons.")
    assert (await workspace.challenge(ref)).state is State.OPEN


async def test_a_card_someone_else_took_no_longer_has_buttons_and_says_who(workspace: Workspace) -> None:
    await opened(workspace)
    ben_card = workspace.fake.last_card(BEN)
    await workspace.press(AVA, workspace.fake.last_card(AVA), "accept")
    await workspace.fake.wait_for(lambda: ben_card.updates)
    assert buttons(ben_card) == []
    assert "Taken by Ava Okafor at Thu 24 Dec, 10:00." in text_of(ben_card)
    assert "This stage is with Ava Okafor; nothing is needed from you, and this card will not change again." \
        in text_of(ben_card)
    assert len(workspace.fake.dm(BEN)) == 1  # updated in place, not a new message


async def test_a_stranger_is_told_whom_to_ask(db_url: str, fake: FakeSlack) -> None:
    async for ws in open_workspace(db_url, fake, MASHBOT_ADMIN_CONTACT="MASH business support (ext. 4321)"):
        response = await ws.command("U0STRANGER")
        assert response.status == 200
        reply = await last_ephemeral(ws, 1)
        assert "mashbot does not know you yet" in reply
        assert "MASH business support (ext. 4321)" in reply and "U0STRANGER" in reply
        assert fake.called("users.info")[0].args["user"] == "U0STRANGER"
        assert not fake.called("views.open")


async def test_someone_without_a_slack_id_in_the_roster_is_matched_by_email(workspace: Workspace) -> None:
    workspace.fake.users_by_email["priya.sandhu@example.org"] = "U0PRIYA"
    assert (await workspace.command("U0PRIYA", "list")).status == 200
    assert "nothing is waiting for you" in str(await workspace.fake.wait_for(
        lambda: workspace.fake.responses and workspace.fake.responses[-1].get("blocks")))
    async with workspace.service.database.uow(read_only=True) as uow:
        assert '"user": "U0PRIYA"' in (await uow.conversations.get("priya.sandhu", "slack") or "")
    calls = len(workspace.fake.called("users.info"))
    assert (await workspace.command("U0PRIYA", "list")).status == 200
    await workspace.fake.wait_for(lambda: len(workspace.fake.responses) >= 2)
    assert len(workspace.fake.called("users.info")) == calls  # cached


async def test_the_challenger_can_withdraw_from_their_card(workspace: Workspace) -> None:
    ref = await opened(workspace)
    await workspace.cards_for(TARA)
    opened_views = len(workspace.fake.called("views.open"))
    await workspace.press(TARA, workspace.fake.last_card(TARA), "withdraw")
    await workspace.fake.wait_for(lambda: len(workspace.fake.called("views.open")) > opened_views)
    answer = await workspace.submit(TARA, workspace.opened_view(), {})
    assert (await answer.json())["response_action"] == "update"
    await idle_after(workspace)
    assert (await workspace.challenge(ref)).state is State.WITHDRAWN
    await workspace.fake.wait_for(lambda: "Withdrawn by Tara Nolan" in text_of(workspace.fake.last_card(AVA)))


async def test_delegate_asks_whom_and_hands_the_card_over(workspace: Workspace) -> None:
    ref = await opened(workspace)
    views_before = len(workspace.fake.called("views.open"))
    await workspace.press(AVA, workspace.fake.last_card(AVA), "delegate")
    await workspace.fake.wait_for(lambda: len(workspace.fake.called("views.open")) > views_before)
    view = workspace.opened_view()
    choices = next(b for b in view["blocks"] if b.get("block_id") == "to")["element"]["options"]
    assert "callum.reid" in [c["value"] for c in choices]
    answer = await workspace.submit(AVA, view, {"to": "callum.reid"})
    assert (await answer.json())["response_action"] == "update"
    await workspace.cards_for("U0DEMO003")
    await idle_after(workspace)
    assert "delegated" in text_of(workspace.fake.last_card("U0DEMO003")).lower()
    assert buttons(workspace.fake.last_card("U0DEMO003"))[:1] == ["accept"]
    assert "callum.reid" in (await workspace.challenge(ref)).reviewers
    assert buttons(workspace.fake.last_card(AVA)) == []  # Ava's card no longer offers her anything
