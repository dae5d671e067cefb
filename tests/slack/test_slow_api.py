"""Slack gets its ack within 3 s whatever the Web API does; work after the ack that fails is
retried from the outbox (Retry-After honoured), never lost."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from adapters.slack.channel import SLACK
from storage import tables as t
from tests.slack.conftest import AVA, BEN, TARA, Workspace, idle, raise_challenge, text_of


async def timed(coro) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    response = await coro
    return time.perf_counter() - started, response.status


async def test_acks_come_back_at_once_while_the_web_api_takes_two_seconds(workspace: Workspace) -> None:
    fake = workspace.fake
    ref = await raise_challenge(workspace)
    await idle(workspace)
    fake.delay = 2.0
    took, status = await timed(workspace.press(AVA, fake.last_card(AVA), "accept"))
    assert status == 200 and took < 1.0, f"ack took {took:.2f}s"
    took, status = await timed(workspace.command(TARA))  # /challenge: views.open waits 2 s after the ack
    assert status == 200 and took < 1.0, f"ack took {took:.2f}s"
    # The slow work still happens after the ack: the press was applied and its reply is on its way.
    for _ in range(100):
        if (await workspace.challenge(ref)).owner_id == "ava.okafor":
            break
        await asyncio.sleep(0.02)
    assert (await workspace.challenge(ref)).owner_id == "ava.okafor"
    await fake.wait_for(lambda: any(r.startswith("You own") for r in fake.ephemerals()), timeout=6)
    fake.delay = 0.0
    await fake.wait_for(lambda: "Taken by Ava Okafor" in text_of(fake.dm(BEN)[0]), timeout=10)


async def committed_failures(ws: Workspace) -> list[Any]:
    """Outbox rows whose last send failed, as committed (what any replica would read)."""
    async with ws.service.database.uow(read_only=True) as uow:
        o = t.outbox.c
        return list((await uow.session.execute(select(o.id, o.last_error, o.next_attempt_at, o.status)
                                               .where(o.last_error.is_not(None)))).all())


async def status_of(ws: Workspace, row: int) -> str:
    async with ws.service.database.uow(read_only=True) as uow:
        return str(await uow.session.scalar(select(t.outbox.c.status).where(t.outbox.c.id == row)))


async def test_a_rate_limited_send_is_retried_after_retry_after(workspace: Workspace) -> None:
    fake = workspace.fake
    fake.fail("chat.postMessage", "ratelimited", 429, retry_after=1)
    await raise_challenge(workspace)
    # The dispatcher records the failure after Slack answers: wait for its commit, not the call.
    failed: list[Any] = []
    for _ in range(500):
        failed = await committed_failures(workspace)
        if failed:
            break
        await asyncio.sleep(0.01)
    assert len(failed) == 1 and failed[0].last_error == "Slack ratelimited" and failed[0].status == "pending"
    delay = (failed[0].next_attempt_at - workspace.service.now()).total_seconds()
    assert 0 < delay <= 1.5
    # Every other row goes out; the rate-limited one waits for its second.
    await fake.wait_for(lambda: len(fake.called("chat.postMessage")) == 3)
    dispatcher = workspace.client.app[SLACK].dispatcher
    await dispatcher.run_once()
    assert await status_of(workspace, failed[0].id) == "pending"  # not due yet
    workspace.service.clock_offset += timedelta(seconds=1.1)  # Retry-After has passed
    await dispatcher.run_once()  # what the next tick does
    await idle(workspace)
    assert await status_of(workspace, failed[0].id) == "sent"
    assert len(fake.dm(AVA)) == 1 and len(fake.dm(BEN)) == 1 and len(fake.dm(TARA)) == 1


async def test_a_slack_outage_leaves_the_rows_pending_for_the_next_run(workspace: Workspace) -> None:
    fake = workspace.fake
    fake.fail("conversations.open", "service_unavailable", 503, retry_after=None, times=10)
    await raise_challenge(workspace)
    await fake.wait_for(lambda: len(fake.called("conversations.open")) >= 3)
    await asyncio.sleep(0.1)
    async with workspace.service.database.uow(read_only=True) as uow:
        o = t.outbox.c
        statuses = set((await uow.session.scalars(select(o.status).where(o.channel == "chat"))).all())
    assert statuses == {"pending"}
    assert not fake.called("chat.postMessage")


async def test_a_form_slack_cannot_open_is_explained(workspace: Workspace) -> None:
    workspace.fake.fail("views.open", "expired_trigger_id", 200, retry_after=None)
    assert (await workspace.command(TARA)).status == 200
    reply = await workspace.fake.wait_for(lambda: workspace.fake.ephemerals())
    assert "could not open the form" in reply[0]


async def test_when_slack_cannot_say_who_someone_is_they_are_asked_to_try_again(workspace: Workspace) -> None:
    workspace.fake.fail("users.info", "ratelimited", 429, retry_after=30)
    assert (await workspace.command("U0SOMEONE", "list")).status == 200
    reply = await workspace.fake.wait_for(lambda: workspace.fake.ephemerals())
    assert "Slack is busy" in reply[0] and "does not know you" not in reply[0]
