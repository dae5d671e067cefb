"""A small seeded mutation fuzzer for JSON activities and form bodies.

Each case starts from something the edge really accepts and breaks one to three things in it:
a key dropped, a value swapped for one of the wrong type or size, a string made hostile, the
raw bytes truncated or re-encoded. Seeded, so a failure names the case that reproduces it."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


def deep(depth: int) -> Any:
    value: Any = "x"
    for i in range(depth):
        value = {"a": value} if i % 2 else [value]
    return value


STRINGS = ["", " ", "\x00", "\u202e\u0000<script>alert(1)</script>", "x" * 5000, "é" * 300, "CH-ABCDEF",
           "🙂" * 50, "29:1ava-teams-user-id", "../../etc/passwd", "%00", "null", "true", "1e999",
           "https://attacker.example/", "\ud800", "a:1ava-personal-chat", "-1",
           "2026-13-45T99:99:99Z", "Bearer x", "{\"a\":1}", "accept", "intake", "ava.okafor"]
VALUES: list[Any] = [None, True, False, 0, -1, 2**64, 1e308, 3.5, [], {}, [1, "a", None], {"id": None},
                     {"id": 7}, {"id": ""}, [{}] * 3, deep(40), deep(5)]


def random_value(rng: random.Random) -> Any:
    return rng.choice(STRINGS) if rng.random() < 0.5 else copy.deepcopy(rng.choice(VALUES))


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield (*prefix, key)
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield (*prefix, index)
            yield from _paths(child, (*prefix, index))


def _parent(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path[:-1]:
        value = value[step]
    return value


def mutate(value: Any, rng: random.Random) -> Any:
    """A copy of `value` (JSON) with one to three random breakages."""
    value = copy.deepcopy(value)
    for _ in range(rng.randint(1, 3)):
        paths = list(_paths(value))
        if not paths or rng.random() < 0.03:
            return random_value(rng)
        path = rng.choice(paths)
        parent = _parent(value, path)
        roll = rng.random()
        if roll < 0.3 and isinstance(parent, dict):
            del parent[path[-1]]
        elif roll < 0.4 and isinstance(parent, dict):
            parent[rng.choice(STRINGS)[:40]] = random_value(rng)
        else:
            parent[path[-1]] = random_value(rng)
    return value


@dataclass(frozen=True)
class RawCase:
    body: bytes
    content_type: str


CONTENT_TYPES = ["application/json", "application/json; charset=utf-8", "application/json; charset=latin-1",
                 "application/json; charset=utf-16", "application/json; charset=klingon", "application/json; charset=",
                 "text/plain", "", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded"]


def raw_json(value: Any, rng: random.Random, content_types: list[str] = CONTENT_TYPES) -> RawCase:
    """A JSON body, sometimes with its bytes broken or its declared charset wrong."""
    text = json.dumps(value, ensure_ascii=rng.random() < 0.5)
    body = text.encode("utf-8", "surrogatepass")
    roll = rng.random()
    if roll < 0.1:
        body = body[: rng.randint(0, len(body))]
    elif roll < 0.15:
        body = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 64)))
    elif roll < 0.2 and body:
        at = rng.randrange(len(body))
        body = body[:at] + bytes([rng.getrandbits(8)]) + body[at + 1:]
    elif roll < 0.23:
        body = b"[" * rng.choice([100, 1000, 50_000]) + body
    content_type = "application/json" if rng.random() < 0.6 else rng.choice(content_types)
    return RawCase(body, content_type)
