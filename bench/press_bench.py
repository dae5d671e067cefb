"""Button presses under 20 concurrent clients: how long mashbot takes to answer a press,
against a bare aiohttp handler in the same run.

mashbot serves the console's press route (`POST /challenges/{ref}/accept`: parse, the core's
`handle`, answer) on a SQLite file, then on a new PostgreSQL database; the bare handler runs in its own process; the load
generator in a third, so neither server shares its event loop or interpreter lock with it.
Each client takes turns between the two servers, so both see the same load. The presses are
a realistic mix: the first Accept of a card (fresh: it changes the challenge and takes the
write lock), the pool's second Practice Manager pressing the same card (stale), a double
click (repeated) and someone outside the pool (not theirs) — the last three change nothing
and are answered from a read transaction.

Prints p50 / p99 per server and per kind of press, and the ratios mashbot / bare.
Target: p99 of a press that changes nothing within 20x of the bare handler, with fresh presses
in the same load (they must not queue behind the write lock). Fresh presses are printed too:
on SQLite they take turns on its one writer, on PostgreSQL they do not.

Usage: python bench/press_bench.py [--clients 20] [--rounds 30] [--only sqlite|postgresql]
PostgreSQL: MASHBOT_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from aiohttp import ClientSession, ClientTimeout, web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KINDS = ("fresh", "stale", "repeated", "not theirs")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


def _bare_server(ready: multiprocessing.Queue, stop: multiprocessing.Event) -> None:  # type: ignore[type-arg]
    async def handler(request: web.Request) -> web.Response:
        await request.read()
        raise web.HTTPSeeOther("/challenges")

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/challenges/{reference}/{verb}", handler)
        runner, url = await serve(app)
        ready.put(url)
        while not stop.is_set():
            await asyncio.sleep(0.05)
        await runner.cleanup()

    asyncio.run(main())


async def drive(mashbot: str, bare: str, refs: list[str], clients: int, rounds: int,
                seconds: float) -> dict[str, list[float]]:
    """`clients` concurrent clients; each round a client presses one card on each server."""
    deadline = time.monotonic() + seconds
    timings: dict[str, list[float]] = {"bare": [], **{f"mashbot {k}": [] for k in KINDS}}
    statuses: set[int] = set()
    presses = iter(range(10**9))
    untouched = iter(refs)
    accepted: list[str] = []  # cards whose first Accept has been answered

    async def client(http: ClientSession) -> None:
        for _ in range(rounds):
            if time.monotonic() > deadline:
                return
            n = next(presses)
            kind = KINDS[n % 4] if accepted else "fresh"
            ref = next(untouched) if kind == "fresh" else accepted[n * 7919 % len(accepted)]
            actor = {"fresh": "pm-east-1", "stale": "pm-east-2", "repeated": "pm-east-1",
                     "not theirs": "pm-north-1"}[kind]
            for name, base in (("mashbot", mashbot), ("bare", bare)):
                started = time.perf_counter()
                async with http.post(f"{base}/challenges/{ref}/accept", data={"version": "1"},
                                     cookies={"mashbot_console_as": actor}, allow_redirects=False) as resp:
                    await resp.read()
                    statuses.add(resp.status)
                spent = time.perf_counter() - started
                timings["bare" if name == "bare" else f"mashbot {kind}"].append(spent)
            if kind == "fresh":
                accepted.append(ref)

    async with ClientSession(timeout=ClientTimeout(total=60)) as http:
        await asyncio.gather(*(client(http) for _ in range(clients)))
    assert statuses == {303}, statuses
    return timings


def _drive_in_child(*args):  # type: ignore[no-untyped-def]
    return asyncio.run(drive(*args))


async def setup(url: str, n: int):  # type: ignore[no-untyped-def]
    from adapters import bootstrap
    from adapters.settings import Settings
    from adapters.web import create_app
    from bench.seeding import add_people, load_policy, seed
    from storage.database import Database
    from storage.migrate import upgrade

    await upgrade(url)
    db = Database(url)
    try:
        await add_people(db)
        await seed(db, load_policy(), n, 0, "CH-")  # East rows: every 4th, all open at version 1
    finally:
        await db.dispose()
    os.environ["MASHBOT_CONSOLE"] = "1"
    settings = Settings(_env_file=None, MASHBOT_DATABASE_URL=url, MASHBOT_POLICY="lancashire")
    service = bootstrap.build(settings)
    return create_app(service, host="127.0.0.1"), [f"CH-{i:07d}" for i in range(0, n, 4) if i % 5]


async def run(name: str, url: str, clients: int, rounds: int, seconds: float) -> bool:
    ctx = multiprocessing.get_context("spawn")
    app, refs = await setup(url, 4 * clients * rounds + 400)
    runner, mashbot_url = await serve(app)
    ready, stop = ctx.Queue(), ctx.Event()
    bare = ctx.Process(target=_bare_server, args=(ready, stop), daemon=True)
    bare.start()
    try:
        bare_url = await asyncio.get_running_loop().run_in_executor(None, ready.get, True, 30)
        with ProcessPoolExecutor(1, mp_context=ctx) as pool:
            timings = await asyncio.get_running_loop().run_in_executor(
                pool, _drive_in_child, mashbot_url, bare_url, refs, clients, rounds, seconds)
    finally:
        stop.set()
        bare.join(10)
        await runner.cleanup()
    presses = [t for k, v in timings.items() if k != "bare" for t in v]
    bare_p99 = percentile(timings["bare"], 99)
    print(f"{clients} concurrent clients, {len(presses)} presses to mashbot and {len(timings['bare'])} to a bare "
          f"aiohttp handler (own process), taking turns; {name}")
    for kind, values in timings.items():
        print(f"  {kind:20s} p50 {percentile(values, 50) * 1000:8.2f} ms   p99 {percentile(values, 99) * 1000:8.2f} ms"
              f"   ({len(values)})")
    unchanged = [t for k, v in timings.items() if k not in ("bare", "mashbot fresh") for t in v]
    ratio = percentile(unchanged, 99) / bare_p99
    print(f"  ratio p99 presses that change nothing / bare   = {ratio:7.1f}x  (target < 20)")
    print(f"  ratio p99 fresh presses (write lock) / bare    = "
          f"{percentile(timings['mashbot fresh'], 99) / bare_p99:7.1f}x")
    print(f"  ratio p99 all presses / bare                   = {percentile(presses, 99) / bare_p99:7.1f}x")
    print(f"  target {'met' if ratio < 20 else 'MISSED'}")
    return ratio < 20


async def run_all(only: str | None, clients: int, rounds: int, seconds: float) -> int:
    results = []
    if only != "postgresql":
        with tempfile.TemporaryDirectory() as tmp:
            results.append(await run("SQLite", f"sqlite:///{Path(tmp) / 'bench.db'}", clients, rounds, seconds))
    if only != "sqlite":
        from bench.seeding import postgres_url

        found = await postgres_url()
        if found:
            url, drop = found
            try:
                results.append(await run("PostgreSQL", url, clients, rounds, seconds))
            finally:
                await drop()
    return 0 if results and all(results) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=30, help="presses per client on each server")
    parser.add_argument("--seconds", type=float, default=120.0, help="bound on the load")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    return asyncio.run(run_all(args.only, args.clients, args.rounds, args.seconds))


if __name__ == "__main__":
    sys.exit(main())
