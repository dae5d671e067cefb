"""A press that changes nothing (stale, repeated, someone else's) is answered from a read: it
never waits for the write lock a tick or another press holds (SQLite's single writer lock,
PostgreSQL's row lock)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import make_url, select

from adapters import bootstrap
from bot.commands import Accept, RaiseChallenge
from bot.errors import AlreadyActioned, NotAllowed
from storage import tables as t
from storage.database import make_engine
from tests.clock.support import import_roster, settings
from tests.ladder_harness import local

MON = local("2027-01-04 10:00")
QUICK = 2.0  # seconds: far below SQLite's 15 s busy timeout


@asynccontextmanager
async def write_lock_held(database_url: str, reference: str) -> AsyncIterator[None]:
    """Someone else (a tick, a press) holds the lock on the challenge until the block ends."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        conn = sqlite3.connect(url.database, isolation_level=None, timeout=0)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            await conn.execute(select(t.challenges.c.reference).where(t.challenges.c.reference == reference)
                               .with_for_update())
            yield
            await conn.rollback()
    finally:
        await engine.dispose()


async def test_presses_that_change_nothing_do_not_wait_for_the_write_lock(database_url: str) -> None:
    service = bootstrap.build(settings(database_url))
    try:
        await import_roster(service.database)
        raised = await service.mashbot.raise_challenge(RaiseChallenge(
            actor_id="practitioner", case_reference="LCS123456", area="East", decision_challenged="Level 2",
            requested_outcome="Level 3", reason_category="level_of_need", reason_text="Fictional reason."), MON)
        assert raised.challenge is not None
        ref = raised.challenge.reference
        await service.mashbot.handle(Accept(actor_id="pm-east-1", reference=ref, version=1), MON)
        async with write_lock_held(database_url, ref):
            with pytest.raises(AlreadyActioned, match="Already actioned by Pm East 1 at Mon 4 Jan, 10:00"):
                await asyncio.wait_for(
                    service.mashbot.handle(Accept(actor_id="pm-east-2", reference=ref, version=1), MON), QUICK)
            with pytest.raises(AlreadyActioned):  # the same press again
                await asyncio.wait_for(
                    service.mashbot.handle(Accept(actor_id="pm-east-1", reference=ref, version=1), MON), QUICK)
            with pytest.raises(NotAllowed):  # someone else's challenge, current version
                await asyncio.wait_for(
                    service.mashbot.handle(Accept(actor_id="pm-north-1", reference=ref, version=2), MON), QUICK)
        async with service.database.uow(read_only=True) as uow:
            current = await uow.challenges.get(ref)
        assert current is not None and current.version == 2 and current.owner_id == "pm-east-1"
    finally:
        await service.close()


async def test_a_fresh_press_still_waits_its_turn_and_is_applied(database_url: str) -> None:
    service = bootstrap.build(settings(database_url))
    try:
        await import_roster(service.database)
        raised = await service.mashbot.raise_challenge(RaiseChallenge(
            actor_id="practitioner", case_reference="LCS123456", area="East", decision_challenged="Level 2",
            requested_outcome="Level 3", reason_category="level_of_need", reason_text="Fictional reason."), MON)
        assert raised.challenge is not None
        ref = raised.challenge.reference
        async with write_lock_held(database_url, ref):
            press = asyncio.ensure_future(
                service.mashbot.handle(Accept(actor_id="pm-east-2", reference=ref, version=1), MON))
            await asyncio.sleep(0.3)
            assert not press.done()  # a press that changes something is serialised with the writer
        result = await asyncio.wait_for(press, 10)
        assert result.challenge is not None and result.challenge.owner_id == "pm-east-2"
    finally:
        await service.close()

