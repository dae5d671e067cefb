"""A body that is not a usable activity gets 400 with a reason — never a 500 — and never
replaces where mashbot reaches the person it names (their stored conversation reference)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.teams.support import AVA, Teams, message


def _without(*keys: str) -> Callable[[dict[str, Any]], Any]:
    def change(activity: dict[str, Any]) -> Any:
        for key in keys:
            activity.pop(key, None)
        return activity
    return change


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], Any]:
    def change(activity: dict[str, Any]) -> Any:
        *parents, last = path.split(".")
        target = activity
        for key in parents:
            target = target[key]
        target[last] = value
        return activity
    return change


def _nested(depth: int) -> Callable[[dict[str, Any]], Any]:
    def change(activity: dict[str, Any]) -> Any:
        deep: Any = "x"
        for _ in range(depth):
            deep = {"a": deep}
        activity["channelData"] = {"tenant": activity["channelData"]["tenant"], "deep": deep}
        return activity
    return change


SHAPES = {
    "no conversation": (_without("conversation"), "conversation.id"),
    "empty conversation id": (_set("conversation.id", ""), "conversation.id"),
    "conversation id not text": (_set("conversation.id", 7), "conversation.id"),
    "no from": (_without("from"), "from.id"),
    "from not an object": (_set("from", "29:someone"), "from.id"),
    "empty from id": (_set("from.id", "  "), "from.id"),
    "no serviceUrl": (_without("serviceUrl"), "serviceUrl"),
    "serviceUrl not a URL": (_set("serviceUrl", "javascript:alert(1)"), "serviceUrl"),
    "no type": (_without("type"), "type"),
    "a list, not an object": (lambda a: [a], "JSON object"),
    "a string": (lambda a: "message", "JSON object"),
    "null": (lambda a: None, "JSON object"),
    "deeply nested": (_nested(60), "nested"),
    "timestamp of the wrong type": (_set("timestamp", {"when": "now"}), "wrong type"),
}


@pytest.fixture
async def reference_kept(teams: Teams) -> Callable[[], Any]:
    """Ava's stored reference before the test; the returned check says it is unchanged."""
    await teams.install(AVA)
    before = await _stored(teams)
    assert before is not None

    async def unchanged() -> None:
        assert await _stored(teams) == before
    return unchanged


async def _stored(teams: Teams) -> str | None:
    async with teams.service.database.uow(read_only=True) as uow:
        return await uow.conversations.get("ava.okafor", "teams")


@pytest.mark.parametrize("shape", list(SHAPES))
async def test_a_malformed_activity_is_400_and_keeps_the_stored_reference(
        teams: Teams, reference_kept: Callable[[], Any], shape: str) -> None:
    change, reason = SHAPES[shape]
    body = change(message(AVA, teams.url, "challenges"))
    response = await teams.client.post("/api/messages", data=json.dumps(body),
                                       headers={"Content-Type": "application/json"})
    assert response.status == 400
    assert reason in (await response.json())["error"]
    await reference_kept()
    assert teams.connector.posted == []


@pytest.mark.parametrize(("raw", "content_type", "reason"), [
    (b"[" * 100_000, "application/json", "not JSON"),
    (b'{"type": "message", "text": "\xff\xfe"}', "application/json; charset=utf-8", "not valid utf-8"),
    (b'{"type": "message"}', "application/json; charset=no-such-charset", "unknown charset"),
    (b'{"type": "message"', "application/json", "not JSON"),
    (b"", "application/json", "not JSON"),
])
async def test_an_unreadable_body_is_400_and_keeps_the_stored_reference(
        teams: Teams, reference_kept: Callable[[], Any], raw: bytes, content_type: str, reason: str) -> None:
    response = await teams.client.post("/api/messages", data=raw, headers={"Content-Type": content_type})
    assert response.status == 400
    assert reason in (await response.json())["error"]
    await reference_kept()


async def test_the_same_activity_well_formed_is_answered(teams: Teams, reference_kept: Callable[[], Any]) -> None:
    """The control: the shapes above differ from a good activity only in what they break."""
    response = await teams.post(message(AVA, teams.url, "help"))
    assert response.status == 201
    assert teams.connector.to(AVA.conversation)
    await reference_kept()
