"""`POST /api/messages` without importing botbuilder until Teams is used.

With MICROSOFT_APP_ID or MASHBOT_TEAMS_LOCAL set the channel is built at start-up (its
sender joins the dispatcher). Without either the route only answers 401, so botbuilder —
most of a start-up's imports — is loaded on the first such request, not by every
`mashbot serve` that has no Teams at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from adapters.bootstrap import Service

if TYPE_CHECKING:
    from adapters.composition import Outlet
    from adapters.scheduler import Clockwork
    from adapters.teams.route import TeamsChannel

PATH = "/api/messages"


class _Later:
    """The channel, built on first use."""

    def __init__(self, service: Service, clockwork: Clockwork | None) -> None:
        self.service, self.clockwork = service, clockwork
        self.channel: TeamsChannel | None = None

    def get(self) -> TeamsChannel:
        if self.channel is None:
            from adapters.teams.route import build_channel

            self.channel = build_channel(self.service, clockwork=self.clockwork)
        return self.channel


LATER = web.AppKey("teams_later", _Later)


def mount_teams_when_needed(app: web.Application, service: Service, *, clockwork: Clockwork | None = None,
                            host: str | None = None) -> Outlet | None:
    """Teams' outlet for the dispatcher when it sends (an app id or the local mode).
    LocalOnlyError (at once) when MASHBOT_TEAMS_LOCAL is on and `host` is not a loopback address."""
    if service.settings.microsoft_app_id or service.settings.teams_local:
        # A sender for the dispatcher (or the local mode's host check) is needed from the start.
        from adapters.teams.route import mount_teams

        return mount_teams(app, service, clockwork=clockwork, host=host).outlet
    later = app[LATER] = _Later(service, clockwork)

    async def messages(request: web.Request) -> web.StreamResponse:
        from adapters.teams.route import serve_messages

        return await serve_messages(later.get(), request)

    app.router.add_post(PATH, messages)
    return None


def teams_channel(app: web.Application) -> Any:
    """The app's Teams channel (a `TeamsChannel`), built now if it was waiting for first use."""
    from adapters.teams.route import TEAMS

    if TEAMS in app:
        return app[TEAMS]
    return app[LATER].get()
