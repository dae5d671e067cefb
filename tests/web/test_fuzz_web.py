"""Hundreds of broken requests to /web and the link pages over https: never a 5xx, never a
traceback in the log, and nothing acted on without the page's own CSRF value."""

from __future__ import annotations

import logging
import os
import random

import pytest

from bot.buttons import Verb
from tests.security.test_fuzz_console import _body, _form, _q, _value
from tests.web.conftest import Served, csrf_of, raise_as, sign_in

CASES = 400
SEED = int(os.environ.get("MASHBOT_FUZZ_SEED", "23"))


def _path(rng: random.Random, reference: str, links: list[str]) -> tuple[str, str]:
    token = rng.choice(links).rsplit("/", 1)[1] if links else "x"
    broken = token[: rng.randint(0, len(token))] + (_q(_value(rng)[:40], safe="") if rng.random() < 0.5 else "")
    verb = rng.choice(list(Verb)).value if rng.random() < 0.8 else _q(_value(rng)[:40] or "x", safe="")
    return rng.choice([
        ("GET", "/web"), ("POST", "/web/sign-in"), ("POST", "/web/sign-out"), ("GET", "/web/raise"),
        ("POST", "/web/raise"), ("GET", f"/web/challenges/{reference}"), ("POST", f"/web/challenges/{reference}/{verb}"),
        ("GET", f"/web/act/{token}"), ("POST", f"/web/act/{token}"), ("GET", f"/web/act/{broken or 'x'}"),
        ("POST", f"/web/act/{broken or 'x'}"), ("GET", f"/web/sign-in/{broken or 'x'}"),
        ("POST", f"/web/sign-in/{broken or 'x'}"), ("GET", f"/web/static/{_q(_value(rng)[:200] or 'x')}"),
    ])


@pytest.mark.filterwarnings("ignore::aiohttp.multipart.BadContentDispositionHeader")
async def test_broken_requests_to_web_get_no_5xx_and_change_nothing(served: Served,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    await sign_in(served, served.client, "victor.hale@example.org")
    reference = await raise_as(served, served.client, area="East")
    await served.deliver()
    links = list(served.links_in(served.mail_to("ava.okafor@")[-1]).values())
    page = await (await served.client.get(f"{served.base}/web/challenges/{reference}")).text()
    real_csrf = csrf_of(page)
    before = (await served.challenge(reference)).version
    rng = random.Random(SEED)
    statuses: dict[int, int] = {}
    for case in range(CASES):
        method, path = _path(rng, reference, links)
        form = _form(rng)
        if rng.random() < 0.3:
            form["csrf"] = real_csrf if rng.random() < 0.5 else _value(rng)[:80]
        body, content_type = _body(form, rng) if method == "POST" else (b"", "")
        headers = {"Content-Type": content_type} if content_type else {}
        client = served.client if rng.random() < 0.5 else served.new_client()
        try:
            response = await client.request(method, served.base + path, data=body or None, headers=headers,
                                            allow_redirects=False)
            text = await response.read()
        finally:
            if client is not served.client:
                await client.close()
        statuses[response.status] = statuses.get(response.status, 0) + 1
        assert response.status < 500, (SEED, case, method, path, content_type, body[:300], text[:300])
    problems = [f"{r.name}: {r.getMessage()}" for r in caplog.records
                if r.exc_info or "Traceback" in r.getMessage() or r.levelno >= logging.ERROR]
    assert not problems, problems[:5]
    assert statuses.get(400, 0) > CASES // 20
    # Without the link page's own CSRF value bound to its browser cookie, no fuzzed press acted.
    assert (await served.challenge(reference)).version == before, statuses
