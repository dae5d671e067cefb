"""Fuzz of the console's forms through the real HTTP edge (demo mode, loopback): thousands
of broken posts, paths, queries and cookies on every route, and not one 5xx or traceback.
Bounded and seeded (MASHBOT_FUZZ_SEED picks another run)."""

from __future__ import annotations

import base64
import json
import logging
import os
import random
import time
from urllib.parse import quote, urlencode

import pytest

from bot.buttons import Verb
from tests.console import conftest as console_fixtures
from tests.console.conftest import GOOD_INTAKE, Console
from tests.security.fuzz import STRINGS, mutate

# The console tests' fixtures (demo mode on loopback, the demo roster), used here as they are.
clean_env, console, db_url = console_fixtures.clean_env, console_fixtures.console, console_fixtures.db_url
CASES = 2000
SEED = int(os.environ.get("MASHBOT_FUZZ_SEED", "11"))
PEOPLE = ["tara.nolan", "ava.okafor", "ben.hartley", "ellen.marsh", "farid.khan", "nobody", ""]
FIELDS = ["person", "next", "version", "step", "reason", "outcome", "note", "delegate_to", "lesson",
          *GOOD_INTAKE, "urgent", "urgent_reason", "protective_action", "cp_or_looked_after"]
ENCODINGS = ["", "; charset=utf-8", "; charset=latin-1", "; charset=utf-16", "; charset=klingon", "; charset="]


def _q(text: str, safe: str = "/") -> str:
    return quote(text.encode("utf-8", "surrogatepass"), safe=safe)


def _value(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.4:
        return rng.choice(STRINGS)
    if roll < 0.6:
        return str(rng.randint(-5, 40))
    if roll < 0.8:
        return rng.choice([*GOOD_INTAKE.values(), "week", "day", "hour", "/", "//evil.example", *PEOPLE])
    return "".join(chr(rng.randint(0, 0x2FF)) for _ in range(rng.randint(0, 30)))


def _form(rng: random.Random) -> dict[str, str]:
    base: dict[str, object] = dict(GOOD_INTAKE) if rng.random() < 0.4 else {}
    if base and rng.random() < 0.5:
        broken = mutate(base, rng)
        base = broken if isinstance(broken, dict) else {}
    for _ in range(rng.randint(0, 6)):
        base[rng.choice(FIELDS) if rng.random() < 0.85 else rng.choice(STRINGS)[:30]] = _value(rng)
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in base.items()}


def _body(form: dict[str, str], rng: random.Random) -> tuple[bytes, str]:
    encoding = rng.choice(ENCODINGS) if rng.random() < 0.3 else ""
    if rng.random() < 0.15:
        boundary = "b0und"
        parts = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{_q(k)}"\r\n\r\n'.encode()
                         + v.encode("utf-8", "surrogatepass") + b"\r\n" for k, v in form.items())
        body = parts + f"--{boundary}--\r\n".encode()
        if rng.random() < 0.5:
            body = body[: rng.randint(0, len(body))]
        return body, f"multipart/form-data; boundary={boundary}"
    body = urlencode(form, encoding="utf-8", errors="surrogatepass").encode()
    roll = rng.random()
    if roll < 0.1:
        body += b"&x=\xff\xfe"
    elif roll < 0.15:
        body = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 80)))
    return body, "application/x-www-form-urlencoded" + encoding


def _cookies(rng: random.Random) -> dict[str, str]:
    cookies: dict[str, str] = {}
    if rng.random() < 0.7:
        cookies["mashbot_console_as"] = rng.choice(PEOPLE) if rng.random() < 0.8 else _value(rng)[:100]
    if rng.random() < 0.15:
        junk = rng.choice([b"[[\"info\",\"hi\"]]", b"[" * 500, b"{}", bytes(rng.getrandbits(8) for _ in range(40))])
        cookies["mashbot_console_flash"] = base64.urlsafe_b64encode(junk).decode()
    return {k: v for k, v in cookies.items() if v.isprintable() and ";" not in v and v.isascii()}


def _path(rng: random.Random, references: list[str]) -> tuple[str, str]:
    reference = rng.choice(references) if rng.random() < 0.7 else _q(_value(rng)[:60] or "x", safe="")
    verb = rng.choice(list(Verb)).value if rng.random() < 0.8 else _q(_value(rng)[:40] or "x", safe="")
    return rng.choice([
        ("POST", "/act-as"), ("POST", "/raise"), ("POST", "/clock"), ("GET", "/"), ("GET", "/raise"),
        ("GET", "/challenges"), ("GET", f"/challenges/{reference}"), ("POST", f"/challenges/{reference}/{verb}"),
        ("POST", f"/challenges/{reference}/{verb}"), ("POST", f"/challenges/{reference}/{verb}"),
        ("GET", f"/digest?for={_q(rng.choice(PEOPLE + [_value(rng)[:30]]))}"),
        ("GET", f"/console/static/{_q(_value(rng)[:300] or 'x')}"),
    ])


@pytest.mark.filterwarnings("ignore::aiohttp.multipart.BadContentDispositionHeader")  # aiohttp's own notice
async def test_thousands_of_broken_console_requests_get_no_5xx_and_log_no_traceback(
        console: Console, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    await console.act_as("tara.nolan")
    references = [await console.raise_challenge(), await console.raise_challenge(urgent="yes",
                                                                               urgent_reason="Missing tonight",
                                                                               protective_action="Police told")]
    console.client.session.cookie_jar.clear()
    rng = random.Random(SEED)
    statuses: dict[int, int] = {}
    started = time.monotonic()
    for case in range(CASES):
        method, path = _path(rng, references)
        form = _form(rng)
        if path.startswith("/challenges/") and method == "POST" and rng.random() < 0.6:
            form["version"] = str((await console.challenge(references[0])).version if rng.random() < 0.7
                                  else rng.randint(0, 9))
        if path == "/clock" and rng.random() < 0.8:
            form["step"] = "hour"  # keep the clock near the pinned day; weeks ahead now and then
        body, content_type = _body(form, rng) if method == "POST" else (b"", "")
        headers = {"Content-Type": content_type} if content_type else {}
        console.client.session.cookie_jar.clear()
        response = await console.client.request(method, path, data=body or None, headers=headers,
                                                cookies=_cookies(rng), allow_redirects=False)
        text = await response.read()
        statuses[response.status] = statuses.get(response.status, 0) + 1
        assert response.status < 500, (SEED, case, method, path, content_type, body[:300], text[:300])
    problems = [f"{r.name}: {r.getMessage()}" for r in caplog.records
                if r.exc_info or "Traceback" in r.getMessage() or r.levelno >= logging.ERROR]
    assert not problems, problems[:5]
    assert statuses.get(400, 0) > CASES // 20 and statuses.get(303, 0) > CASES // 20
    print(f"console fuzz: {CASES} requests, seed {SEED}, {time.monotonic() - started:.1f}s, statuses {statuses}")
