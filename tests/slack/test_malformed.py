"""A signed request whose body is not what Slack sends is answered 400 (or an ephemeral
error), with a message saying what is wrong — never a 500, never a traceback in the log."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.slack.conftest import TARA, Workspace, idle_after

USER = {"id": TARA, "team_id": "T0TEST"}
VIEW = {"id": "V1", "type": "modal", "callback_id": "mashbot_intake", "private_metadata": "", "blocks": [],
        "state": {"values": {}}}


def payload(value: Any) -> str:
    return urlencode({"payload": value if isinstance(value, str) else json.dumps(value)})


def action(**changes: Any) -> str:
    body: dict[str, Any] = {"type": "block_actions", "user": USER, "team": {"id": "T0TEST"}, "trigger_id": "t",
                            "response_url": "http://127.0.0.1:9/r",
                            "actions": [{"action_id": "mashbot:accept", "value": "x", "block_id": "b"}]}
    body.update(changes)
    return payload(body)


def submission(**changes: Any) -> str:
    body: dict[str, Any] = {"type": "view_submission", "user": USER, "team": {"id": "T0TEST"}, "view": VIEW}
    body.update(changes)
    return payload(body)


MANGLED = {
    "payload is not JSON": payload("{not json"),
    "payload is a list": payload([1, 2]),
    "payload is a string": payload('"hello"'),
    "payload is null": payload("null"),
    "payload has no type": payload({"user": USER}),
    "type is a number": payload({"type": 7, "user": USER}),
    "user is a string": action(user="U0DEMO007"),
    "user is a list": action(user=[TARA]),
    "user id is a number": action(user={"id": 7}),
    "actions is not a list": action(actions={"action_id": "mashbot:accept"}),
    "actions holds a string": action(actions=["mashbot:accept"]),
    "action_id is a number": action(actions=[{"action_id": 5, "value": "x"}]),
    "value is an object": action(actions=[{"action_id": "mashbot:accept", "value": {"v": 1}}]),
    "team is a string": action(team="T0TEST"),
    "team is a number": action(team=5),
    "enterprise is a number": action(enterprise=5),
    "authorizations is not a list": action(authorizations=5),
    "channel is a string": action(channel="D1"),
    "container is a list": action(container=[1]),
    "view is a string": submission(view="V1"),
    "view state missing": submission(view={k: v for k, v in VIEW.items() if k != "state"}),
    "view state values missing": submission(view={**VIEW, "state": {}}),
    "view state values a list": submission(view={**VIEW, "state": {"values": [1]}}),
    "view callback_id a number": submission(view={**VIEW, "callback_id": 3}),
    "view private_metadata an object": submission(view={**VIEW, "callback_id": "mashbot_action",
                                                        "private_metadata": {"a": 1}}),
    "submission user missing": submission(user=None),
    "json body not an object": "[1, 2, 3]",
    "json body broken": "{\"type\": ",
    "event is a string": json.dumps({"type": "event_callback", "team_id": "T0TEST", "event": "message"}),
}


@pytest.mark.parametrize("body", MANGLED.values(), ids=list(MANGLED))
async def test_a_mangled_signed_body_gets_a_4xx_that_says_why_and_no_traceback(
        workspace: Workspace, caplog: pytest.LogCaptureFixture, body: str) -> None:
    caplog.set_level(logging.INFO)
    content_type = "application/json" if body.startswith(("[", "{")) else "application/x-www-form-urlencoded"
    response = await workspace.post(body, headers={"Content-Type": content_type})
    text = await response.text()
    await idle_after(workspace)
    assert response.status in (200, 400), (response.status, text)
    if response.status == 400:
        assert json.loads(text)["error"], text  # says what to fix
    assert not [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_body_that_is_not_utf8_gets_400(workspace: Workspace) -> None:
    import time

    from tests.slack.conftest import SIGNING_SECRET
    import hashlib
    import hmac

    body = b"payload=%7B%22type%22%3A\xff\xfe"
    ts = str(int(time.time()))
    sig = "v0=" + hmac.new(SIGNING_SECRET.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    response = await workspace.client.post("/slack/events", data=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": sig})
    assert response.status == 400
    assert "UTF-8" in (await response.json())["error"]


@pytest.mark.parametrize("fields", [{"user_id": ""}, {"command": ""}, {}])
async def test_a_command_without_its_user_or_command_gets_400(workspace: Workspace, fields: dict[str, str]) -> None:
    form = {"team_id": "T0TEST", "user_id": TARA, "command": "/challenge", "text": "list",
            "response_url": "http://127.0.0.1:9/r", "trigger_id": "t"}
    form.update(fields)
    if not fields:
        del form["user_id"]
    response = await workspace.post(urlencode(form))
    assert response.status == 400
    assert (await response.json())["error"]
