"""Every request to /slack/events is Slack's: a wrong, missing, old or replayed signature is
401, logged without the request's body, and nothing is done."""

from __future__ import annotations

import logging
import time
from urllib.parse import urlencode

import pytest

from tests.slack.conftest import TARA, Workspace, raise_challenge, signature

SECRET_WORDS = "LCS999999 secret-body-marker"


def command_body(text: str = SECRET_WORDS) -> str:
    return urlencode({"team_id": "T0TEST", "user_id": TARA, "command": "/challenge", "text": text,
                      "response_url": "http://127.0.0.1:9/none", "trigger_id": "t1"})


async def test_a_request_signed_with_another_secret_is_refused_and_logged_without_its_body(
        workspace: Workspace, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    response = await workspace.post(command_body(), sign_with="not-the-signing-secret")
    assert response.status == 401
    assert any("signature does not match" in r.getMessage() for r in caplog.records)
    assert all("secret-body-marker" not in r.getMessage() for r in caplog.records)
    assert not workspace.fake.calls


@pytest.mark.parametrize("headers, why", [
    ({"X-Slack-Signature": ""}, "missing signature headers"),
    ({"X-Slack-Request-Timestamp": ""}, "missing signature headers"),
    ({"X-Slack-Request-Timestamp": "yesterday"}, "malformed timestamp"),
])
async def test_missing_or_malformed_signature_headers_are_refused(
        workspace: Workspace, caplog: pytest.LogCaptureFixture, headers: dict[str, str], why: str) -> None:
    caplog.set_level(logging.INFO)
    response = await workspace.post(command_body(), headers=headers)
    assert response.status == 401
    assert any(why in r.getMessage() for r in caplog.records)


async def test_a_request_older_than_five_minutes_is_refused(workspace: Workspace) -> None:
    old = str(int(time.time()) - 301)
    response = await workspace.post(command_body("help"), ts=old)
    assert response.status == 401
    assert (await workspace.post(command_body("help"))).status == 200


async def test_a_replayed_request_is_refused_even_within_the_window(workspace: Workspace) -> None:
    body, ts = command_body("help"), str(int(time.time()))
    headers = {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature(body, ts)}
    first = await workspace.post(body, ts=ts, headers=headers)
    assert first.status == 200
    again = await workspace.post(body, ts=ts, headers=headers)
    assert again.status == 401


async def test_a_forged_button_is_refused_and_changes_nothing(workspace: Workspace) -> None:
    from cards.actions import ActionPayload, sign

    ref = await raise_challenge(workspace)
    await workspace.cards_for("U0DEMO001")
    card = workspace.fake.last_card("U0DEMO001")
    for block in card.blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == "mashbot:accept":
                element["value"] = sign(ActionPayload("accept", ref, 1, "ava.okafor"), b"someone else's secret")
    response = await workspace.press("U0DEMO001", card, "accept")
    assert response.status == 200  # acked: the person is told, in Slack, what happened
    await workspace.fake.wait_for(lambda: workspace.fake.ephemerals())
    assert "not made by this mashbot" in workspace.fake.ephemerals()[-1]
    assert (await workspace.challenge(ref)).version == 1


async def test_slack_is_not_served_without_a_signing_secret(db_url: str, fake) -> None:  # type: ignore[no-untyped-def]
    from aiohttp.test_utils import TestClient, TestServer

    from adapters import bootstrap
    from adapters.web import create_app
    from tests.slack.conftest import make_settings

    service = bootstrap.build(make_settings(db_url, fake, SLACK_SIGNING_SECRET=""))
    async with TestClient(TestServer(create_app(service))) as client:
        assert (await client.post("/slack/events", data=b"x")).status in (404, 405)
