"""What stands in front of every console route: loopback only, and readable 4xx for bad input.

The console has no sign-in (a cookie names the person acting), so besides binding loopback
(checked at start-up) each request must name this machine in its Host header — a page on
another site that re-points its DNS name at 127.0.0.1 (DNS rebinding) sends its own name — and
must not carry a reverse proxy's headers. A body or cookie mashbot cannot read is the
sender's 400 with a sentence saying what to fix, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import json
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from multidict import MultiDict, MultiDictProxy

from adapters.local_modes import host_is_loopback, proxy_header

FLASH_COOKIE = "mashbot_console_flash"
MAX_FIELD = 20_000  # characters; far above any form's own limit (the longest is 1000)
MAX_FIELDS = 100
MAX_FLASH = 3_000  # characters of cookie: five short messages
MAX_STATIC_NAME = 200

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class BadInput(ValueError):
    """A request the console cannot read; the message tells the sender what to fix."""

    def __init__(self, message: str, *, clear_flash: bool = False) -> None:
        super().__init__(message)
        self.clear_flash = clear_flash


def _refuse(status: int, text: str, headers: dict[str, str]) -> web.Response:
    return web.Response(status=status, text=text, content_type="text/plain", headers=headers)


def guard_middleware(resources: frozenset[object], headers: dict[str, str]) -> Callable[..., Awaitable[
        web.StreamResponse]]:
    """A middleware acting on the console's own routes only (`resources`)."""

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        route = request.match_info.route
        if route.resource is None or route.resource not in resources:
            return await handler(request)
        if not host_is_loopback(request.headers.get("Host")):
            return _refuse(403, "The console answers only to http://127.0.0.1 or http://localhost "
                                "(this request named another host).", headers)
        proxied = proxy_header(request.headers)
        if proxied is not None:
            return _refuse(403, f"The console is for this machine only; a request through a proxy "
                                f"({proxied} header) is refused.", headers)
        if len(request.match_info.get("filename", "")) > MAX_STATIC_NAME:
            return _refuse(404, "No such file.", headers)
        try:
            return await handler(request)
        except BadInput as exc:
            response = _refuse(400, str(exc), headers)
            if exc.clear_flash:
                response.del_cookie(FLASH_COOKIE, path="/")
            return response

    return guard


async def read_form(request: web.Request) -> MultiDictProxy[str]:
    """The posted form as text fields; BadInput for a body that is not a readable form."""
    charset = request.charset or "utf-8"
    try:
        codecs.lookup(charset)
    except LookupError:
        raise BadInput(f"The form names a character set mashbot does not know ({charset[:40]!r}); "
                       "send it as UTF-8.") from None
    try:
        posted = await request.post()
    except UnicodeDecodeError:
        raise BadInput(f"The form is not valid {charset} text; send it as UTF-8.") from None
    except LookupError:
        raise BadInput("A part of the form names a character set mashbot does not know; send it as UTF-8.") from None
    except (ValueError, AssertionError, HttpProcessingError):
        raise BadInput("The form could not be read (a broken or incomplete body); reload the page and "
                       "send it again.") from None
    if len(posted) > MAX_FIELDS:
        raise BadInput(f"The form has too many fields ({len(posted)}; at most {MAX_FIELDS}).")
    fields: MultiDict[str] = MultiDict()
    for key, value in posted.items():
        if not isinstance(value, str):
            raise BadInput("The console takes no file uploads; send the form without files.")
        if len(value) > MAX_FIELD or len(key) > 100:
            raise BadInput(f"The field {key[:40]!r} is too long (at most {MAX_FIELD} characters).")
        fields.add(key, value)
    return MultiDictProxy(fields)


def encode_flash(messages: Sequence[tuple[str, str]]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(messages)).encode()).decode()


def decode_flash(raw: str | None) -> list[tuple[str, str]]:
    """The messages of a flash cookie; BadInput (which clears it) when it is not one we set."""
    if not raw:
        return []
    unreadable = BadInput("Your browser sent a console message cookie mashbot cannot read; it has been "
                          "cleared, reload the page.", clear_flash=True)
    if len(raw) > MAX_FLASH:
        raise unreadable
    try:
        data = json.loads(base64.urlsafe_b64decode(raw.encode()))
    except (ValueError, TypeError, binascii.Error, RecursionError):
        raise unreadable from None
    if not isinstance(data, list) or not all(
            isinstance(item, list) and len(item) == 2 and all(isinstance(part, str) for part in item)
            for item in data):
        raise unreadable
    return [(level, text) for level, text in data][:5]
