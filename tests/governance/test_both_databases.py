"""A smaller generated quarter on SQLite and on PostgreSQL: the same known counts, a purge that
leaves the report unchanged, verify after purge, and two purges racing (two replicas)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select, update

from adapters.purge import purge
from adapters.reports.data import load_report
from storage import audit_chain
from storage import tables as t
from storage.database import Database
from tests.governance.conftest import REPORTED_AT, generate, policy
from tests.governance.quarter import QUARTER_END, QUARTER_START
from tests.governance.test_retention import PURGE_NOW, comparable


async def test_a_small_quarter_reports_purges_and_verifies(database_url: str) -> None:
    quarter = await generate(database_url, 48, complaints=5)
    database = Database(database_url)
    try:
        before = await load_report(database, policy(), QUARTER_START, QUARTER_END, REPORTED_AT)
        assert before.counts() == quarter.counts()

        # two replicas' daily jobs at once: each challenge is purged once, the chain stays whole
        later = PURGE_NOW + timedelta(days=400)
        other = Database(database_url)
        try:
            first, second = await asyncio.gather(purge(database, policy(), later), purge(other, policy(), later))
        finally:
            await other.dispose()
        purged = first.references + second.references
        assert len(purged) == len(set(purged)) == 48 - 2  # all but the two still open
        async with database.uow(read_only=True) as uow:
            assert await uow.session.scalar(select(func.count()).select_from(t.challenge_summaries)) == 46

        after = await load_report(database, policy(), QUARTER_START, QUARTER_END, REPORTED_AT)
        assert comparable(after) == comparable(before)
        assert after.kept_as_summaries == 46
        check = await audit_chain.verify_database(database)
        assert check.broken is None and check.events > 46

        ev = t.challenge_events.c
        async with database.uow() as uow:
            seq = await uow.session.scalar(select(func.min(ev.seq)).where(ev.detail.like('%"_tombstone"%')))
            await uow.session.execute(update(t.challenge_events).where(ev.seq == seq).values(stage=9))
            await uow.commit()
        assert (await audit_chain.verify_database(database)).broken is not None
    finally:
        await database.dispose()
