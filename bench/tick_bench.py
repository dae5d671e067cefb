"""The tick at a county's size, on SQLite and PostgreSQL, against the SQL floor of a tick.

100,000 open challenges (--open), 1% of them due. The tick claims the due rows, applies them
through the core and writes back their new state, audit events and outbox rows. The floor
is the same work with no core: read the due rows (same predicate and index) and write back
exactly what the tick wrote — the new challenge rows, the events, the outbox rows and the
audit head — with plain executemany in one transaction, on the same seeded state. As a check
that the cost follows the due rows, the tick is also timed with 10x fewer open challenges
(same due count): that ratio should be near 1.

Each size is run --repeat times (reseeded each time) and the best tick and floor compared. Rows
are bulk-inserted through the storage tables. Only ratios measured in this run are
printed. Targets: tick / floor under 3 on both databases; tick(N) / tick(N/10) near 1.

Usage: python bench/tick_bench.py [--open 100000] [--only sqlite|postgresql] [--repeat 3]
PostgreSQL: MASHBOT_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres);
a throwaway database is created and dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import bindparam, insert, select, update  # noqa: E402

from bench.seeding import NOW, add_people, clear, load_policy, postgres_url, seed  # noqa: E402
from bot.handlers import Mashbot  # noqa: E402
from bot.ladder import calendar_of  # noqa: E402
from bot.policy import Policy  # noqa: E402
from storage import tables as t  # noqa: E402
from storage.database import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.repositories import due_query  # noqa: E402


async def timed(fn: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = await fn()
    return time.perf_counter() - started, value


async def tick(db: Database, policy: Policy, n_due: int) -> float:
    bot = Mashbot(uow=db.uow, policy=policy, new_reference=lambda: "CH-" + secrets.token_hex(4))
    calendar_of(policy).next_opening_after(NOW)  # warm-up: the holiday data's one-off import is not the tick's cost
    spent, report = await timed(lambda: bot.tick(NOW))
    assert report.examined == n_due and report.changed == n_due, report
    return spent


async def written(db: Database, refs: list[str]) -> dict[str, Any]:
    """What a tick wrote: the due challenges' new rows, the events, the outbox rows, the head."""
    c = t.challenges.c
    async with db.uow(read_only=True) as uow:
        s = uow.session
        rows = [dict(r._mapping) for r in await s.execute(select(t.challenges).where(c.reference.in_(refs)))]
        events = [dict(r._mapping) for r in await s.execute(select(t.challenge_events))]
        outbox = [{k: v for k, v in r._mapping.items() if k != "id"} for r in await s.execute(select(t.outbox))]
        head = dict((await s.execute(select(t.audit_head))).one()._mapping)
    return {"rows": rows, "events": events, "outbox": outbox, "head": head}


async def warm(db: Database) -> None:
    """Read the due rows once, so the tick and the floor both start with them cached. On SQLite
    the seeding's write-ahead log is first copied into the database: otherwise whichever
    commits first after the bulk insert (the tick, or the floor's committed run) pays for
    checkpointing 100,000 seeded rows, which is neither's cost."""
    if db.dialect == "sqlite":
        async with db.engine.connect() as conn:  # outside a transaction: on the driver's connection
            raw = await conn.get_raw_connection()
            await raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    async with db.uow(read_only=True) as uow:
        await uow.session.execute(select(t.challenges.c.reference).where(t.challenges.c.wake_at <= NOW))


