"""Slack ack latency: how fast `POST /slack/events` answers a button press while
the Slack Web API takes 2 s per call, against a bare aiohttp handler in the same run.

mashbot runs in this process, the bare handler in a process of its own (so it does not
share mashbot's event loop) and the load generator in a third. Requests alternate between
the two servers, so both see the same load — including mashbot's work after each ack
(resolving the person, loading the challenge, applying or refusing the press, answering on
the response_url that the fake Web API holds for 2 s). The bare handler is also measured
alone first ("quiet"), for reference. Every request is a block_actions payload signed like
Slack's, with a valid signed button: half the presses are Ava's first Accept of a card
(fresh: the challenge changes), the other half press a card already taken (stale).

Prints p50 / p99 for both and their ratios. Targets: mashbot's p99 ack under 100 ms, and
mashbot / bare under 10. The run is bounded by --seconds.

Usage: python bench/slack_ack_bench.py [--requests 1000] [--delay 2] [--seconds 120]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

from aiohttp import ClientSession, ClientTimeout, web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the fake Slack Web API lives with the tests

SIGNING_SECRET = "bench-signing-secret"
CARD_SECRET = "bench-card-secret"
AVA = "U0DEMO001"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
    return ordered[index]


def signed(body: str) -> dict[str, str]:
    ts = str(int(time.time()))
    mac = hmac.new(SIGNING_SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": f"v0={mac}"}


def press(n: int, value: str, response_url: str) -> str:
    return urlencode({"payload": json.dumps({
        "type": "block_actions", "user": {"id": AVA}, "team": {"id": "T0BENCH"}, "trigger_id": f"t{n}",
        "response_url": response_url, "container": {"type": "message", "channel_id": f"D{AVA}",
                                                    "message_ts": "1700000000.000001"},
        "actions": [{"type": "button", "action_id": "mashbot:accept", "block_id": "b", "value": value,
                     "action_ts": f"{time.time():.6f}.{n}"}]})})


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


async def bare_handler(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(text="")


def _bare_server(ready, stop) -> None:  # type: ignore[no-untyped-def]
    """The bare handler in its own process: it shares no event loop with mashbot."""
    async def main() -> None:
        app = web.Application()
        app.router.add_post("/slack/events", bare_handler)
        runner, url = await serve(app)
        ready.put(url)
        while not stop.is_set():
            await asyncio.sleep(0.05)
        await runner.cleanup()

    asyncio.run(main())


async def setup(workdir: Path, delay: float, cards: int):  # type: ignore[no-untyped-def]
    from adapters import bootstrap
    from adapters.roster_files import demo_roster_path, load_roster_file
    from adapters.settings import Settings
    from adapters.web import create_app
    from bot.commands import RaiseChallenge
    from cards.actions import ActionPayload, sign
    from storage.migrate import upgrade
    from tests.slack.fake_slack import TOKEN, FakeSlack

    fake = await FakeSlack().start()
    url = f"sqlite:///{workdir / 'bench.db'}"
    await upgrade(url)
    settings = Settings(_env_file=None, MASHBOT_DATABASE_URL=url, SLACK_SIGNING_SECRET=SIGNING_SECRET,
                        SLACK_BOT_TOKEN=TOKEN, SLACK_API_URL=fake.api_url, MASHBOT_SECRET=CARD_SECRET)
    service = bootstrap.build(settings)
    async with service.database.uow() as uow:
        await uow.people.replace(load_roster_file(demo_roster_path()), source="bench")
        await uow.commit()
    values = []
    for _ in range(cards):
        result = await service.mashbot.raise_challenge(RaiseChallenge(
            actor_id="tara.nolan", case_reference="LCS123456", area="East",
            decision_challenged="Level 2 – Additional support", requested_outcome="A Child and Family assessment",
            reason_category="level_of_need", reason_text="Repeated missing episodes were not weighed."),
            service.now())
        assert result.challenge is not None
        values.append(sign(ActionPayload("accept", result.challenge.reference, 1, "ava.okafor"),
                           CARD_SECRET.encode()))
    fake.delay = delay
    return fake, create_app(service), values


async def drive(targets: list[tuple[str, str]], requests: int, values: list[str], response_url: str,
                deadline: float, pace: float = 0.0) -> tuple[dict[str, list[float]], dict[str, set[int]]]:
    """The load generator: `requests` rounds, one request to each target per round."""
    timings: dict[str, list[float]] = {name: [] for name, _ in targets}
    statuses: dict[str, set[int]] = {name: set() for name, _ in targets}
    async with ClientSession(timeout=ClientTimeout(total=5)) as client:
        for n in range(requests):
            if time.monotonic() > deadline:
                print(f"stopped at the time bound after {n} rounds")
                break
            for name, url in targets:
                # Even rounds press a new card (fresh), odd ones the card just taken (stale).
                body = press(n, values[(n // 2) % len(values)], f"{response_url}/{name}-{n}")
                headers = signed(body)
                started = time.perf_counter()
                async with client.post(url, data=body.encode(), headers=headers) as resp:
                    await resp.read()
                    statuses[name].add(resp.status)
                timings[name].append(time.perf_counter() - started)
            if pace:
                await asyncio.sleep(pace)
    return timings, statuses


def _drive_in_child(*args):  # type: ignore[no-untyped-def]
    return asyncio.run(drive(*args))


async def generate(*args):  # type: ignore[no-untyped-def]
    """Run the load generator in another process, so it shares neither the servers' event loop
    nor their interpreter lock."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return await asyncio.get_running_loop().run_in_executor(pool, _drive_in_child, *args)


