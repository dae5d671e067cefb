"""The Slack channel: `/challenge`, DM cards with buttons, the whole ladder in Slack.

`mount_slack(app, service)` adds `POST /slack/events` to mashbot's aiohttp app when
SLACK_SIGNING_SECRET is set, and a Slack sender to the outbox dispatcher. SLACK_BOT_TOKEN
is the bot's token; SLACK_API_URL points the Web API client elsewhere (tests, a proxy).
Imports of slack-bolt happen only when Slack is configured.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

EVENTS_PATH = "/slack/events"

if TYPE_CHECKING:
    from aiohttp import web

    from adapters.bootstrap import Service
    from adapters.composition import Outlet
    from adapters.settings import Settings


def slack_configured(settings: Settings) -> bool:
    secret = settings.slack_signing_secret
    return secret is not None and bool(secret.get_secret_value().strip())


def mount_slack(app: web.Application, service: Service, *, clockwork: Any = None) -> Outlet | None:
    """Serve Slack on `app` when it is configured; its outlet (sender and hooks) when mounted,
    for the composition root to connect. `clockwork` (the scheduler, when the app runs one)
    lends its dispatcher and its `kick()`."""
    if not slack_configured(service.settings):
        return None
    from adapters.slack.channel import mount

    return mount(app, service, clockwork).outlet
