"""`POST /api/messages`: our own route around CloudAdapter (see INTEGRATION.md).

The stock `adapter.process` answers 500 for a garbage or forged bearer token; here every
authentication failure is a 401, a body that is not an activity a 400, and invoke bodies
(plain dicts) are returned as JSON. Bot errors stay 500.

With MICROSOFT_APP_ID unset the adapter is anonymous (no JWT check): then only loopback
clients (the Bot Framework Emulator, tests) are served, so an unconfigured server on a
public address cannot be driven by forged activities.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from botbuilder.core import TurnContext, serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ActivityTypes
from botframework.connector.auth import AuthenticateRequestResult

from adapters.bootstrap import Service
from adapters.console import is_loopback
from adapters.scheduler import Clockwork
from adapters.teams import people
from adapters.teams.bot import TeamsBot, describe, text_activity
from adapters.teams.config import BotConfig, bot_config, card_secret, make_adapter
from adapters.teams.sender import TeamsSender

log = logging.getLogger("mashbot.teams")

PATH = "/api/messages"
AUTH_TIMEOUT = 20.0  # seconds; the JWT key download has no timeout of its own
SORRY = ("Sorry, something went wrong on mashbot's side. Please try again; "
         "if it keeps happening, tell the administrator.")


@dataclass
class TeamsChannel:
    config: BotConfig
    adapter: CloudAdapter
    bot: TeamsBot
    sender: TeamsSender

    async def authenticate(self, activity: Activity, header: str) -> AuthenticateRequestResult:
        auth = self.adapter.bot_framework_authentication
        if self.config.anonymous:
            result: AuthenticateRequestResult = await auth.authenticate_request(activity, header)
            return result
        # botframework fetches its signing keys with a blocking `requests.get` (about daily):
        # run the check on a worker thread so the event loop never stalls on it.
        return await asyncio.wait_for(asyncio.to_thread(asyncio.run, auth.authenticate_request(activity, header)),
                                      AUTH_TIMEOUT)


TEAMS = web.AppKey("teams", TeamsChannel)


def _refuse(status: int, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status)


async def _activity(request: web.Request) -> Activity | None:
    try:
        body = await request.json(loads=json.loads)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(body, dict):
        return None
    try:
        activity: Activity = Activity().deserialize(body)
    except Exception:  # noqa: BLE001 - msrest raises several types for a malformed body
        return None
    return activity if activity.type else None


async def messages(request: web.Request) -> web.StreamResponse:
    return await serve_messages(request.app[TEAMS], request)


async def serve_messages(teams: TeamsChannel, request: web.Request) -> web.StreamResponse:
    header = request.headers.get("Authorization", "")
    if teams.config.anonymous and not is_loopback(request.remote):
        return _refuse(401, "MICROSOFT_APP_ID is not set: only loopback clients are served")
    if not teams.config.anonymous and not header.startswith("Bearer "):
        return _refuse(401, "missing bearer token")
    activity = await _activity(request)
    if activity is None:
        return _refuse(400, "the body is not a Bot Framework activity")
    try:
        auth = await teams.authenticate(activity, header)
    except TimeoutError:
        log.error("teams: authenticating a request took over %gs (signing keys unreachable?)", AUTH_TIMEOUT)
        return _refuse(503, "authentication unavailable")
    except Exception as exc:  # noqa: BLE001 - any failure to authenticate is the caller's 401
        log.info("teams: refused %s: %s", describe(activity), type(exc).__name__)
        return _refuse(401, "unauthorized")
    if _wrong_tenant(teams.config, activity):
        return _refuse(403, "this bot serves one tenant only")
    response = await teams.adapter.process_activity(auth, activity, teams.bot.on_turn)
    if response is None:
        return web.Response(status=201)
    return _invoke_response(response.status, response.body)


def _wrong_tenant(config: BotConfig, activity: Activity) -> bool:
    tenant = people.tenant_of(activity)
    return config.APP_TYPE == "SingleTenant" and bool(tenant) and tenant != config.APP_TENANTID


def _invoke_response(status: int, body: Any) -> web.Response:
    if body is None:
        return web.Response(status=int(status))
    if isinstance(body, (dict, list)):
        return web.json_response(body, status=int(status))
    return web.json_response(serializer_helper(body), status=int(status))


async def _on_error(context: TurnContext, error: Exception) -> None:
    log.error("teams: turn failed on %s: %s", describe(context.activity), type(error).__name__,
              exc_info=(type(error), error, error.__traceback__))
    if context.activity.type == ActivityTypes.message:
        await context.send_activity(text_activity(SORRY))
    else:
        raise error


def mount_teams(app: web.Application, service: Service, *, clockwork: Clockwork | None = None) -> TeamsChannel:
    """Add `POST /api/messages`; with a scheduler and an app id, its dispatcher also sends
    through Teams (proactive cards)."""
    channel = build_channel(service, clockwork=clockwork)
    app[TEAMS] = channel
    app.router.add_post(PATH, messages)
    return channel


def build_channel(service: Service, *, clockwork: Clockwork | None = None) -> TeamsChannel:
    """The Teams channel (adapter, bot, sender); with a scheduler and an app id, the
    dispatcher also sends through it."""
    config = bot_config(service.settings)
    quiet = logging.getLogger("msrest.serialization")
    if quiet.level == logging.NOTSET:  # "trigger is not a known attribute…" on every card press
        quiet.setLevel(logging.ERROR)
    adapter = make_adapter(config)
    adapter.on_turn_error = _on_error
    secret = card_secret(service.settings, config)
    kick = clockwork.kick if clockwork is not None else (lambda: None)
    channel = TeamsChannel(config, adapter, TeamsBot(service, secret, kick),
                           TeamsSender(adapter, config.APP_ID, service.database, secret, service.now))
    if config.anonymous:
        # Nothing real to send to: the sender stays out of the dispatcher (a Slack-only or
        # email-only service would otherwise look up Teams references for every row).
        log.warning("MICROSOFT_APP_ID is not set: %s runs unauthenticated for loopback clients only", PATH)
    elif clockwork is not None:
        clockwork.dispatcher.chat = (*clockwork.dispatcher.chat, channel.sender)
    return channel
