"""`POST /slack/events` on mashbot's aiohttp app: slash command, buttons and modals.

The route checks Slack's signature itself first (so a refused request is logged without its
body, and a request replayed within Slack's 5-minute window is refused too, on every replica:
the seen signatures are in the database), checks the body's shape (inbound.py: a malformed
one is a 400 saying what is wrong), then hands the request to a slack-bolt AsyncApp. Bolt verifies the signature again and runs the listeners;
our own `authorize=` gives it the bot token without an `auth.test` round trip.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import EVENTS_PATH
from bot import texts
from adapters.slack.inbound import Kind, Refused
from adapters.slack.inbound import read as inbound_read
from adapters.slack.interactions import Interactions
from cards import slack as blocks
from storage.database import UNAVAILABLE, Database

log = logging.getLogger("mashbot.slack")

PATH = EVENTS_PATH
WINDOW = 300  # seconds: Slack's own replay window


@dataclass
class RequestCheck:
    """Slack's request signature (v0, HMAC-SHA256 of `v0:{timestamp}:{body}`), its age, and
    that this exact signature was not accepted before within the window — by any replica,
    before or after a restart: seen signatures are kept in the database (`slack_replays`)."""

    signing_secret: str
    database: Database
    clock: Callable[[], float] = time.time
    window: int = WINDOW

    def forged(self, body: bytes, headers: Mapping[str, str]) -> str | None:
        """Why the request is not Slack's (None: it is, and recent). Never mentions the body."""
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
        return None

    async def refusal(self, body: bytes, headers: Mapping[str, str]) -> str | None:
        """Why the request is refused (None: it is Slack's and new)."""
        reason = self.forged(body, headers)
        if reason is not None:
            return reason
        sent_at = int(headers["X-Slack-Request-Timestamp"])
        # A signature stays acceptable while its timestamp is within the window either side of
        # now, so it is remembered until then; after that the age check refuses it anyway.
        expires_at = datetime.fromtimestamp(sent_at + self.window, UTC)
        async with self.database.uow() as uow:
            first = await uow.slack_replays.claim("sig:" + headers["X-Slack-Signature"],
                                                  now=datetime.fromtimestamp(self.clock(), UTC), expires_at=expires_at)
            await uow.commit()
        return None if first else "replayed (this signature was already used)"


def _utf8(content_type_header: str) -> bool:
    charset = _CHARSET.search(content_type_header)
    return charset is None or charset.group(1).strip("\"'").lower().replace("_", "-") in ("utf-8", "utf8")


_CHARSET = re.compile(r"charset\s*=\s*([^;]+)", re.IGNORECASE)


def _bad_request(message: str) -> web.Response:
    return web.json_response({"error": message}, status=400)


@dataclass
class SlackEdge:
    bolt: AsyncApp
    check: RequestCheck

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            reason = await self.check.refusal(body, request.headers)
        except UNAVAILABLE as exc:
            # Without the replay record a request cannot be told new: Slack retries a 503.
            log.warning("could not check a Slack request against the replay record: %s", type(exc).__name__)
            return web.json_response({"error": "mashbot's database is unavailable; try again"}, status=503)
        if reason is not None:
            log.warning("refused a request to %s from %s: %s", PATH, request.remote, reason)
            return web.json_response({"error": "invalid request"}, status=401)
        if not _utf8(request.headers.get("Content-Type", "")):
            return _bad_request("Slack requests are UTF-8; this one declares another charset")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return _bad_request("the body is not valid UTF-8")
        try:
            inbound = inbound_read(text, request.content_type)
        except Refused as exc:
            log.warning("refused a signed request to %s: %s", PATH, exc)
            return _bad_request(str(exc))
        if inbound.kind is Kind.IGNORED:
            return web.json_response({"ok": True})  # acknowledged: nothing mashbot serves
        try:
            bolt_request = AsyncBoltRequest(body=text, query=request.query_string,
                                            headers=request.headers)  # type: ignore[arg-type]
        except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
            log.warning("refused a signed request to %s: bolt could not read it (%s)", PATH, type(exc).__name__)
            return _bad_request("malformed Slack request")
        return await to_aiohttp_response(await self.bolt.async_dispatch(bolt_request))


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
            await ack(text=texts.SLACK_HELP, response_type="ephemeral")
            return
        await ack()
        tasks.spawn(interactions.command(body, respond))

    async def on_press(ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any) -> None:
        await ack()
        tasks.spawn(interactions.press(body, action, respond))

    async def on_reason(ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        tasks.spawn(interactions.intake_reason(body, action))

    app.command(texts.SLACK_COMMAND)(on_command)
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
