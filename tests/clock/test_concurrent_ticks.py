"""Two workers ticking the same database at once (two engines, real concurrent sessions)
do exactly what one tick does: no nudge, escalation or breach is doubled or lost."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from datetime import datetime

from sqlalchemy import select

from bot.commands import RaiseChallenge
from bot.handlers import Mashbot
from storage import tables as t
from storage.database import Database
from tests.clock.support import LANCASHIRE, local, roster_people
from tests.ladder_harness import Ladder

AREAS = ("East", "Central", "North", "CSSH")
RAISED = [local("2027-01-04 10:00"), local("2027-01-05 16:00"), local("2027-01-06 11:00")]


def mashbot(database: Database) -> Mashbot:
    counter = itertools.count(1)
    return Mashbot(uow=database.uow, policy=LANCASHIRE, new_reference=lambda: f"CH-{next(counter):04d}")


async def raise_all(raise_: object, n: int) -> None:
    for i in range(n):
        urgent = i % 5 == 0
        await raise_(RAISED[i % len(RAISED)], area=AREAS[i % 4], urgent=urgent,  # type: ignore[operator]
                     urgent_reason="Immediate risk." if urgent else None,
                     protective_action="Strategy discussion requested." if urgent else None)


async def db_outbox(database: Database) -> Counter:
    async with database.uow(read_only=True) as uow:
        rows = await uow.session.execute(select(t.outbox.c.kind, t.outbox.c.recipient, t.outbox.c.reference))
        return Counter(tuple(r) for r in rows)


async def db_events(database: Database) -> Counter:
    async with database.uow(read_only=True) as uow:
        rows = await uow.session.execute(select(t.challenge_events.c.reference, t.challenge_events.c.kind))
        return Counter(tuple(r) for r in rows)


async def test_two_concurrent_ticks_do_what_one_tick_does(roster_db: Database, database_url: str) -> None:
    n = 40
    # The reference run: the same challenges ticked once, on the in-memory ports.
    lad = Ladder(LANCASHIRE, roster_people())
    await raise_all(lad.raise_, n)
    stops: list[datetime] = [local("2027-01-06 10:00"), local("2027-01-13 09:30"), local("2027-02-01 09:00")]
    for at in stops:
        await lad.tick(at)
    expected_outbox = Counter((m.kind, m.to, m.reference) for m in lad.store.outbox)
    expected_events = Counter((e.reference, e.kind) for e in lad.store.events)

    first = mashbot(roster_db)
    await raise_all(lambda at, **kw: _raise(first, at, **kw), n)
    other = Database(database_url)
    try:
        second = mashbot(other)
        for at in stops:
            # A process stopped for days catches up in one go; two of them together still once.
            reports = await asyncio.gather(first.tick(at, batch=7), second.tick(at, batch=7))
            assert sum(r.examined for r in reports) > 0
    finally:
        await other.dispose()
    events = await db_events(roster_db)
    assert events == expected_events
    assert await db_outbox(roster_db) == expected_outbox
    escalations = Counter(ref for (ref, kind), k in events.items() if kind == "escalated_timeout" for _ in range(k))
    assert escalations and max(escalations.values()) <= len(LANCASHIRE.stages) - 1
    assert any(kind == "breached" for _, kind in events) and any(kind == "nudged" for _, kind in events)


async def _raise(bot: Mashbot, at: datetime, **overrides: object) -> None:
    """The same command the ladder harness sends, through the SQL-backed core."""
    await bot.raise_challenge(RaiseChallenge(**{  # type: ignore[arg-type]
        "actor_id": "practitioner", "case_reference": "LCS123456", "area": "East",
        "decision_challenged": "Level 2 – Additional support", "requested_outcome": "Level 3 assessment",
        "reason_category": "level_of_need", "reason_text": "Risk from repeated missing episodes not weighed.",
        **overrides,
    }), at)


async def test_a_tick_after_everything_is_done_changes_nothing(roster_db: Database, database_url: str) -> None:
    bot = mashbot(roster_db)
    await raise_all(lambda at, **kw: _raise(bot, at, **kw), 10)
    await bot.tick(local("2027-02-01 09:00"))
    before = await db_events(roster_db), await db_outbox(roster_db)
    report = await bot.tick(local("2027-02-01 09:00"))
    assert report.changed == 0 and (await db_events(roster_db), await db_outbox(roster_db)) == before
