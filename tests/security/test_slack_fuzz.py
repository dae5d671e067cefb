"""A bounded, seeded fuzz of POST /slack/events through the real HTTP edge on loopback:
thousands of correctly signed bodies — slash commands, button presses, view submissions,
events; form-encoded and JSON; with fields dropped, retyped, cut short, nested deep — and
a few unsigned ones. Whatever comes in, mashbot answers below 500 and logs no traceback.

MASHBOT_FUZZ_SEED and MASHBOT_FUZZ_COUNT change the run (a failure prints its seed).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import random
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest

from adapters.slack.channel import SLACK
from tests.slack import conftest as slack_fixtures
from tests.slack.conftest import AVA, GWEN, INTAKE, SIGNING_SECRET, TARA, Workspace, idle_after, raise_challenge, state_of

# The Slack channel tests' fixtures: no proxy variables, the fake Web API, mashbot on loopback.
clean_env = slack_fixtures.clean_env
fake = slack_fixtures.fake
db_url = slack_fixtures.db_url
workspace = slack_fixtures.workspace

SEED = int(os.environ.get("MASHBOT_FUZZ_SEED", "11"))
COUNT = int(os.environ.get("MASHBOT_FUZZ_COUNT", "2000"))
AT_ONCE = 16
USERS = (TARA, AVA, GWEN, "U0STRANGER", "", "U" + "9" * 70)
TEXTS = ("", "help", "list", "status", "status CH-AAAAAA", "status ' OR 1=1 --", "wat", "é" * 50, "\x00\n\t",
         "list " * 400)


def junk(rng: random.Random, depth: int = 0) -> Any:
    """A value of any JSON type, sometimes deeply nested, sometimes huge."""
    pick = rng.randrange(12)
    if pick == 0:
        return None
    if pick == 1:
        return rng.choice([True, False])
    if pick == 2:
        return rng.randint(-2**63, 2**63)
    if pick == 3:
        return rng.random() * 1e308
    if pick == 4:
        return "x" * rng.choice([0, 1, 3001, 20_000])
    if pick == 5:
        return "".join(chr(rng.randrange(0x20, 0x2FFF)) for _ in range(rng.randrange(1, 40)))
    if pick == 6 and depth < 3:
        return [junk(rng, depth + 1) for _ in range(rng.randrange(4))]
    if pick == 7 and depth < 3:
        return {rng.choice(["id", "type", "value", "values", "user", "0"]): junk(rng, depth + 1)
                for _ in range(rng.randrange(4))}
    if pick == 8:
        nested: Any = 1
        for _ in range(rng.choice([50, 500])):
            nested = [nested] if rng.random() < 0.5 else {"a": nested}
        return nested
    return rng.choice(["mashbot:accept", "mashbot_intake", "mashbot_action", "V1", TARA, "{", "null", ""])


def mutate(rng: random.Random, value: Any, depth: int = 0) -> Any:
    """`value` with one field somewhere dropped, retyped or replaced."""
    if isinstance(value, dict) and value and depth < 6:
        key = rng.choice(list(value))
        copy = dict(value)
        roll = rng.random()
        if roll < 0.25:
            del copy[key]
        elif roll < 0.55:
            copy[key] = junk(rng)
        else:
            copy[key] = mutate(rng, copy[key], depth + 1)
        return copy
    if isinstance(value, list) and value and depth < 6:
        copy = list(value)
        index = rng.randrange(len(copy))
        copy[index] = mutate(rng, copy[index], depth + 1) if rng.random() < 0.7 else junk(rng)
        return copy
    return junk(rng)


class Bodies:
    """Slack-shaped bodies, most of them mangled, from one seeded generator."""

    def __init__(self, rng: random.Random, ws: Workspace, card: Any, intake_view: dict[str, Any]) -> None:
        self.rng, self.ws, self.card, self.intake_view = rng, ws, card, intake_view
        self.n = 0

    def _response_url(self) -> str:
        # Only loopback (the fake) or strings that are no URL at all: nothing leaves the machine.
        return self.rng.choice([self.ws.fake.response_url(str(self.n)), "http://127.0.0.1:9/closed",
                                "not a url", "", "http://[::1"])

    def command(self) -> dict[str, Any]:
        return {"token": "legacy", "team_id": "T0TEST", "channel_id": "D1", "user_id": self.rng.choice(USERS),
                "command": self.rng.choice(["/challenge"] * 5 + ["/other", ""]), "text": self.rng.choice(TEXTS),
                "response_url": self._response_url(), "trigger_id": f"trigger-{self.n}"}

    def press(self) -> dict[str, Any]:
        button = next(e for b in self.card.blocks if b.get("type") == "actions" for e in b["elements"])
        return {"type": "block_actions", "user": {"id": self.rng.choice(USERS), "team_id": "T0TEST"},
                "team": {"id": "T0TEST"}, "api_app_id": "A0TEST", "trigger_id": f"trigger-{self.n}",
                "response_url": self._response_url(),
                "container": {"type": "message", "channel_id": self.card.channel, "message_ts": self.card.ts},
                "channel": {"id": self.card.channel}, "message": {"ts": self.card.ts},
                "actions": [{"type": "button", "action_id": button["action_id"], "block_id": "b",
                             "value": self.rng.choice([button["value"], button["value"][:-3] + "abc", ""]),
                             "action_ts": f"{time.time():.6f}"}]}

    def submission(self) -> dict[str, Any]:
        values = {**INTAKE, "area": self.rng.choice(["East", "Nowhere", ""])}
        if self.rng.random() < 0.5:
            values[self.rng.choice(list(values))] = self.rng.choice(["", "LCS1", "Jane Doe 01/02/2015", "x" * 4000])
        view = self.intake_view
        callback = self.rng.choice([view["callback_id"], view["callback_id"], "mashbot_action"])
        return {"type": "view_submission", "user": {"id": self.rng.choice(USERS), "team_id": "T0TEST"},
                "team": {"id": "T0TEST"}, "api_app_id": "A0TEST", "trigger_id": f"trigger-{self.n}",
                "view": {"id": f"V{self.n}", "type": "modal", "callback_id": callback,
                         "private_metadata": self.rng.choice(["", "abc.def", "x" * 3000]),
                         "blocks": view["blocks"], "state": {"values": state_of(view, values)}}}

    def event(self) -> dict[str, Any]:
        return self.rng.choice([
            {"type": "url_verification", "token": "t", "challenge": "c" * self.rng.randrange(1, 80)},
            {"type": "event_callback", "team_id": "T0TEST", "api_app_id": "A0TEST",
             "event": {"type": "message", "user": TARA, "text": "hi", "channel": "D1"}},
            {"type": "view_closed", "user": {"id": TARA}, "view": {"id": "V1"}},
            {"type": "shortcut", "callback_id": "x", "user": {"id": TARA}},
        ])

    def next(self) -> tuple[bytes, str]:
        """(body, content type) of the next request."""
        self.n += 1
        rng = self.rng
        make: Callable[[], dict[str, Any]] = rng.choice([self.command, self.press, self.press, self.submission,
                                                         self.submission, self.event])
        value: Any = make()
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            value = mutate(rng, value)
        roll = rng.random()
        if make is self.command and isinstance(value, dict) and roll < 0.7:
            text = urlencode({str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()})
            return text.encode(), "application/x-www-form-urlencoded"
        encoded = json.dumps(value, ensure_ascii=rng.random() < 0.5)
        if rng.random() < 0.1:
            encoded = encoded[:rng.randrange(len(encoded) + 1)]  # cut short
        if roll < 0.6 and make is not self.event:
            return urlencode({"payload": encoded}).encode(), "application/x-www-form-urlencoded"
        if roll < 0.9:
            return encoded.encode(), rng.choice(["application/json", "application/json; charset=utf-8"])
        raw = encoded.encode()
        if rng.random() < 0.5:
            raw = raw[:10] + bytes([rng.randrange(0x80, 0x100)]) + raw[10:]  # not UTF-8
        return raw, rng.choice(["text/plain", "application/json; charset=latin-1", "multipart/form-data", ""])


def signed(body: bytes, ts: str) -> str:
    base = b"v0:" + ts.encode() + b":" + body
    return "v0=" + hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()


async def send(ws: Workspace, body: bytes, content_type: str, sign: bool) -> int:
    ts = str(int(time.time()))
    headers = {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signed(body, ts) if sign else "v0=00"}
    if content_type:
        headers["Content-Type"] = content_type
    response = await ws.client.post("/slack/events", data=body, headers=headers)
    await response.read()
    return response.status


async def test_thousands_of_mangled_signed_slack_bodies_get_no_5xx_and_no_traceback(
        workspace: Workspace, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    await raise_challenge(workspace)
    await idle_after(workspace)
    card = workspace.fake.last_card(AVA)
    intake_view = workspace.opened_view(0)
    rng = random.Random(SEED)
    bodies = Bodies(rng, workspace, card, intake_view)
    statuses: dict[int, int] = {}
    started = time.perf_counter()
    for start in range(0, COUNT, AT_ONCE):
        batch = [bodies.next() for _ in range(min(AT_ONCE, COUNT - start))]
        for status in await asyncio.gather(*(send(workspace, b, ct, rng.random() > 0.02) for b, ct in batch)):
            statuses[status] = statuses.get(status, 0) + 1
    await workspace.client.app[SLACK].tasks.drain(timeout=30)
    took = time.perf_counter() - started
    print(f"slack fuzz, seed {SEED}: {COUNT} requests in {took:.1f}s, statuses {dict(sorted(statuses.items()))}")
    assert not {s: n for s, n in statuses.items() if s >= 500}, (SEED, statuses)
    problems = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR or "Traceback" in r.getMessage()]
    assert not problems, (SEED, [(r.name, r.getMessage()) for r in problems[:5]])
    assert statuses.get(200, 0) > COUNT // 10 and statuses.get(400, 0) > COUNT // 10, statuses  # both kinds ran
