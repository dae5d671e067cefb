"""Fixtures for the Slack channel tests: a fake Slack Web API, mashbot's real aiohttp app on
loopback with the demo roster, and a `Workspace` that sends requests signed like Slack's.

The service's clock is pinned to Thu 24 Dec 2026 10:00 London.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from adapters import bootstrap
from tests.demo import demo_database
from adapters.settings import Settings
from adapters.slack.channel import SLACK
from storage import tables as t
from tests.slack.fake_slack import TOKEN, FakeSlack, Posted

LONDON = ZoneInfo("Europe/London")
START = datetime(2026, 12, 24, 10, 0, tzinfo=LONDON)
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
CARD_SECRET = "test-card-secret"
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")
ENV_VARS = ("MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET",
            "SLACK_API_URL", "MASHBOT_SECRET", "MASHBOT_CONSOLE", "MASHBOT_DATABASE_URL", "MASHBOT_POLICY",
            "MASHBOT_SMTP_URL", "MASHBOT_ADMIN_CONTACT", "MASHBOT_PUBLIC_URL")

# People of the demo roster and their Slack ids (gwen.talbot has none in the roster: found by email).
TARA, AVA, BEN, ELLEN, FARID, GWEN = "U0DEMO007", "U0DEMO001", "U0DEMO002", "U0DEMO004", "U0DEMO005", "U0GWEN01"
INTAKE = {
    "case_reference": "LCS123456",
    "raised_by": "professional",
    "agency": "Police — Public Protection Unit",
    "decision_challenged": "Level 2 – Additional support",
    "requested_outcome": "A Child and Family assessment",
    "reason_category": "level_of_need",
    "reason_text": "Repeated missing episodes were not weighed.",
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """slack_sdk sends loopback calls through HTTP(S)_PROXY (it ignores NO_PROXY): clear them."""
    for name in (*PROXY_VARS, *ENV_VARS):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def make_settings(url: str, fake: FakeSlack, **extra: Any) -> Settings:
    values = {"MASHBOT_DATABASE_URL": url, "MASHBOT_POLICY": "lancashire", "SLACK_SIGNING_SECRET": SIGNING_SECRET,
              "SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": fake.api_url, "MASHBOT_SECRET": CARD_SECRET}
    values.update(extra)
    return Settings(_env_file=None, **values)


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    slack = await FakeSlack(users_by_email={"gwen.talbot@example.org": GWEN}).start()
    yield slack
    await slack.stop()


@pytest.fixture
async def db_url(tmp_path: Path) -> str:
    return await demo_database(f"sqlite:///{tmp_path / 'slack.db'}")


def signature(body: str, ts: str, secret: str = SIGNING_SECRET) -> str:
    return "v0=" + hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()


@dataclass
class Workspace:
    """Slack, as seen by mashbot: signed requests to /slack/events; the fake Web API's records."""

    client: TestClient
    fake: FakeSlack
    service: bootstrap.Service
    _n: int = 0

    async def post(self, body: str, *, ts: str | None = None, sign_with: str = SIGNING_SECRET,
                   headers: dict[str, str] | None = None) -> ClientResponse:
        ts = ts or str(int(time.time()))
        sent = {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": signature(body, ts, sign_with)}
        sent.update(headers or {})
        return await self.client.post("/slack/events", data=body.encode(), headers=sent)

    def _next(self) -> str:
        self._n += 1
        return str(self._n)

    async def command(self, user: str, text: str = "") -> ClientResponse:
        return await self.post(urlencode({
            "token": "legacy", "team_id": "T0TEST", "channel_id": f"D{user}", "user_id": user,
            "command": "/challenge", "text": text, "response_url": self.fake.response_url(self._next()),
            "trigger_id": f"trigger-{self._next()}"}))

    def payload_body(self, payload: dict[str, Any]) -> str:
        return urlencode({"payload": json.dumps(payload)})

    def press_body(self, user: str, message: Posted, verb: str) -> str:
        button = button_of(message, verb)
        return self.payload_body({
            "type": "block_actions", "user": {"id": user, "team_id": "T0TEST"}, "team": {"id": "T0TEST"},
            "api_app_id": "A0TEST", "trigger_id": f"trigger-{self._next()}",
            "response_url": self.fake.response_url(self._next()),
            "container": {"type": "message", "channel_id": message.channel, "message_ts": message.ts},
            "channel": {"id": message.channel}, "message": {"ts": message.ts, "blocks": message.blocks},
            "actions": [{"type": "button", "action_id": button["action_id"], "block_id": "b",
                         "value": button["value"], "action_ts": f"{time.time():.6f}{self._next()}"}]})

    async def press(self, user: str, message: Posted, verb: str) -> ClientResponse:
        return await self.post(self.press_body(user, message, verb))

    def opened_view(self, index: int = -1) -> dict[str, Any]:
        return dict(self.fake.called("views.open")[index].args["view"])

    async def submit(self, user: str, view: dict[str, Any], values: dict[str, Any]) -> ClientResponse:
        return await self.post(self.payload_body({
            "type": "view_submission", "user": {"id": user, "team_id": "T0TEST"}, "team": {"id": "T0TEST"},
            "api_app_id": "A0TEST", "trigger_id": f"trigger-{self._next()}",
            "view": {"id": "V1", "type": "modal", "callback_id": view["callback_id"],
                     "private_metadata": view.get("private_metadata", ""), "blocks": view["blocks"],
                     "state": {"values": state_of(view, values)}}}))

    async def cards_for(self, user: str, count: int = 1) -> None:
        """Wait until `user` has at least `count` DMs."""
        await self.fake.wait_for(lambda: len(self.fake.dm(user)) >= count)

    async def challenge(self, reference: str) -> Any:
        async with self.service.database.uow(read_only=True) as uow:
            return await uow.challenges.get(reference)


def button_of(message: Posted, verb: str) -> dict[str, Any]:
    for block in message.blocks:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element.get("action_id") == f"mashbot:{verb}":
                return dict(element)
    raise AssertionError(f"no {verb} button on the card: {buttons(message)}")


def buttons(message: Posted) -> list[str]:
    return [e["action_id"].removeprefix("mashbot:") for b in message.blocks if b.get("type") == "actions"
            for e in b.get("elements", [])]


def text_of(message: Posted) -> str:
    """Everything a person reads on a message, as one string."""
    parts = [message.text]
    for block in message.blocks:
        for key in ("text",):
            if isinstance(block.get(key), dict):
                parts.append(block[key]["text"])
        for element in block.get("fields", []) + block.get("elements", []):
            if isinstance(element, dict) and isinstance(element.get("text"), str):
                parts.append(element["text"])
    return "\n".join(parts)


def view_text(view: dict[str, Any]) -> str:
    return "\n".join(str(b.get("text", {}).get("text", "")) for b in view.get("blocks", []))


def state_of(view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """A modal's `state.values` as Slack sends it, for the given {block id: value}."""
    state: dict[str, Any] = {}
    for block in view["blocks"]:
        if block.get("type") != "input":
            continue
        element = block["element"]
        value = values.get(block["block_id"])
        kind = element["type"]
        if kind == "plain_text_input":
            entry: dict[str, Any] = {"type": kind, "value": value}
        elif kind == "static_select":
            chosen = value if value is not None else (element.get("initial_option") or {}).get("value")
            entry = {"type": kind, "selected_option": {"value": chosen, "text": {"type": "plain_text", "text": "x"}}
                     if chosen is not None else None}
        else:
            entry = {"type": kind, "selected_options": [{"value": "yes"}] if value else []}
        state[block["block_id"]] = {element["action_id"]: entry}
    return state


REFERENCE = re.compile(r"CH-[0-9A-Z]{6}")


@pytest.fixture
async def workspace(db_url: str, fake: FakeSlack) -> AsyncIterator[Workspace]:
    async for ws in open_workspace(db_url, fake):
        yield ws


async def open_workspace(db_url: str, fake: FakeSlack, **settings: Any) -> AsyncIterator[Workspace]:
    from adapters.web import create_app

    service = bootstrap.build(make_settings(db_url, fake, **settings))
    service.clock_offset = START - bootstrap.utc_now()
    async with TestClient(TestServer(create_app(service))) as client:
        yield Workspace(client, fake, service)


# --- driving a challenge -------------------------------------------------------------------

async def raise_challenge(ws: Workspace, user: str = TARA, **changes: str) -> str:
    opened = len(ws.fake.called("views.open"))
    response = await ws.command(user)
    assert response.status == 200
    await ws.fake.wait_for(lambda: len(ws.fake.called("views.open")) > opened)
    view = ws.opened_view()
    answer = await ws.submit(user, view, {**INTAKE, **changes})
    assert answer.status == 200
    body = await answer.json()
    assert body["response_action"] == "update", body
    match = REFERENCE.search(view_text(body["view"]))
    assert match, body
    return match.group(0)


async def idle(ws: Workspace) -> None:
    """Wait until everything queued was sent (the outbox has no due chat row left)."""
    async def pending() -> int:
        async with ws.service.database.uow(read_only=True) as uow:
            o = t.outbox.c
            return int(await uow.session.scalar(select(func.count()).select_from(t.outbox).where(
                o.status == "pending", o.channel == "chat")) or 0)

    for _ in range(500):
        if not await pending():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("chat rows still pending in the outbox")


async def idle_after(ws: Workspace) -> None:
    """Let the request's after-ack work finish (it runs in the channel's tasks), then wait
    until what it queued was sent — and again, for work that sending started."""
    tasks = ws.client.app[SLACK].tasks
    await asyncio.sleep(0.01)
    for _ in range(50):
        await tasks.drain()
        await idle(ws)
        if not any(not task.done() for task in tasks.running):
            return
    raise AssertionError("Slack work after the ack is still running")


def refusal(body: dict[str, Any], field: str) -> str:
    """The error a refused modal shows on `field`: Slack's "errors" answer, or -- when what was
    typed there held a personal detail -- the modal shown again with that input emptied (a new
    action id, so Slack does not keep it) and the error under it."""
    if body["response_action"] == "errors":
        return str(body["errors"][field])
    assert body["response_action"] == "update", body
    shown = body["view"]["blocks"]
    at = next(i for i, b in enumerate(shown) if b.get("block_id") == field)
    assert shown[at]["element"]["action_id"].endswith(":again"), shown[at]
    assert shown[at + 1]["type"] == "context", shown[at + 1]
    return str(shown[at + 1]["elements"][0]["text"]).removeprefix(":warning: ")
