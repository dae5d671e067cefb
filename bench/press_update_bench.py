"""A Slack button press, from its ack to the presser's card changing (chat.update): this tree
against another commit (by default the merge-base with main), in the same run.

Each tree runs in a process of its own (its own modules, its own SQLite file, its own fake
Slack Web API on loopback) and the two take turns, round by round, so both see the same
machine. In each round Ava presses Accept on N fresh cards, one after another, through a
signed `POST /slack/events`; the time measured is from the ack arriving to the fake Web API
receiving the chat.update that shows her the "Record outcome" button.

Prints p50 / p90 per tree and the ratio this tree / the other.

Usage: python bench/press_update_bench.py [--presses 20] [--rounds 3] [--base COMMIT]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
SIGNING_SECRET = "bench-signing-secret"
CARD_SECRET = "bench-card-secret"
AVA = "U0DEMO001"


def signed(body: str) -> dict[str, str]:
    ts = str(int(time.time()))
    mac = hmac.new(SIGNING_SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": f"v0={mac}"}


def accept_value(message: Any) -> str | None:
    for block in message.blocks:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element.get("action_id") == "mashbot:accept":
                return str(element["value"])
    return None


def shows_outcome_button(message: Any) -> bool:
    return any(e.get("action_id") == "mashbot:record_outcome" for b in message.blocks if b.get("type") == "actions"
               for e in b.get("elements", []))


async def worker(presses: int) -> list[float]:
    """In the tree on sys.path[0]: raise `presses` challenges, send their cards, press each."""
    from aiohttp import ClientSession, web

    from adapters import bootstrap
    from adapters.roster_files import demo_roster_path, load_roster_file
    from adapters.settings import Settings
    from adapters.slack.channel import SLACK
    from adapters.web import create_app
    from bot.commands import RaiseChallenge
    from storage.migrate import upgrade
    from tests.slack.fake_slack import TOKEN, FakeSlack

    fake = await FakeSlack().start()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        await upgrade(url)
        settings = Settings(_env_file=None, MASHBOT_DATABASE_URL=url, SLACK_SIGNING_SECRET=SIGNING_SECRET,
                            SLACK_BOT_TOKEN=TOKEN, SLACK_API_URL=fake.api_url, MASHBOT_SECRET=CARD_SECRET)
        service = bootstrap.build(settings)
        async with service.database.uow() as uow:
            await uow.people.replace(load_roster_file(demo_roster_path()), source="bench")
            await uow.commit()
        for _ in range(presses):
            await service.mashbot.raise_challenge(RaiseChallenge(
                actor_id="tara.nolan", case_reference="LCS123456", area="East",
                decision_challenged="Level 2 – Additional support",
                requested_outcome="A Child and Family assessment", reason_category="level_of_need",
                reason_text="Repeated missing episodes were not weighed."), service.now())
        app = create_app(service)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        base = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
        channel = app[SLACK]
        while len([m for m in fake.dm(AVA) if accept_value(m)]) < presses:
            await channel.dispatcher.run_once()
        await channel.tasks.drain()
        timings: list[float] = []
        async with ClientSession() as client:
            for n, card in enumerate([m for m in fake.dm(AVA) if accept_value(m)]):
                body = urlencode({"payload": json.dumps({
                    "type": "block_actions", "user": {"id": AVA}, "team": {"id": "T0BENCH"},
                    "trigger_id": f"t{n}", "response_url": fake.response_url(f"r{n}"),
                    "container": {"type": "message", "channel_id": card.channel, "message_ts": card.ts},
                    "actions": [{"type": "button", "action_id": "mashbot:accept", "block_id": "b",
                                 "value": accept_value(card), "action_ts": f"{time.time():.6f}"}]})})
                async with client.post(base, data=body.encode(), headers=signed(body)) as resp:
                    await resp.read()
                    assert resp.status == 200, resp.status
                acked = time.perf_counter()
                while not shows_outcome_button(card):
                    await asyncio.sleep(0.0005)
                timings.append(time.perf_counter() - acked)
                await channel.tasks.drain()
        await runner.cleanup()
    await fake.stop()
    return timings


def export(commit: str, into: Path) -> Path:
    """The files of `commit` (git archive: the repository and its worktrees are untouched)."""
    data = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", commit], check=True,
                          capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into


def run_tree(tree: Path, presses: int) -> list[float]:
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    env["PYTHONPATH"] = str(tree)
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", str(tree),
                           "--presses", str(presses)], env=env, cwd=tree, capture_output=True, text=True,
                          timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"the run in {tree} failed:\n{done.stderr[-3000:]}")
    return [float(x) for x in json.loads(done.stdout.strip().splitlines()[-1])]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--presses", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--base", default=None, help="the commit to compare with (default: merge-base with main)")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        sys.path.insert(0, args.worker)
        print(json.dumps(asyncio.run(worker(args.presses))))
        return 0
    base = args.base or subprocess.run(["git", "-C", str(ROOT), "merge-base", "HEAD", "main"], check=True,
                                       capture_output=True, text=True).stdout.strip()
    results: dict[str, list[float]] = {"this tree": [], f"base {base[:8]}": []}
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"this tree": ROOT, f"base {base[:8]}": export(base, Path(tmp))}
        for _ in range(args.rounds):
            for name, tree in trees.items():
                results[name] += run_tree(tree, args.presses)
    for name, values in results.items():
        ordered = sorted(values)
        p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
        print(f"{name:>16}: ack -> chat.update p50 {statistics.median(values) * 1000:7.1f} ms, "
              f"p90 {p90 * 1000:7.1f} ms ({len(values)} presses)")
    new, old = (statistics.median(v) for v in results.values())
    print(f"ratio this tree / base (p50): {new / old:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
