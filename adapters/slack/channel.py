"""Wiring of the Slack channel: the Web API client, directory, sender, listeners and route."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from adapters.bootstrap import Service
from adapters.composition import Outlet, own_dispatcher
from adapters.dispatcher import Dispatcher
from adapters.slack.app import PATH, RequestCheck, SlackEdge, Tasks, build_bolt
from adapters.slack.directory import Directory
from adapters.slack.interactions import Interactions
from adapters.slack.once import SubmitOnce
from adapters.slack.sender import CardSync, SlackSender
from adapters.slack.web_errors import WebClient

log = logging.getLogger("mashbot.slack")


@dataclass
class SlackChannel:
    edge: SlackEdge
    sender: SlackSender
    interactions: Interactions
    dispatcher: Dispatcher  # the scheduler's, when the app runs one; else the channel's own
    tasks: Tasks
    outlet: Outlet


SLACK = web.AppKey("slack", SlackChannel)


def build(service: Service, clockwork: Any = None) -> SlackChannel:
    settings = service.settings
    signing_secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
    if not token:
        log.warning("SLACK_BOT_TOKEN is not set: Slack requests are checked but mashbot cannot answer or send")
    api_url = settings.slack_api_url or None
    web_api = WebClient(token=token or None, base_url=api_url) if api_url else WebClient(token=token or None)
    directory = Directory(service.database, web_api, clock=service.now)
    secret = service.card_secret
    sync = CardSync(service.database, service)
    sender = SlackSender(service, web_api, directory, secret, sync)
    tasks = Tasks()
    # Changes from any channel or the clock refresh the Slack cards they did not replace.
    outlet = Outlet(sender, on_sent=(sync.after_send,))
    if clockwork is not None:  # the composition root connects the outlet to its dispatcher
        dispatcher: Dispatcher = clockwork.dispatcher
        kick = clockwork.kick
    else:
        from adapters.scheduler import build_dispatcher

        dispatcher = own_dispatcher(build_dispatcher(service), outlet)

        def kick() -> None:
            tasks.spawn(dispatcher.run_once())
    interactions = Interactions(service, web_api, directory, secret, sync, sender, kick, tasks.spawn,
                                SubmitOnce(service.database), admin_contact=settings.admin_contact)
    bolt = build_bolt(interactions, tasks, signing_secret=signing_secret, token=token, api_url=api_url)
    edge = SlackEdge(bolt, RequestCheck(signing_secret, service.database))
    return SlackChannel(edge, sender, interactions, dispatcher, tasks, outlet)


def mount(app: web.Application, service: Service, clockwork: Any = None) -> SlackChannel:
    channel = build(service, clockwork)
    app[SLACK] = channel
    app.router.add_post(PATH, channel.edge.handle)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        yield
        await channel.tasks.drain()

    app.cleanup_ctx.append(lifecycle)
    log.info("Slack: %s is served (Web API %s)", PATH, service.settings.slack_api_url or "slack.com")
    return channel
