"""The console's pages at 10,000 challenges (a fifth of them finished): the inbox of a Practice
Manager, the all-challenges list (first and a deep page, filtered) and the digest, through
the real aiohttp app on loopback, against a bare aiohttp handler in the same run.

Prints each page's time (best of --repeat), its size, and its ratio to the bare handler.
Target: each page under 100 ms (printed as met / MISSED).

Usage: python bench/console_bench.py [--challenges 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from aiohttp import ClientSession, web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = tuple(os.environ.get("BENCH_PAGES", "/,/challenges,/challenges?area=North&state=open&page=20,/digest").split(","))


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


async def seed(url: str, n: int) -> None:
    from sqlalchemy import insert

    from bench.seeding import NOW, challenges, load_policy, row
    from bot.challenge import State
    from storage import tables as t
    from storage.database import Database
    from storage.snapshots import snapshot_of

    policy = load_policy()
    digest, text = snapshot_of(policy)
    rows = []
    for i, c in enumerate(challenges(policy, n, n // 100, "CH-")):
        update: dict[str, object] = {}
        if c.area == "East":
            update.update(reviewers=("ava.okafor", "ben.hartley"), owner_id=None, state=State.OPEN)
        if i % 5 == 1:
            update.update(state=State.CLOSED, closed_at=NOW - timedelta(days=30))
        rows.append(row(c.model_copy(update=update), digest))
    db = Database(url)
    try:
        async with db.uow() as uow:
            await uow.session.execute(insert(t.policy_snapshots).values(digest=digest, name=policy.name, data=text))
            for start in range(0, n, 5_000):
                await uow.session.execute(insert(t.challenges), rows[start:start + 5_000])
            await uow.commit()
    finally:
        await db.dispose()


async def run(n: int, repeat: int) -> int:
    from adapters import bootstrap
    from adapters.settings import Settings
    from adapters.web import create_app
    from bench.seeding import NOW
    from storage.migrate import upgrade
    from tests.demo import import_demo_roster

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        await upgrade(url)
        os.environ["MASHBOT_CONSOLE"] = "1"
        service = bootstrap.build(Settings(_env_file=None, MASHBOT_DATABASE_URL=url, MASHBOT_POLICY="lancashire"))
        await import_demo_roster(service)
        await seed(url, n)
        service.clock_offset = NOW - bootstrap.utc_now()
        bare = web.Application()
        bare.router.add_get("/", lambda request: web.Response(text="ok"))
        runners = [await serve(create_app(service, host="127.0.0.1")), await serve(bare)]
        gc.freeze()  # as `mashbot serve` does once it listens (adapters/web.py run)
        (_, base), (_, bare_url) = runners
        best: dict[str, float] = {}
        sizes: dict[str, int] = {}
        try:
            async with ClientSession(cookies={"mashbot_console_as": "ava.okafor"}) as http:
                for _ in range(repeat):
                    for path in (*PAGES, "bare"):
                        started = time.perf_counter()
                        async with http.get(bare_url + "/" if path == "bare" else base + path) as resp:
                            body = await resp.read()
                            assert resp.status == 200, (path, resp.status)
                        spent = time.perf_counter() - started
                        best[path] = min(best.get(path, spent), spent)
                        sizes[path] = len(body)
        finally:
            for runner, _ in runners:
                await runner.cleanup()
    print(f"console pages at {n:,} challenges (a fifth finished), SQLite; best of {repeat}")
    ok = True
    for path in PAGES:
        met = best[path] < 0.100
        ok &= met
        print(f"  {path:45s} {best[path] * 1000:7.1f} ms  {sizes[path] / 1024:7.1f} KB  "
              f"= {best[path] / best['bare']:6.1f}x a bare handler  (< 100 ms: {'met' if met else 'MISSED'})")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--challenges", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    return asyncio.run(run(args.challenges, args.repeat))


if __name__ == "__main__":
    sys.exit(main())
