"""What every /web page shares: templates, security headers, the CSRF cookie, the session."""

from __future__ import annotations

import ipaddress
import logging
import secrets
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from jinja2 import Environment, StrictUndefined, select_autoescape

from adapters import bootstrap, pages
from adapters.console.guard import MAX_STATIC_NAME, BadInput
from adapters.dispatcher import Sender
from adapters.web_page import tokens
from bot.calendar import calendar_of
from bot.roster import Person, Roster
from dialogs.intake import TOGGLE_ON
from storage import web_access

log = logging.getLogger("mashbot.web")

HERE = Path(__file__).resolve().parent
STATIC_PREFIX = "/web/static"
SESSION_COOKIE = "__Host-mashbot_session"
CSRF_COOKIE = "__Host-mashbot_csrf"
# Who last signed in on this browser (signed, kept a year, outliving the session): a link
# forwarded to a colleague is refused in their browser even when they are signed out.
KNOWN_COOKIE = "__Host-mashbot_known"
KNOWN_FOR = timedelta(days=365)
IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=8)
SIGN_IN_LIFETIME = timedelta(minutes=15)

SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'none'"),
    "Strict-Transport-Security": "max-age=31536000",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # a link's token must never travel in a Referer header
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


class Limiter:
    """At most `limit` events per key in a sliding `window` (this replica's memory)."""

    def __init__(self, limit: int, window: timedelta) -> None:
        self.limit, self.window = limit, window
        self._seen: dict[str, deque[datetime]] = {}

    def allow(self, key: str, now: datetime) -> bool:
        seen = self._seen.setdefault(key, deque())
        while seen and seen[0] <= now - self.window:
            seen.popleft()
        if len(self._seen) > 10_000:  # forget idle keys so memory stays bounded
            self._seen = {k: v for k, v in self._seen.items() if v}
            seen = self._seen.setdefault(key, seen)
        if len(seen) >= self.limit:
            return False
        seen.append(now)
        return True


@dataclass
class WebPage:
    service: bootstrap.Service
    templates: Environment
    secret: bytes
    base_url: str
    mail: Sender | None
    per_address: Limiter = field(default_factory=lambda: Limiter(3, SIGN_IN_LIFETIME))
    per_client: Limiter = field(default_factory=lambda: Limiter(20, SIGN_IN_LIFETIME))
    tasks: set[Any] = field(default_factory=set)

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc


WEB_PAGE = web.AppKey("web_page", WebPage)


def templates() -> Environment:
    env = Environment(loader=pages.loader("adapters.web_page"), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals.update(static=STATIC_PREFIX, TOGGLE_ON=TOGGLE_ON)
    return env


def page_of(request: web.Request) -> WebPage:
    return request.app[WEB_PAGE]


@dataclass(frozen=True)
class Visitor:
    """Who is asking: the signed-in person (if any) and the browser's CSRF anchor."""

    person: Person | None
    session_hash: str | None
    csrf_anchor: str
    new_anchor: bool
    roster: Roster
    known: Person | None = None  # who last signed in on this browser

    @property
    def browser_person(self) -> Person | None:
        """The person this browser belongs to, as far as mashbot knows."""
        return self.person or self.known


async def visitor(request: web.Request) -> Visitor:
    page = page_of(request)
    now = page.service.now()
    raw = request.cookies.get(SESSION_COOKIE, "")
    person, session_hash = None, None
    signed_in = bool(raw) and len(raw) < 200
    async with page.service.database.uow(read_only=not signed_in) as uow:  # only a session is touched
        roster = await uow.people.roster()
        if signed_in:
            session_hash = tokens.digest(raw)
            stored = await web_access.live_session(uow.session, session_hash, now=now, idle=IDLE)
            await uow.commit()
            person = roster.get(stored.person_id) if stored is not None else None
            if person is None:
                session_hash = None
    anchor = request.cookies.get(CSRF_COOKIE, "")
    fresh = not (20 <= len(anchor) <= 100 and anchor.isascii())
    if fresh:
        anchor = secrets.token_urlsafe(24)
    known = roster.get(tokens.read_known(page.secret, request.cookies.get(KNOWN_COOKIE, "")))
    return Visitor(person, session_hash, anchor, fresh, roster, known)


def remember(response: web.StreamResponse, secret: bytes, person_id: str) -> None:
    response.set_cookie(KNOWN_COOKIE, tokens.known_value(secret, person_id), secure=True, httponly=True,
                        samesite="Lax", path="/", max_age=int(KNOWN_FOR.total_seconds()))


def csrf_for(request: web.Request, who: Visitor, scope: str) -> str:
    return tokens.csrf_value(page_of(request).secret, who.csrf_anchor, scope)


def csrf_ok(request: web.Request, who: Visitor, scope: str, given: object) -> bool:
    return (not who.new_anchor and isinstance(given, str)
            and tokens.csrf_matches(page_of(request).secret, who.csrf_anchor, scope, given))


def same_site(request: web.Request) -> bool:
    """A form post from our own pages. Browsers say so in Sec-Fetch-Site; with our
    no-referrer policy their Origin is then "null", so Origin is read only without it."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return origin != "null" and urlsplit(origin).netloc in (page_of(request).host, request.host)


def client_of(request: web.Request) -> str:
    """Who is asking, for the per-client limit. Behind the council's reverse proxy (a loopback
    or private peer) every request comes from the proxy, so the address it appended last to
    X-Forwarded-For is the client; a direct caller's own header is not believed."""
    peer = request.remote or ""
    try:
        proxied = ipaddress.ip_address(peer).is_private or ipaddress.ip_address(peer).is_loopback
    except ValueError:
        proxied = False
    forwarded = request.headers.get("X-Forwarded-For", "")
    if proxied and forwarded:
        return forwarded.split(",")[-1].strip()[:60] or peer
    return peer


def when(service: bootstrap.Service, at: datetime) -> str:
    return calendar_of(service.policy).describe_with_year(at)


def render(request: web.Request, who: Visitor, template: str, status: int = 200, **context: Any) -> web.Response:
    page = page_of(request)
    html = page.templates.get_template(template).render(
        person=who.person, policy=page.service.policy, path=request.path,
        sign_out_csrf=csrf_for(request, who, "sign-out") if who.person else "", **context)
    response = web.Response(text=html, content_type="text/html", status=status, headers=SECURITY_HEADERS)
    if who.new_anchor:
        # Lax, not Strict: a link opened from webmail (a cross-site GET) keeps the anchor, so a second
        # tab of link pages does not invalidate the first; a cross-site POST still never carries it.
        response.set_cookie(CSRF_COOKIE, who.csrf_anchor, secure=True, httponly=True, samesite="Lax", path="/")
    return response


def message_page(request: web.Request, who: Visitor, status: int, title: str, text: str,
                 **context: Any) -> web.Response:
    return render(request, who, "message.html", status, title=title, text=text, **context)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def guard_middleware(resources: frozenset[object]) -> Callable[..., Awaitable[web.StreamResponse]]:
    """Bad input on /web's own routes is a readable 400 page, never a traceback."""

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        route = request.match_info.route
        if route.resource is None or route.resource not in resources:
            return await handler(request)
        if len(request.match_info.get("filename", "").encode()) > MAX_STATIC_NAME:  # the OS refuses long names (bytes)
            return web.Response(status=404, text="No such file.", content_type="text/plain", headers=SECURITY_HEADERS)
        try:
            return await handler(request)
        except BadInput as exc:
            return web.Response(status=400, text=str(exc), content_type="text/plain", headers=SECURITY_HEADERS)

    return guard
