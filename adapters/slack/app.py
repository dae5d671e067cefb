"""`POST /slack/events` on mashbot's aiohttp app: slash command, buttons and modals.

The route checks Slack's signature itself first (so a refused request is logged without its
body, and a request replayed within Slack's 5-minute window is refused too), then hands the
request to a slack-bolt AsyncApp. Bolt verifies the signature again and runs the listeners;
our own `authorize=` gives it the bot token without an `auth.test` round trip.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import EVENTS_PATH
from adapters.slack import texts as words
from adapters.slack.interactions import Interactions
from cards import slack as blocks

log = logging.getLogger("mashbot.slack")

PATH = EVENTS_PATH
WINDOW = 300  # seconds: Slack's own replay window


@dataclass
class RequestCheck:
    """Slack's request signature (v0, HMAC-SHA256 of `v0:{timestamp}:{body}`), its age, and
    that this exact signature was not seen before within the window."""

    signing_secret: str
    clock: Callable[[], float] = time.time
    window: int = WINDOW
    _seen: OrderedDict[str, int] = field(default_factory=OrderedDict)

    def refusal(self, body: bytes, headers: Mapping[str, str]) -> str | None:
        """Why the request is refused (None: it is Slack's and new). Never mentions the body."""
        timestamp = headers.get("X-Slack-Request-Timestamp", "")
        signature = headers.get("X-Slack-Signature", "")
        if not timestamp or not signature:
            return "missing signature headers"
        try:
            sent_at = int(timestamp)
        except ValueError:
            return "malformed timestamp"
        if abs(self.clock() - sent_at) > self.window:
            return "timestamp outside the 5-minute window (replayed, or a clock is wrong)"
        base = b"v0:" + timestamp.encode() + b":" + body
        expected = "v0=" + hmac.new(self.signing_secret.encode(), base, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return "signature does not match"
        return self._replayed(signature, sent_at)

    def _replayed(self, signature: str, sent_at: int) -> str | None:
        oldest = self.clock() - self.window
        while self._seen and next(iter(self._seen.values())) < oldest:
            self._seen.popitem(last=False)
        if signature in self._seen:
            return "replayed (this signature was already used)"
        self._seen[signature] = sent_at
        return None


@dataclass
class SlackEdge:
    bolt: AsyncApp
    check: RequestCheck

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        reason = self.check.refusal(body, request.headers)
        if reason is not None:
            log.warning("refused a request to %s from %s: %s", PATH, request.remote, reason)
            return web.json_response({"error": "invalid request"}, status=401)
        return await to_aiohttp_response(await self.bolt.async_dispatch(await to_bolt_request(request)))


def build_bolt(interactions: Interactions, tasks: Tasks, *, signing_secret: str, token: str,
               api_url: str | None) -> AsyncApp:
    """The AsyncApp with mashbot's listeners: each acks, then hands the work to a task.

    `process_before_response=True` returns the ack as soon as the listener returns (bolt's
    own asynchronous mode polls for the ack every 10 ms); the slow part runs in `tasks`."""

    async def authorize(enterprise_id: str | None, team_id: str | None, **_: Any) -> AuthorizeResult:
        # One workspace, one bot token: no auth.test, so a slow or failing Slack never blocks a request.
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=token)

    client = AsyncWebClient(base_url=api_url) if api_url else AsyncWebClient()
    app = AsyncApp(signing_secret=signing_secret, authorize=authorize, client=client, process_before_response=True,
                   ignoring_self_events_enabled=False, name="mashbot")

    async def on_command(ack: Any, body: dict[str, Any], respond: Any) -> None:
        if str(body.get("text") or "").strip().lower() in ("help", "?"):
            await ack(text=words.HELP, response_type="ephemeral")
            return
        await ack()
        tasks.spawn(interactions.command(body, respond))

    async def on_press(ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any) -> None:
        await ack()
        tasks.spawn(interactions.press(body, action, respond))

    async def on_reason(ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        tasks.spawn(interactions.intake_reason(body, action))

    app.command(words.COMMAND)(on_command)
    app.action(blocks.REASON_FIELD)(on_reason)
    app.action(re.compile("^" + re.escape(blocks.ACTION_PREFIX)))(on_press)
    app.view(blocks.INTAKE_CALLBACK)(interactions.submit_intake)
    app.view(blocks.ACTION_CALLBACK)(interactions.submit_action)
    return app


@dataclass
class Tasks:
    """Work started after an ack, kept referenced until it finishes (and awaited at shutdown)."""

    running: set[asyncio.Task[Any]] = field(default_factory=set)

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(self._guarded(work))
        self.running.add(task)
        task.add_done_callback(self.running.discard)

    @staticmethod
    async def _guarded(work: Coroutine[Any, Any, Any]) -> None:
        try:
            await work
        except Exception as exc:
            log.error("Slack work after the ack failed: %s", type(exc).__name__, exc_info=exc)

    async def drain(self, timeout: float = 10.0) -> None:
        pending = {t for t in self.running if not t.done()}
        if pending:
            await asyncio.wait(pending, timeout=timeout)