async def run(requests: int, delay: float, seconds: float, pace: float) -> int:
    from bot import texts

    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        os.environ.pop(name, None)  # slack_sdk would send loopback calls through a proxy
    deadline = time.monotonic() + seconds
    with tempfile.TemporaryDirectory() as tmp:
        fake, app, values = await setup(Path(tmp), delay, max(1, (requests + 1) // 2))
        runner, mashbot_url = await serve(app)
        ctx = multiprocessing.get_context("spawn")
        ready, stop = ctx.Queue(), ctx.Event()
        bare = ctx.Process(target=_bare_server, args=(ready, stop), daemon=True)
        bare.start()
        respond_to = fake.base_url + "/respond"
        try:
            bare_url = await asyncio.get_running_loop().run_in_executor(None, ready.get, True, 30)
            quiet, _ = await generate([("bare (quiet)", bare_url + "/slack/events")], min(requests, 1000),
                                      values, respond_to, deadline, pace)
            timings, statuses = await generate([("mashbot", mashbot_url + "/slack/events"),
                                                ("bare", bare_url + "/slack/events")],
                                               requests, values, respond_to, deadline, pace)
            answered = await wait_for_replies(fake, len(timings["mashbot"]), deadline)
            # The second press of a card is Ava's own again: "you already did this".
            stale_words = (texts.ALREADY_ACTIONED.split("{")[0], texts.ALREADY_DONE_BY_YOU.split("{")[0])
            refused = sum(1 for r in fake.responses if any(w in json.dumps(r) for w in stale_words))
        finally:
            fake.delay = 0
            stop.set()
            bare.join(10)
            await runner.cleanup()
            await fake.stop()
    print(f"presses applied (fresh cards): {answered - refused}; refused as already actioned (stale): {refused}")
    return report(timings | quiet, statuses, answered, delay)


async def wait_for_replies(fake, expected: int, deadline: float) -> int:  # type: ignore[no-untyped-def]
    """The work after each ack still happens: wait (bounded) for every ephemeral reply."""
    while len(fake.responses) < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    return len(fake.responses)


def report(timings: dict[str, list[float]], statuses: dict[str, set[int]], answered: int, delay: float) -> int:
    ms = {name: (percentile(v, 50) * 1000, percentile(v, 99) * 1000, statistics.fmean(v) * 1000)
          for name, v in timings.items()}
    count = len(timings["mashbot"])
    print(f"{count} signed block_actions requests to each server, alternating; fake Web API delay {delay:g} s")
    for name, (p50, p99, mean) in ms.items():
        print(f"  {name:13s} p50 {p50:7.2f} ms   p99 {p99:7.2f} ms   mean {mean:7.2f} ms")
    ratio50, ratio99 = ms["mashbot"][0] / ms["bare"][0], ms["mashbot"][1] / ms["bare"][1]
    quiet50, quiet99 = ms["mashbot"][0] / ms["bare (quiet)"][0], ms["mashbot"][1] / ms["bare (quiet)"][1]
    print(f"  ratio mashbot / bare (same load):    p50 {ratio50:5.1f}x   p99 {ratio99:5.1f}x")
    print(f"  ratio mashbot / bare (quiet server): p50 {quiet50:5.1f}x   p99 {quiet99:5.1f}x")
    print(f"  replies sent after the ack (each through the {delay:g} s Web API): {answered} of {count}")
    ok_latency, ok_ratio = ms["mashbot"][1] < 100, max(ratio50, ratio99) < 10
    print(f"  target p99 < 100 ms: {'met' if ok_latency else 'MISSED'};  target ratio < 10 (same load, p50 and "
          f"p99): {'met' if ok_ratio else 'MISSED'};  mashbot status codes {sorted(statuses['mashbot'])}")
    return 0 if ok_latency and ok_ratio and statuses["mashbot"] == {200} else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--delay", type=float, default=2.0, help="fake Web API delay per call, seconds")
    parser.add_argument("--seconds", type=float, default=120.0, help="bound on the whole run")
    parser.add_argument("--pace", type=float, default=0.0,
                        help="seconds between rounds (default 0: back to back, the harshest case)")
    args = parser.parse_args()
    return asyncio.run(run(args.requests, args.delay, args.seconds, args.pace))


if __name__ == "__main__":
    sys.exit(main())