async def floor(db: Database, wrote: dict[str, Any], n_due: int) -> float:
    """Read the due rows, write back what the tick wrote: plain executemany, one transaction.
    Best of two: the first is rolled back (a shared machine's hiccup then counts against the
    floor, never for the tick)."""
    async def run(commit: bool) -> None:
        async with db.uow() as uow:
            s = uow.session
            due = (await s.execute(due_query(NOW, n_due + 1))).all()
            assert len(due) == n_due
            head = t.audit_head.c
            await s.execute(select(head.seq).where(head.id == 1).with_for_update())
            await s.execute(update(t.challenges).where(t.challenges.c.reference == bindparam("ref")),
                            [{"ref": r["reference"], **{k: v for k, v in r.items() if k != "reference"}}
                             for r in wrote["rows"]])
            await s.execute(insert(t.challenge_events), wrote["events"])
            await s.execute(insert(t.outbox), wrote["outbox"])
            await s.execute(update(t.audit_head).where(head.id == 1)
                            .values(seq=wrote["head"]["seq"], hash=wrote["head"]["hash"]))
            if commit:
                await uow.commit()
    first, _ = await timed(lambda: run(False))
    second, _ = await timed(lambda: run(True))
    return min(first, second)


async def case(db: Database, policy: Policy, n_open: int, n_due: int) -> tuple[float, float, int]:
    """(tick, floor, messages) on the same seeded state."""
    await clear(db)
    await seed(db, policy, n_open, n_due, "CH-")
    await warm(db)
    tick_s = await tick(db, policy, n_due)
    wrote = await written(db, [f"CH-{i:07d}" for i in range(n_due)])
    await clear(db)
    await seed(db, policy, n_open, n_due, "CH-")
    await warm(db)
    return tick_s, await floor(db, wrote, n_due), len(wrote["outbox"])


async def best_case(db: Database, policy: Policy, n_open: int, n_due: int, repeat: int) -> tuple[float, float, int]:
    """The best tick and the best floor of `repeat` cases, taking turns: on a shared machine a
    busy spell then hits neither alone."""
    runs = [await case(db, policy, n_open, n_due) for _ in range(repeat)]
    return min(r[0] for r in runs), min(r[1] for r in runs), runs[0][2]


async def run_backend(name: str, url: str, n_open: int, repeat: int = 1) -> dict[str, float]:
    policy = load_policy()
    await upgrade(url)
    db = Database(url)
    try:
        await add_people(db)
        n_due = max(1, n_open // 100)
        n_small = max(n_due, n_open // 10)
        t0 = time.perf_counter()
        await case(db, policy, n_due * 2, n_due)  # warm-up: caches, compiled statements
        small_tick_s, small_floor_s, _ = await best_case(db, policy, n_small, n_due, repeat)
        tick_s, floor_s, messages = await best_case(db, policy, n_open, n_due, repeat)
        elapsed = time.perf_counter() - t0
    finally:
        await db.dispose()
    print(f"\n[{name}] {n_open:,} open challenges, {n_due:,} due ({messages:,} messages queued by the tick); "
          f"best of {repeat}")
    print(f"  tick / SQL floor (read due rows, executemany their writes) = {tick_s / floor_s:6.2f}  (target < 3)")
    print(f"  same with {n_small:,} open                                  = {small_tick_s / small_floor_s:6.2f}")
    print(f"  tick with {n_open:,} open / with {n_small:,} open (same due)   = {tick_s / small_tick_s:6.2f}  "
          "(near 1: cost follows the due rows)")
    print(f"  for reference: the floor with {n_open:,} open / with {n_small:,} open  = {floor_s / small_floor_s:6.2f}  "
          "(what the database's own indexes add)")
    print(f"  (whole {name} run incl. bulk inserts: {elapsed:.0f}s)")
    return {"ratio": tick_s / floor_s, "scale": tick_s / small_tick_s}


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    results = []
    if args.only != "postgresql":
        with tempfile.TemporaryDirectory() as tmp:
            results.append(await run_backend("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", args.open,
                                             args.repeat))
    if args.only != "sqlite":
        found = await postgres_url()
        if found:
            url, drop = found
            try:
                results.append(await run_backend("postgresql", url, args.open, args.repeat))
            finally:
                await drop()
    ok = all(r["ratio"] < 3 for r in results)
    print(f"\ntargets (tick / floor < 3): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
