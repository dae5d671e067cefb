"""The signed-in page at /web for people without the council's chat, and the confirmation
pages of emailed action links (/web/act/…).

On only when MASHBOT_PUBLIC_URL is https (the cookies are Secure and the links must not travel
in clear), mail is configured (sign-in links go by email) and MASHBOT_SECRET is set (links are
signed with it). Unlike the console there is no "acting as" and no demo clock: a person is who
their emailed link says they are.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from aiohttp import web

from adapters import bootstrap
from adapters.settings import Settings

log = logging.getLogger("mashbot.web")


def web_page_problem(settings: Settings) -> str | None:
    """Why /web is off (None: it is on)."""
    url = (settings.public_url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return "MASHBOT_PUBLIC_URL is not a URL"
    if parts.scheme != "https" or not parts.hostname:
        return "MASHBOT_PUBLIC_URL is not an https:// URL"
    if not settings.mail_transport_configured:
        return "no mail is configured (MASHBOT_SMTP_URL or MASHBOT_MAIL=graph)"
    if settings.secret is None or len(settings.secret.get_secret_value().strip()) < 16:
        return "MASHBOT_SECRET is not set (at least 16 characters)"
    if settings.demo:
        return "MASHBOT_DEMO is on (the demo clock belongs to the local console, never to the real page)"
    return None


def web_page_enabled(settings: Settings) -> bool:
    return web_page_problem(settings) is None


def mount_web_page(app: web.Application, service: bootstrap.Service) -> bool:
    """Add /web and the action-link pages when enabled; True when mounted."""
    problem = web_page_problem(service.settings)
    if problem is not None:
        if (service.settings.public_url or "").strip():
            log.info("the signed-in page /web is off: %s", problem)
        return False
    from adapters.web_page.routes import mount

    mount(app, service)
    log.info("the signed-in page is on at %s/web", (service.settings.public_url or "").rstrip("/"))
    return True
