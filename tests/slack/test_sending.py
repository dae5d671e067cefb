"""The Slack sender behind the outbox: DMs via conversations.open + chat.postMessage, people
not on Slack by email, the digest as a DM, and changes made by the clock (the tick) reaching
the cards already sent."""

from __future__ import annotations

from datetime import timedelta

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from adapters import bootstrap
from adapters.slack.channel import SLACK
from adapters.slack.sender import SlackSender
from adapters.web import CLOCKWORK, create_app
from bot.challenge import Channel, Message
from storage import tables as t
from tests.slack.conftest import (
    AVA,
    BEN,
    ELLEN,
    START,
    TARA,
    Workspace,
    buttons,
    idle,
    make_settings,
    raise_challenge,
    text_of,
)
from tests.slack.fake_slack import FakeSlack


async def rows(ws: Workspace, recipient: str) -> list[tuple[str, str, str | None, str | None]]:
    async with ws.service.database.uow(read_only=True) as uow:
        o = t.outbox.c
        found = await uow.session.execute(select(o.kind, o.status, o.last_error, o.external_id)
                                          .where(o.recipient == recipient).order_by(o.id))
        return [tuple(r) for r in found]  # type: ignore[misc]


async def test_a_dm_is_opened_once_and_each_card_id_is_recorded(workspace: Workspace) -> None:
    await raise_challenge(workspace)
    await idle(workspace)
    assert [c.args["users"] for c in workspace.fake.called("conversations.open")].count(AVA) == 1
    sent = await rows(workspace, "ava.okafor")
    assert sent[0][:2] == ("review_requested", "sent")
    card = workspace.fake.last_card(AVA)
    assert sent[0][3] == f"slack:{card.channel}:{card.ts}"
    async with workspace.service.database.uow(read_only=True) as uow:
        assert '"dm": "DU0DEMO001"' in (await uow.conversations.get("ava.okafor", "slack") or "")


async def test_someone_slack_does_not_know_is_sent_email_instead(workspace: Workspace) -> None:
    await raise_challenge(workspace, area="CSSH")  # the CSSH pool has no Slack ids in the roster
    await workspace.fake.wait_for(lambda: len(workspace.fake.called("users.lookupByEmail")) >= 3)
    await workspace.cards_for(TARA)
    lookups = {c.args["email"] for c in workspace.fake.called("users.lookupByEmail")}
    assert "hannah.lowe@example.org" in lookups
    dispatcher = workspace.client.app[SLACK].dispatcher
    await dispatcher.run_once()  # the next run (the tick's): routed to email
    kind, status, error, external = (await rows(workspace, "hannah.lowe"))[0]
    assert kind == "review_requested" and status == "pending" and external is None
    # no SMTP in this test: it waits, and says what is missing
    assert error == ("mashbot cannot reach the recipient in Slack and no email is configured "
                     "(MASHBOT_SMTP_URL) to send it instead")
    assert not workspace.fake.dm("hannah.lowe")


async def test_the_digest_comes_as_a_dm(workspace: Workspace) -> None:
    digest = Message(kind="digest", to="farid.khan", reference=None, channel=Channel.CHAT,
                     data={"subject": "mashbot digest for Thu 24 Dec", "body": "Open: 3\nOverdue: 1 <East>"})
    async with workspace.service.database.uow() as uow:
        await uow.outbox.add([digest], workspace.service.now())
        await uow.commit()
    await workspace.client.app[SLACK].dispatcher.run_once()
    message = workspace.fake.last_card("U0DEMO005")
    assert message.text == "mashbot digest for Thu 24 Dec"
    assert "Overdue: 1 &lt;East&gt;" in text_of(message)


async def test_a_timeout_escalation_by_the_clock_reaches_every_card(workspace: Workspace) -> None:
    ref = await raise_challenge(workspace)
    await idle(workspace)
    ben_first = workspace.fake.last_card(BEN)
    later = START + timedelta(days=6)  # past Tue 29 Dec 17:00: the Practice Manager stage ran out
    workspace.service.clock_offset = later - bootstrap.utc_now()
    report = await workspace.service.mashbot.tick(later)
    assert ref in report.references
    dispatcher = workspace.client.app[SLACK].dispatcher
    await dispatcher.run_once()
    await dispatcher.run_once()  # the card refreshes the first run queued
    assert "escalated" in text_of(workspace.fake.last_card(TARA))
    assert buttons(workspace.fake.last_card(ELLEN))[:1] == ["accept"]
    # Escalated away from him: his card is replaced in place (as in Teams), no new card.
    assert "This stage is with Ellen Marsh" in text_of(ben_first) and buttons(ben_first) == []
    assert workspace.fake.last_card(BEN) is ben_first
    assert "no outcome within the time limit" in text_of(workspace.fake.last_card(AVA))


async def test_with_the_scheduler_slack_sends_through_its_dispatcher(db_url: str, fake: FakeSlack) -> None:
    service = bootstrap.build(make_settings(db_url, fake))
    app = create_app(service, scheduler=True)
    assert any(isinstance(s, SlackSender) for s in app[CLOCKWORK].dispatcher.chat)
    assert app[SLACK].dispatcher is app[CLOCKWORK].dispatcher
    async with TestClient(TestServer(app)):
        pass


async def test_a_change_made_outside_slack_refreshes_the_slack_cards_it_did_not_replace(
        workspace: Workspace) -> None:
    """A lesson added from the console (or Teams) sends only an email to the CSAP mailbox; the
    Slack cards already sent still move to the new version, so their buttons stay live."""
    from adapters.slack.channel import SLACK
    from bot.commands import AddLesson
    from tests.slack.conftest import AVA, button_of, raise_challenge

    ref = await raise_challenge(workspace)
    await workspace.cards_for(AVA)
    await idle(workspace)
    channel = workspace.client.server.app[SLACK]
    emailed: list[str] = []

    class Mailbox:
        channel = "email"

        async def send(self, message: object, person: object, *, key: str) -> str | None:
            emailed.append(getattr(message, "kind", ""))
            return None

    channel.dispatcher.email = Mailbox()
    card = workspace.fake.last_card(AVA)
    old_value = button_of(card, "accept")["value"]
    challenge = await workspace.challenge(ref)
    await workspace.service.mashbot.handle(AddLesson(actor_id="tara.nolan", reference=ref, version=challenge.version,
                                                     category="training_need", text="Thresholds training"),
                                           workspace.service.now())
    await channel.dispatcher.run_once()
    await idle(workspace)
    assert emailed == ["lesson_learned"]
    refreshed = workspace.fake.last_card(AVA)
    assert (refreshed.channel, refreshed.ts) == (card.channel, card.ts) and refreshed.updates >= 1
    assert button_of(refreshed, "accept")["value"] != old_value  # bound to the new version
