"""The local web console: try mashbot in a browser with no Teams or Slack account.

Server-rendered HTML (Jinja2) at `/`: choose who you are from the roster, raise a challenge
with the intake form the chat channels use, act on the cards of your inbox (the same view
models as Slack and Teams), read a challenge's timeline and the Senior Managers' digest,
and — in demo mode only — move the service's clock on and run the tick.

For local use only (see adapters/local_modes.py): it is on with MASHBOT_DEMO=1 (console and
demo clock; `make run` sets it) or MASHBOT_CONSOLE=1 (console, no demo clock), and off
otherwise (MASHBOT_CONSOLE=0 turns it off even in demo mode). When on, `mashbot serve`
refuses to listen anywhere but loopback, and every console request must name a loopback
host and come without a reverse proxy's headers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from adapters.local_modes import console_enabled, demo_clock_enabled, is_loopback

if TYPE_CHECKING:
    from aiohttp import web

    from adapters import bootstrap

__all__ = ["console_enabled", "demo_clock_enabled", "is_loopback", "mount_console"]


def mount_console(app: web.Application, service: bootstrap.Service, *, host: str | None = None,
                  environ: Mapping[str, str] | None = None) -> bool:
    """`adapters.console.routes.mount_console`; the pages (Jinja2 and the view models) are
    imported only when the console is on, so a service without it starts without them."""
    if not console_enabled(service.settings, environ):
        return False
    from adapters.console.routes import mount_console as mount

    return mount(app, service, host=host, environ=environ)
