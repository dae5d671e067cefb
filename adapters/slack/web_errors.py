"""Reading a failed Slack Web API call, whatever came back.

slack_sdk raises SlackApiError for every failure, but what `exc.response` holds varies: a
SlackResponse whose `data` is a dict (Slack's JSON), a str (a text/plain 500 from a proxy)
or an empty dict (an HTML page), or — when the body was JSON cut short — aiohttp's own
response object, with no `.get` and no `.status_code`. Read them all defensively here.
And a 200 whose body is text/plain makes slack_sdk itself raise AttributeError (it calls
`.get` on the str): `WebClient` turns that into the SlackApiError it should have been.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

# What a Web API call can raise when Slack (or the way to it) fails.
FAILURES: tuple[type[Exception], ...] = (SlackApiError, aiohttp.ClientError, TimeoutError)


def status_of(exc: Exception) -> int | None:
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    if status is None:
        status = getattr(response, "status", None)
    return status if isinstance(status, int) else None


def error_of(exc: Exception) -> str:
    """Slack's error code ("ratelimited", "users_not_found"…), else "HTTP <status>", else the type."""
    data = getattr(getattr(exc, "response", None), "data", None)
    if isinstance(data, dict) and isinstance(data.get("error"), str) and data["error"]:
        return str(data["error"])
    status = status_of(exc)
    if status is not None:
        return f"HTTP {status}"
    return type(exc).__name__


def retry_after_of(exc: Exception) -> float | None:
    """Seconds Slack asked to wait (a 429's Retry-After), if it said."""
    headers: Any = getattr(getattr(exc, "response", None), "headers", None) or {}
    try:
        raw = headers.get("Retry-After") or headers.get("retry-after")
        return float(raw) if raw is not None else None
    except (AttributeError, TypeError, ValueError):
        return None


@dataclass
class _Unreadable:
    """Stands in for the response slack_sdk could not read (a 200 that is not JSON)."""

    status_code: int = 200
    data: str = ""
    headers: dict[str, str] = field(default_factory=dict)


class WebClient(AsyncWebClient):
    """AsyncWebClient whose every failure is a SlackApiError (or a connection error)."""

    async def api_call(self, *args: Any, **kwargs: Any) -> AsyncSlackResponse:
        try:
            return await super().api_call(*args, **kwargs)
        except AttributeError:
            # slack_sdk validates a 200 by calling .get on its body, which fails for a str body.
            raise SlackApiError("Slack answered 200 with a body that is not JSON", _Unreadable()) from None
