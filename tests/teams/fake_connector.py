"""A fake Bot Framework connector (the Teams service URL) on 127.0.0.1: records every reply,
proactive send, in-place update and new conversation, and answers member lookups."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class Posted:
    kind: str  # "reply" | "send" | "update"
    conversation: str
    activity_id: str  # the id the activity got (for an update: the one replaced)
    body: dict[str, Any]
    reply_to: str | None = None

    @property
    def card(self) -> dict[str, Any] | None:
        attachments = self.body.get("attachments") or []
        return attachments[0]["content"] if attachments else None

    @property
    def text(self) -> str:
        return str(self.body.get("text") or "")


@dataclass
class FakeConnector:
    members: dict[str, dict[str, Any]] = field(default_factory=dict)  # user id -> TeamsChannelAccount JSON
    fail: dict[str, int] = field(default_factory=dict)  # "send" | "update" | "create" -> HTTP status
    posted: list[Posted] = field(default_factory=list)
    created: list[dict[str, Any]] = field(default_factory=list)
    member_lookups: list[str] = field(default_factory=list)
    server: TestServer | None = None
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/"))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create)
        app.router.add_post("/v3/conversations/{conversation}/activities", self._send)
        app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", self._reply)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self._update)
        app.router.add_get("/v3/conversations/{conversation}/members/{member}", self._member)
        return app

    async def start(self) -> None:
        self.server = TestServer(self.app(), host="127.0.0.1", port=0)
        await self.server.start_server()

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()

    def _refuse(self, kind: str) -> web.Response | None:
        status = self.fail.get(kind)
        if status is None:
            return None
        headers = {"Retry-After": "7"} if status == 429 else None
        return web.json_response({"error": {"code": "Refused", "message": f"fake {status}"}}, status=status,
                                 headers=headers)

    def _new_id(self) -> str:
        return f"1:act-{next(self._ids)}"

    async def _send(self, request: web.Request) -> web.Response:
        if refused := self._refuse("send"):
            return refused
        new_id = self._new_id()
        self.posted.append(Posted("send", request.match_info["conversation"], new_id, await request.json()))
        return web.json_response({"id": new_id}, status=201)

    async def _reply(self, request: web.Request) -> web.Response:
        new_id = self._new_id()
        self.posted.append(Posted("reply", request.match_info["conversation"], new_id, await request.json(),
                                  reply_to=request.match_info["activity"]))
        return web.json_response({"id": new_id}, status=201)

    async def _update(self, request: web.Request) -> web.Response:
        if refused := self._refuse("update"):
            return refused
        activity_id = request.match_info["activity"]
        self.posted.append(Posted("update", request.match_info["conversation"], activity_id, await request.json()))
        return web.json_response({"id": activity_id})

    async def _create(self, request: web.Request) -> web.Response:
        if refused := self._refuse("create"):
            return refused
        body = await request.json()
        self.created.append(body)
        return web.json_response({"id": f"a:created-{len(self.created)}"}, status=201)

    async def _member(self, request: web.Request) -> web.Response:
        member = request.match_info["member"]
        self.member_lookups.append(member)
        if member not in self.members:
            return web.json_response({"error": {"code": "NotFound", "message": "no such member"}}, status=404)
        return web.json_response(self.members[member])

    # -- reading what was posted ------------------------------------------------------------------
    def to(self, conversation: str, kind: str | None = None) -> list[Posted]:
        return [p for p in self.posted if p.conversation == conversation and (kind is None or p.kind == kind)]

    def last_card(self, conversation: str) -> dict[str, Any]:
        cards = [p.card for p in self.to(conversation) if p.card is not None]
        assert cards, f"no card was posted to {conversation}"
        return cards[-1]

    def clear(self) -> None:
        self.posted.clear()
