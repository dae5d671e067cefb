"""Tick and digest benchmarks (issue 6), on SQLite and on PostgreSQL, in one run each.

1. 100,000 open challenges, 1% of them due: the time of one tick (claim, apply through the
   core, write events and outbox rows, commit) against the time to read just the due rows
   in the same run. Target: tick / read under 5 — the tick's cost follows the due rows, not
   the open ones. As a check of that, the same tick is timed with 10x fewer open
   challenges (same due count): the ratio of the two should be near 1.
2. The daily digest for 10,000 open challenges: the time to load them and build every
   recipient's digest, against the time just to read those rows.

Rows are bulk-inserted through the storage tables (not the core) for speed. Only ratios
measured in this run are printed; absolute times depend on the machine.

Usage: python bench/tick_bench.py [--open N] [--digest N] [--only sqlite|postgresql]
PostgreSQL: MASHBOT_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres);
a throwaway database is created and dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, make_url, select, text

from adapters.scheduler import prepare_digests
from bot.challenge import Challenge, State
from bot.digest import build_digests, previous_digest_time
from bot.handlers import Mashbot
from bot.ladder import calendar_of
from bot.policy import Policy
from bot.roster import Person, Roster
from storage import tables as t
from storage.database import Database, make_engine
from storage.migrate import upgrade

NOW = datetime(2027, 1, 13, 10, 0, tzinfo=UTC)  # Wed 13 Jan 2027, office hours
AREAS = ("East", "Central", "North", "CSSH")
CHUNK = 5_000


def load_policy() -> Policy:
    from adapters.policy_files import load_policy as load

    return load("lancashire")


def people() -> list[Person]:
    def p(pid: str, *roles: str, areas: tuple[str, ...] = ()) -> Person:
        return Person(id=pid, name=pid.replace("-", " ").title(), email=f"{pid}@example.org", roles=roles,
                      areas=areas)

    return [
        *(p(f"pm-{a.lower()}-{i}", "practice_manager", areas=(a,)) for a in AREAS for i in (1, 2)),
        p("team-manager", "mash_team_manager"), p("senior-manager", "mash_senior_manager", "senior_manager"),
        p("head-of-service", "head_of_service_mash"), p("county-manager", "mash_county_manager"),
        p("sm-east", "senior_manager", areas=("East",)), p("practitioner", "practitioner"),
        p("csap-team", "csap_mailbox"),
    ]


def template(policy: Policy) -> Challenge:
    """A fictional open Practice Manager stage challenge (no child's details)."""
    raised = NOW - timedelta(days=3)
    return Challenge(
        reference="CH-TEMPLATE", case_reference="LCS000000", area="East", challenger_id="practitioner",
        decision_challenged="Level 2", requested_outcome="Level 3 assessment", reason_category="level_of_need",
        reason_text="Fictional benchmark row.", policy=policy, raised_at=raised, stage_started_at=raised,
        due_at=raised, reviewers=("pm-east-1", "pm-east-2"),
    )


def rows(policy: Policy, n_open: int, n_due: int, prefix: str) -> list[dict[str, Any]]:
    """n_open challenges, the first n_due overdue (wake in the past), the rest due next week."""
    base = template(policy)
    out = []
    for i in range(n_open):
        area = AREAS[i % 4]
        due = NOW - timedelta(hours=1, seconds=i) if i < n_due else NOW + timedelta(days=7, seconds=i)
        c = base.model_copy(update={
            "reference": f"{prefix}{i:07d}", "area": area, "due_at": due,
            "reviewers": (f"pm-{area.lower()}-1", f"pm-{area.lower()}-2"),
            "raised_at": NOW - timedelta(days=3, seconds=i), "stage": 0 if i % 3 else 1,
            "state": State.OPEN if i % 5 else State.ACCEPTED,
            "owner_id": None if i % 5 else f"pm-{area.lower()}-1",
        })
        out.append({
            "reference": c.reference, "case_reference": c.case_reference, "area": c.area,
            "challenger_id": c.challenger_id, "state": c.state.value, "stage": c.stage, "version": c.version,
            "urgent": c.urgent, "breached": c.breached, "due_at": c.due_at, "wake_at": c.wake_at,
            "raised_at": c.raised_at, "closed_at": None, "owner_id": c.owner_id, "data": c.model_dump_json(),
        })
    return out


async def seed(db: Database, policy: Policy, n_open: int, n_due: int, prefix: str) -> None:
    all_rows = rows(policy, n_open, n_due, prefix)
    for start in range(0, len(all_rows), CHUNK):
        async with db.uow() as uow:
            await uow.session.execute(insert(t.challenges), all_rows[start:start + CHUNK])
            await uow.commit()
    async with db.engine.connect() as conn:  # fresh planner statistics, as autovacuum would
        await conn.execute(text("ANALYZE"))
        await conn.commit()


async def clear(db: Database) -> None:
    async with db.uow() as uow:
        for table in (t.outbox, t.challenge_events, t.challenges):
            await uow.session.execute(table.delete())
        await uow.session.execute(t.audit_head.update().values(seq=0, hash=t.singleton_rows()[0][1]["hash"]))
        await uow.commit()


async def timed(fn: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = await fn()
    return time.perf_counter() - started, value


async def read_due(db: Database) -> int:
    """Just read the due rows (the same predicate and index as the tick's claim), and parse them."""
    c = t.challenges.c
    async with db.uow(read_only=True) as uow:
        data = (await uow.session.scalars(
            select(c.data).where(c.wake_at.is_not(None), c.wake_at <= NOW).order_by(c.wake_at, c.reference))).all()
    return len([Challenge.model_validate_json(d) for d in data])


async def read_open(db: Database) -> list[Challenge]:
    c = t.challenges.c
    async with db.uow(read_only=True) as uow:
        data = (await uow.session.scalars(select(c.data).where(c.wake_at.is_not(None)))).all()
    return [Challenge.model_validate_json(d) for d in data]


async def tick_case(db: Database, policy: Policy, n_open: int, n_due: int) -> tuple[float, float, int]:
    await clear(db)
    await seed(db, policy, n_open, n_due, "CH-")
    read_s, found = await timed(lambda: read_due(db))
    assert found == n_due, (found, n_due)
    bot = Mashbot(uow=db.uow, policy=policy, new_reference=lambda: "CH-" + secrets.token_hex(4))
    calendar_of(policy).next_opening_after(NOW)  # warm-up: the holiday data's one-off import is not the tick's cost
    tick_s, report = await timed(lambda: bot.tick(NOW))
    assert report.examined == n_due and report.changed == n_due, report
    return tick_s, read_s, report.messages


async def digest_case(db: Database, policy: Policy, n_open: int) -> tuple[float, float, float, int]:
    """(load + build, build only, read of the rows, recipients); the read is the best of two."""
    await clear(db)
    await seed(db, policy, n_open, 0, "DG-")
    first_s, found = await timed(lambda: read_open(db))
    assert len(found) == n_open
    digest_s, digests = await timed(lambda: prepare_digests(db, policy, NOW))
    assert digests and max(d.open_total for d in digests) == n_open
    second_s, _ = await timed(lambda: read_open(db))
    cal = calendar_of(policy)
    build_s, _ = await timed(lambda: _build(found, Roster(people()), policy, cal))
    return digest_s, build_s, min(first_s, second_s), len(digests)


async def _build(found: list[Challenge], roster: Roster, policy: Policy, cal: Any) -> Any:
    return build_digests(found, roster, policy, NOW, previous_digest_time(cal, NOW), cal=cal)


async def run_backend(name: str, url: str, args: argparse.Namespace) -> None:
    policy = load_policy()
    await upgrade(url)
    db = Database(url)
    try:
        async with db.uow() as uow:
            await uow.people.replace(people(), source="bench", now=NOW)
            await uow.commit()
        n_due = max(1, args.open // 100)
        n_small = max(n_due, args.open // 10)
        t0 = time.perf_counter()
        await tick_case(db, policy, n_due * 2, n_due)  # warm-up: caches, compiled statements
        small_tick_s, _, _ = await tick_case(db, policy, n_small, n_due)
        tick_s, read_s, messages = await tick_case(db, policy, args.open, n_due)
        digest_s, build_s, digest_read_s, recipients = await digest_case(db, policy, args.digest)
        elapsed = time.perf_counter() - t0
    finally:
        await db.dispose()
    print(f"\n[{name}] {args.open:,} open challenges, {n_due:,} due ({messages:,} messages queued by the tick)")
    print(f"  tick / read of the due rows                     = {tick_s / read_s:6.2f}  (target < 5)")
    print(f"  tick with {args.open:,} open / with {n_small:,} open (same due) "
          f"= {tick_s / small_tick_s:6.2f}  (near 1: cost follows the due rows)")
    print(f"[{name}] digest for {args.digest:,} open challenges, {recipients} recipients")
    print(f"  digest (load + build all) / read of the rows   = {digest_s / digest_read_s:6.2f}")
    print(f"  digest build alone (pure) / read of the rows   = {build_s / digest_read_s:6.2f}")
    print(f"  (whole {name} run incl. bulk inserts: {elapsed:.0f}s)")


async def postgres_url() -> tuple[str, Callable[[], Awaitable[None]]] | None:
    server = os.environ.get("MASHBOT_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"mashbot_bench_{secrets.token_hex(4)}"
    admin = make_engine(server, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - reported, and the SQLite half still runs
        print(f"PostgreSQL unavailable ({type(exc).__name__}); skipping it")
        await admin.dispose()
        return None

    async def drop() -> None:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()

    return make_url(server).set(database=name).render_as_string(hide_password=False), drop


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--digest", type=int, default=10_000)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    if args.only != "postgresql":
        with tempfile.TemporaryDirectory() as tmp:
            await run_backend("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", args)
    if args.only != "sqlite":
        found = await postgres_url()
        if found:
            url, drop = found
            try:
                await run_backend("postgresql", url, args)
            finally:
                await drop()


if __name__ == "__main__":
    asyncio.run(main())
