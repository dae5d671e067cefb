"""`POST /api/messages`: our own route around CloudAdapter (see INTEGRATION.md).

The stock `adapter.process` answers 500 for a garbage or forged bearer token; here every
authentication failure is a 401, a body that is not an activity a 400 saying what is wrong
(before any turn runs, so a stored conversation reference is never overwritten by it), and
invoke bodies (plain dicts) are returned as JSON. Bot errors stay 500.

Three modes:
- MICROSOFT_APP_ID set: every request needs a valid Bot Framework token;
- MASHBOT_TEAMS_LOCAL=1 (the Bot Framework Emulator, tests): unauthenticated, so only for a
  direct caller on this machine — loopback peer, Host and serviceUrl, no reverse-proxy
  headers (behind a proxy on the same host everyone looks like loopback), JSON content type
  (a web page cannot post that cross-site without a preflight);
- neither: 401 to everything, since an unsigned activity could name anyone.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from botbuilder.core import TurnContext, serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ActivityTypes
from botframework.connector.auth import AuthenticateRequestResult
from msrest.exceptions import ClientException, DeserializationError

from adapters.bootstrap import Service
from adapters.local_modes import (LocalOnlyError, host_is_loopback, is_loopback, proxy_header, teams_local,
                                  teams_problem, url_is_loopback)
from adapters.scheduler import Clockwork
from adapters.teams import people
from adapters.teams.bot import TeamsBot, describe, text_activity
from adapters.composition import Outlet
from adapters.teams.config import BotConfig, bot_config, make_adapter
from adapters.teams.sender import TeamsSender

log = logging.getLogger("mashbot.teams")

PATH = "/api/messages"
AUTH_TIMEOUT = 20.0  # seconds; the JWT key download has no timeout of its own
MAX_ID = 500
LISTS_OF_OBJECTS = ("membersAdded", "membersRemoved", "entities", "attachments", "reactionsAdded",
                    "reactionsRemoved")
NOT_IN_IDS = re.compile(r"[\x00-\x20\x7f{}\"<>\\^`]")  # control, space, and what breaks a URL template
MAX_DEPTH = 32  # real activities (cards included) nest far less; deeper is an attack on the parsers
NOT_SET_UP = ("Teams is not set up on this server: set MICROSOFT_APP_ID (or MASHBOT_TEAMS_LOCAL=1 "
              "for the Bot Framework Emulator on loopback)")
SORRY = ("Sorry, something went wrong on mashbot's side. Please try again; "
         "if it keeps happening, tell the administrator.")


@dataclass
class TeamsChannel:
    config: BotConfig
    adapter: CloudAdapter
    bot: TeamsBot
    sender: TeamsSender
    local: bool = False  # MASHBOT_TEAMS_LOCAL: unauthenticated, for direct loopback callers only
    outlet: Outlet | None = None  # what it sends through the dispatcher (None: Teams is off)

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


class BadActivity(ValueError):
    """A body that is not a usable activity; the message says what is wrong."""


async def _activity(request: web.Request) -> Activity:
    """The activity posted, or BadActivity before anything of it is used."""
    raw = await request.read()
    charset = request.charset or "utf-8"
    try:
        body = json.loads(raw.decode(charset))
    except LookupError:
        raise BadActivity(f"unknown charset {charset[:40]!r}: send the activity as UTF-8 JSON") from None
    except UnicodeDecodeError:
        raise BadActivity(f"the body is not valid {charset[:40]} text: send the activity as UTF-8 JSON") from None
    except (ValueError, RecursionError):
        raise BadActivity("the body is not JSON (a Bot Framework activity)") from None
    problem = activity_problem(body)
    if problem:
        raise BadActivity(problem)
    try:
        activity: Activity = Activity().deserialize(body)
    except Exception:  # noqa: BLE001 - msrest raises several types for a malformed body
        raise BadActivity("the body is not a Bot Framework activity (a field has the wrong type)") from None
    return activity


def activity_problem(body: object) -> str | None:
    """What makes a parsed body unusable as an activity mashbot answers, or None."""
    if not isinstance(body, dict):
        return "the body must be a JSON object (a Bot Framework activity)"
    depth, text_ok = _shape(body)
    if depth > MAX_DEPTH:
        return f"the activity is nested more than {MAX_DEPTH} levels deep"
    if not text_ok:
        return "the activity holds text that is not valid Unicode (a lone surrogate escape)"
    if not _text(body.get("type")):
        return "the activity has no type"
    for field in ("conversation", "from"):
        if not isinstance(body.get(field), dict) or not _text(body[field].get("id")):
            return f"the activity has no {field}.id"
    recipient = body.get("recipient")
    if recipient is not None and not isinstance(recipient, dict):
        return "the activity's recipient must be an object"
    for field in LISTS_OF_OBJECTS:
        items = body.get(field)
        if items is not None and not (isinstance(items, list) and all(isinstance(i, dict) for i in items)):
            return f"the activity's {field} must be a list of objects"
    # Ids go into the connector's URLs when mashbot answers: Teams' own never hold control
    # characters or run to pages.
    ids = {"id": body.get("id"), "replyToId": body.get("replyToId"), "conversation.id": body["conversation"]["id"],
           "from.id": body["from"]["id"], "recipient.id": (recipient or {}).get("id")}
    for name, value in ids.items():
        if value is not None and not _an_id(value):
            return f"the activity's {name} is not an id (at most {MAX_ID} characters, no spaces or quotes)"
    url = body.get("serviceUrl")
    if not _text(url) or not str(url).lower().startswith(("https://", "http://")):
        return "the activity has no serviceUrl (an http or https URL)"
    return None


def _an_id(value: object) -> bool:
    return isinstance(value, str) and len(value) <= MAX_ID and not NOT_IN_IDS.search(value)


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _shape(body: object) -> tuple[int, bool]:
    """How deeply a parsed JSON value nests, and whether all its text can be encoded (JSON
    allows "\\ud800", which no later encode survives). Iterative: no recursion to exhaust."""
    deepest, stack = 0, [(body, 1)]
    while stack:
        value, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            break
        if isinstance(value, dict):
            if not all(_encodable(key) for key in value):
                return deepest, False
            children: Any = value.values()
        else:
            children = value
        for child in children:
            if isinstance(child, (dict, list)):
                stack.append((child, level + 1))
            elif isinstance(child, str) and not _encodable(child):
                return deepest, False
    return deepest, True


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _local_problem(request: web.Request) -> str | None:
    """Why an unauthenticated request is not from a direct caller on this machine, or None."""
    proxied = proxy_header(request.headers)
    if proxied is not None:
        return f"MASHBOT_TEAMS_LOCAL serves direct callers on this machine only, not through a proxy ({proxied})"
    if not is_loopback(request.remote) or not host_is_loopback(request.headers.get("Host")):
        return "MASHBOT_TEAMS_LOCAL serves loopback clients only"
    return None


async def messages(request: web.Request) -> web.StreamResponse:
    return await serve_messages(request.app[TEAMS], request)


async def serve_messages(teams: TeamsChannel, request: web.Request) -> web.StreamResponse:
    header = request.headers.get("Authorization", "")
    if teams.config.anonymous:
        if not teams.local:
            return _refuse(401, NOT_SET_UP)
        problem = _local_problem(request)
        if problem:
            return _refuse(403, problem)
        if request.content_type != "application/json":
            return _refuse(415, "send the activity as application/json")
    elif not header.startswith("Bearer "):
        return _refuse(401, "missing bearer token")
    try:
        activity = await _activity(request)
    except BadActivity as exc:
        return _refuse(400, str(exc))
    if teams.local and not url_is_loopback(activity.service_url):
        return _refuse(403, "MASHBOT_TEAMS_LOCAL answers to a loopback serviceUrl only (the Emulator's)")
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
    try:
        response = await teams.adapter.process_activity(auth, activity, teams.bot.on_turn)
    except CONNECTOR_ERRORS:  # logged by _on_error
        return _refuse(502, "mashbot could not answer through the Teams connector at the activity's serviceUrl")
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


# What msrest raises when the connector cannot be reached, refuses, or answers what it cannot read.
CONNECTOR_ERRORS = (ClientException, DeserializationError, OSError, TimeoutError)


async def _on_error(context: TurnContext, error: Exception) -> None:
    if isinstance(error, CONNECTOR_ERRORS):
        # Not a bug of ours: the connector (Teams, or whatever the Emulator's serviceUrl names)
        # failed. The route answers 502; the outbox sender decides about retries.
        log.warning("teams: the connector failed on %s (%s)", describe(context.activity), type(error).__name__)
        raise error
    log.error("teams: turn failed on %s: %s", describe(context.activity), type(error).__name__,
              exc_info=(type(error), error, error.__traceback__))
    if context.activity.type == ActivityTypes.message:
        await context.send_activity(text_activity(SORRY))
    else:
        raise error


def mount_teams(app: web.Application, service: Service, *, clockwork: Clockwork | None = None,
                host: str | None = None) -> TeamsChannel:
    """Add `POST /api/messages`; with a scheduler (and an app id or MASHBOT_TEAMS_LOCAL), its
    dispatcher also sends through Teams (proactive cards and in-place updates).

    LocalOnlyError when MASHBOT_TEAMS_LOCAL is on and `host` is not a loopback address."""
    channel = build_channel(service, clockwork=clockwork, host=host)
    app[TEAMS] = channel
    app.router.add_post(PATH, messages)
    return channel


def build_channel(service: Service, *, clockwork: Clockwork | None = None,
                  host: str | None = None) -> TeamsChannel:
    """The Teams channel (adapter, bot, sender); with a scheduler (and an app id or
    MASHBOT_TEAMS_LOCAL), the dispatcher also sends through it.

    LocalOnlyError when MASHBOT_TEAMS_LOCAL is on and `host` is not a loopback address."""
    settings = service.settings
    problem = teams_problem(settings, settings.host if host is None else host)
    if problem:
        raise LocalOnlyError(problem)
    config = bot_config(settings)
    local = config.anonymous and teams_local(settings)
    quiet = logging.getLogger("msrest.serialization")
    if quiet.level == logging.NOTSET:  # "trigger is not a known attribute…" on every card press
        quiet.setLevel(logging.ERROR)
    adapter = make_adapter(config)
    adapter.on_turn_error = _on_error
    secret = service.card_secret
    kick = clockwork.kick if clockwork is not None else (lambda: None)
    sender = TeamsSender(adapter, config.APP_ID, service.database, secret, service.now, loopback_only=local)
    channel = TeamsChannel(config, adapter, TeamsBot(service, secret, kick), sender, local)
    if config.anonymous and not local:
        # Nothing to send to: the sender stays out of the dispatcher (a Slack-only or
        # email-only service would otherwise look up Teams references for every row).
        log.info("Teams is off (no MICROSOFT_APP_ID): %s answers 401", PATH)
        return channel
    if local:
        log.warning("MASHBOT_TEAMS_LOCAL=1: %s is unauthenticated, for loopback clients only", PATH)
    channel.outlet = Outlet(channel.sender)  # the composition root connects it to the dispatcher
    return channel
