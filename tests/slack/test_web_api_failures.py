"""Slack's Web API failing with a body that is not Slack's JSON — a text/plain or HTML 500
from a proxy, JSON cut short — is handled like any other failure: the person is told, the
outbox keeps the row and retries it, and nothing raises from reading the error."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from adapters.slack.channel import SLACK
from storage import tables as t
from tests.slack.conftest import AVA, BEN, TARA, Workspace, idle, raise_challenge

BODIES = {
    "text/plain 500": (500, "Internal Server Error", "text/plain"),
    "text/plain 200": (200, "ok", "text/plain"),
    "HTML 502": (502, "<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"),
    "broken JSON 200": (200, '{"ok": true, "chann', "application/json"),
    "broken JSON 500": (500, '{"ok": false, "err', "application/json"),
}


def no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


@pytest.mark.parametrize("status, body, content_type", BODIES.values(), ids=list(BODIES))
async def test_a_form_slack_fails_to_open_with_a_non_json_body_is_explained(
        workspace: Workspace, caplog: pytest.LogCaptureFixture, status: int, body: str, content_type: str) -> None:
    workspace.fake.fail_with_body("views.open", status, body, content_type)
    assert (await workspace.command(TARA)).status == 200
    replies = await workspace.fake.wait_for(lambda: workspace.fake.ephemerals())
    assert "Slack could not open the form just now" in replies[0]
    no_tracebacks(caplog)


@pytest.mark.parametrize("status, body, content_type", BODIES.values(), ids=list(BODIES))
async def test_a_person_lookup_failing_with_a_non_json_body_asks_to_try_again(
        workspace: Workspace, caplog: pytest.LogCaptureFixture, status: int, body: str, content_type: str) -> None:
    workspace.fake.fail_with_body("users.info", status, body, content_type)
    assert (await workspace.command("U0SOMEONE", "list")).status == 200
    replies = await workspace.fake.wait_for(lambda: workspace.fake.ephemerals())
    assert "Slack is busy" in replies[0] and "does not know you" not in replies[0]
    no_tracebacks(caplog)


async def pending_errors(ws: Workspace) -> list[str]:
    async with ws.service.database.uow(read_only=True) as uow:
        o = t.outbox.c
        return [str(e) for e in await uow.session.scalars(
            select(o.last_error).where(o.status == "pending", o.last_error.is_not(None)))]


@pytest.mark.parametrize("method", ["chat.postMessage", "conversations.open"])
@pytest.mark.parametrize("status, body, content_type", BODIES.values(), ids=list(BODIES))
async def test_a_send_failing_with_a_non_json_body_stays_in_the_outbox_and_is_retried(
        workspace: Workspace, caplog: pytest.LogCaptureFixture, method: str, status: int, body: str,
        content_type: str) -> None:
    fake = workspace.fake
    fake.fail_with_body(method, status, body, content_type)
    await raise_challenge(workspace)
    errors: list[str] = []
    for _ in range(500):
        errors = await pending_errors(workspace)
        if errors:
            break
        await asyncio.sleep(0.01)
    assert errors == [f"Slack HTTP {status}"]
    await fake.wait_for(lambda: len(fake.dm(AVA)) + len(fake.dm(BEN)) + len(fake.dm(TARA)) == 2)
    workspace.service.clock_offset += timedelta(minutes=2)  # past the retry's back-off
    await workspace.client.app[SLACK].dispatcher.run_once()
    await idle(workspace)
    assert len(fake.dm(AVA)) == 1 and len(fake.dm(BEN)) == 1 and len(fake.dm(TARA)) == 1
    no_tracebacks(caplog)
