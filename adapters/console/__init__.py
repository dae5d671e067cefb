"""The local web console (issue 7): try mashbot in a browser with no Teams or Slack account.

Server-rendered HTML (Jinja2) at `/`: choose who you are from the roster, raise a challenge
with the intake form the chat channels use, act on the cards of your inbox (the same view
models as Slack and Teams), read a challenge's timeline and the Senior Managers' digest,
and — in demo mode only — move the service's clock on and run the tick.

It is on when no channel credentials are set and the server listens on loopback, or when
MASHBOT_CONSOLE=1 (MASHBOT_CONSOLE=0 turns it off). The demo clock is never on when
channel credentials are set.
"""

from adapters.console.routes import console_enabled, demo_clock_enabled, is_loopback, mount_console

__all__ = ["console_enabled", "demo_clock_enabled", "is_loopback", "mount_console"]
