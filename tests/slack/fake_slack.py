"""A fake Slack Web API on 127.0.0.1 (port 0): records every call and answers like Slack.

Methods: auth.test, views.open, views.update, chat.postMessage, chat.update, chat.postEphemeral,
conversations.open, users.lookupByEmail, users.info, plus `/respond/<id>` for response_url
replies. `delay` slows every answer (`delays` one method); `fail(method, error, status,
retry_after)` makes the next call of a method fail like Slack does (429 + Retry-After for
"ratelimited"); `fail_with_body(method, status, body, content_type)` like a proxy or an
outage does: a text/plain or HTML page, or JSON cut short.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

TOKEN = "xoxb-test-token"


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    at: float


@dataclass
class Posted:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    updates: int = 0


@dataclass
class FakeSlack:
    users_by_email: dict[str, str] = field(default_factory=dict)  # email -> Slack user id
    delay: float = 0.0
    calls: list[Call] = field(default_factory=list)
    messages: dict[tuple[str, str], Posted] = field(default_factory=dict)
    responses: list[dict[str, Any]] = field(default_factory=list)
    failures: dict[str, list[tuple[str, int, float | None]]] = field(default_factory=dict)
    raw_failures: dict[str, list[tuple[int, str, str]]] = field(default_factory=dict)
    delays: dict[str, float] = field(default_factory=dict)  # method -> extra seconds before answering
    base_url: str = ""
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None

    # -- lifecycle --------------------------------------------------------------------------
    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{id}", self._respond)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return self.base_url + "/api/"

    def response_url(self, name: str = "r") -> str:
        return f"{self.base_url}/respond/{name}"

    def fail(self, method: str, error: str = "ratelimited", status: int = 429, retry_after: float | None = 1,
             times: int = 1) -> None:
        self.failures.setdefault(method, []).extend([(error, status, retry_after)] * times)

    def fail_with_body(self, method: str, status: int = 500, body: str = "Internal Server Error",
                       content_type: str = "text/plain", times: int = 1) -> None:
        self.raw_failures.setdefault(method, []).extend([(status, body, content_type)] * times)

    # -- what happened ----------------------------------------------------------------------
    def called(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def dm(self, user: str) -> list[Posted]:
        """Messages posted into the DM with `user`, oldest first."""
        return [m for m in self.messages.values() if m.channel == f"D{user}"]

    def last_card(self, user: str) -> Posted:
        return self.dm(user)[-1]

    def ephemerals(self) -> list[str]:
        return [str(r.get("text", "")) for r in self.responses]

    async def wait_for(self, check: Any, timeout: float = 5.0) -> Any:
        """Poll `check()` until it returns something truthy (or fail after `timeout`)."""
        deadline = time.monotonic() + timeout
        while True:
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {getattr(check, '__name__', check)}")
            await asyncio.sleep(0.01)

    # -- the API ------------------------------------------------------------------------------
    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        raw = await request.text()
        if raw:
            if request.content_type == "application/json":
                args.update(json.loads(raw))
            else:
                args.update(dict(parse_qsl(raw)))
        for key in ("blocks", "view"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        return args

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        self.calls.append(Call(method, args, time.monotonic()))
        if self.delay or self.delays.get(method):
            await asyncio.sleep(self.delay + self.delays.get(method, 0.0))
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response({"ok": False, "error": "not_authed"})
        if self.raw_failures.get(method):
            status, body, content_type = self.raw_failures[method].pop(0)
            return web.Response(status=status, text=body, content_type=content_type)
        if self.failures.get(method):
            error, status, retry_after = self.failures[method].pop(0)
            headers = {"Retry-After": str(int(retry_after))} if retry_after is not None else {}
            return web.json_response({"ok": False, "error": error}, status=status, headers=headers)
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        return web.json_response(handler(args))

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "team_id": "T0TEST", "user_id": "U0BOT", "bot_id": "B0BOT"}

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": {"id": f"D{args['users']}"}}

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        ts = f"1700000000.{next(self._ts):06d}"
        channel = str(args["channel"])
        self.messages[(channel, ts)] = Posted(channel, ts, str(args.get("text", "")), list(args.get("blocks") or []))
        return {"ok": True, "channel": channel, "ts": ts, "message": {"text": args.get("text", "")}}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        key = (str(args["channel"]), str(args["ts"]))
        posted = self.messages.get(key)
        if posted is None:
            return {"ok": False, "error": "message_not_found"}
        posted.text, posted.blocks = str(args.get("text", "")), list(args.get("blocks") or [])
        posted.updates += 1
        return {"ok": True, "channel": key[0], "ts": key[1]}

    def _chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        self.responses.append(args)
        return {"ok": True, "message_ts": f"1700000001.{next(self._ts):06d}"}

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "view": {"id": f"V{next(self._ts)}", **args["view"]}}

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "view": {"id": args.get("view_id"), **args["view"]}}

    def _users_lookupByEmail(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users_by_email.get(str(args.get("email", "")).lower())
        if user is None:
            return {"ok": False, "error": "users_not_found"}
        return {"ok": True, "user": {"id": user, "profile": {"email": args["email"]}}}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        email = next((e for e, u in self.users_by_email.items() if u == args.get("user")), None)
        if email is None:
            return {"ok": True, "user": {"id": args.get("user"), "profile": {"email": "stranger@example.net"}}}
        return {"ok": True, "user": {"id": args["user"], "profile": {"email": email}}}

    async def _respond(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(Call("response_url", body, time.monotonic()))
        if self.delay:
            await asyncio.sleep(self.delay)
        self.responses.append(body)
        return web.Response(text="ok")
