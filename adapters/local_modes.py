"""The modes for local use only, and the rules that keep them local.

Three things trust whoever can reach them and so must never be reachable from anywhere but
this machine:

- the web console (`MASHBOT_CONSOLE=1`, or `MASHBOT_DEMO=1`): a cookie names the person
  acting, there is no sign-in;
- the console's demo clock (`MASHBOT_DEMO=1`): it moves the service's now and runs the tick,
  which moves real challenges;
- unauthenticated Teams (`MASHBOT_TEAMS_LOCAL=1`, for the Bot Framework Emulator and tests):
  activities are not signed, so whoever posts one is believed about who sent it.

Each needs the server to bind a loopback address (else `mashbot serve` refuses to start), and
each request must come straight from this machine: a request carrying a reverse proxy's
headers is refused, because behind a proxy on the same host every caller looks like
loopback. The console also checks the Host header (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from adapters.settings import Settings

LOOPBACK_NAMES = frozenset({"localhost", "ip6-localhost", "ip6-loopback"})
# What reverse proxies and CDNs add; any of them means the caller is not this machine.
PROXY_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Server",
                 "X-Real-IP", "X-Client-IP", "X-Cluster-Client-IP", "True-Client-IP", "CF-Connecting-IP",
                 "Fastly-Client-IP", "X-Original-Forwarded-For", "Via")
ON = frozenset({"1", "true", "yes", "on"})
OFF = frozenset({"0", "false", "no", "off"})


class LocalOnlyError(ValueError):
    """A local-only mode is switched on where it could be reached from elsewhere."""


def is_loopback(host: str | None) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost; False for 0.0.0.0, '' and everything else."""
    if not host:
        return False
    name = host.strip().strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_is_loopback(header: str | None) -> bool:
    """A Host header (`name`, `name:port`, `[v6]:port`) naming this machine."""
    if not header or len(header) > 300:
        return False
    try:
        parts = urlsplit("//" + header.strip())
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return False
    if parts.username is not None or parts.path or parts.query or parts.fragment:
        return False
    name = parts.hostname or ""
    # Browsers resolve every *.localhost name to loopback themselves (RFC 6761).
    return is_loopback(name) or (name.endswith(".localhost") and len(name) > len(".localhost"))


def url_is_loopback(url: str | None) -> bool:
    """An http(s) URL whose host is this machine (the Emulator's serviceUrl)."""
    if not isinstance(url, str) or len(url) > 2000:
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and parts.username is None and is_loopback(parts.hostname)


def proxy_header(headers: Mapping[str, str]) -> str | None:
    """The first reverse-proxy header a request carries, or None for a direct caller."""
    return next((name for name in PROXY_HEADERS if name in headers), None)


# --- which modes are on --------------------------------------------------------------------


def _flag(name: str, raw: Any) -> bool | None:
    if raw is None or isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text == "":
        return None
    if text in ON:
        return True
    if text in OFF:
        return False
    raise ValueError(f"{name} must be 1 (on) or 0 (off), not {raw!r}")


def console_enabled(settings: Settings, environ: Mapping[str, str] | None = None) -> bool:
    """On with MASHBOT_CONSOLE=1, or with MASHBOT_DEMO=1 unless MASHBOT_CONSOLE=0; else off."""
    raw: Any = getattr(settings, "console", None)
    if raw is None:
        raw = (os.environ if environ is None else environ).get("MASHBOT_CONSOLE")
    flag = _flag("MASHBOT_CONSOLE", raw)
    return settings.demo if flag is None else flag


def demo_clock_enabled(settings: Settings, environ: Mapping[str, str] | None = None) -> bool:
    """The demo clock: MASHBOT_DEMO=1 with the console on."""
    return settings.demo and console_enabled(settings, environ)


def teams_local(settings: Settings) -> bool:
    """Unauthenticated Teams for the Emulator and tests (MASHBOT_TEAMS_LOCAL=1)."""
    return settings.teams_local


# --- where they may run --------------------------------------------------------------------


def console_problem(settings: Settings, host: str | None, environ: Mapping[str, str] | None = None) -> str | None:
    if console_enabled(settings, environ) and not is_loopback(host):
        return (f"the web console is on but mashbot would listen on {host or 'every address'!s}: the console "
                "lets whoever reaches it act as anyone, so it serves loopback only. Listen on 127.0.0.1 "
                "(MASHBOT_HOST / --host) or turn it off (unset MASHBOT_DEMO, MASHBOT_CONSOLE=0).")
    return None


def demo_problem(settings: Settings) -> str | None:
    if settings.demo and settings.has_channel_credentials:
        return ("MASHBOT_DEMO=1 is set together with Teams or Slack credentials: the demo clock moves real "
                "challenges, so it is for trying mashbot only. Unset MASHBOT_DEMO for a real deployment.")
    return None


def teams_problem(settings: Settings, host: str | None) -> str | None:
    if not settings.teams_local:
        return None
    if settings.microsoft_app_id.strip():
        return ("MASHBOT_TEAMS_LOCAL=1 and MICROSOFT_APP_ID are both set: with an app id every Teams request "
                "is authenticated; unset MASHBOT_TEAMS_LOCAL.")
    if not is_loopback(host):
        return (f"MASHBOT_TEAMS_LOCAL=1 (unauthenticated Teams, for the Bot Framework Emulator) but mashbot "
                f"would listen on {host or 'every address'!s}: listen on 127.0.0.1 (MASHBOT_HOST / --host), "
                "or set MICROSOFT_APP_ID and unset MASHBOT_TEAMS_LOCAL.")
    return None


def check(settings: Settings, host: str | None, environ: Mapping[str, str] | None = None) -> None:
    """Raise LocalOnlyError naming every local-only mode that is on where it must not be."""
    problems = [p for p in (console_problem(settings, host, environ), demo_problem(settings),
                            teams_problem(settings, host)) if p]
    if problems:
        raise LocalOnlyError("refusing to start: " + "\n  ".join(problems))
