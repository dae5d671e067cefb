"""The 08:30 digest job: working days only, once per person and day across processes."""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime

import pytest
from sqlalchemy import select

from adapters import bootstrap
from adapters.scheduler import Clockwork, build_dispatcher
from bot.challenge import State
from dialogs.digest import queue_digests
from storage import tables as t
from storage.database import Database
from storage.digest_reads import SqlDigestStore
from storage.marks import last_digests
from tests.clock.support import LANCASHIRE, challenge, local, settings

WED = local("2027-01-06 08:30")


async def seed(database: Database) -> None:
    async with database.uow() as uow:
        await uow.challenges.add(challenge("CH-EAST", area="East", due="2027-01-06 17:00", raised="2027-01-05 10:00"))
        await uow.challenges.add(challenge("CH-NRTH", area="North", stage=1, due="2027-01-07 17:00",
                                           state=State.ACCEPTED, owner_id="team-manager"))
        await uow.commit()


async def digest_rows(database: Database) -> list[tuple[str, dict]]:
    async with database.uow(read_only=True) as uow:
        rows = await uow.session.execute(
            select(t.outbox.c.recipient, t.outbox.c.payload).where(t.outbox.c.kind == "digest").order_by(t.outbox.c.id))
        return [(r, json.loads(p)) for r, p in rows]


@pytest.mark.parametrize("day", [
    "2027-01-09",  # Saturday
    "2027-01-10",  # Sunday
    "2027-01-01",  # New Year's Day
    "2026-12-28",  # Boxing Day (substitute)
    "2027-03-29",  # Easter Monday (England only: needs the subdivision)
    "2027-08-30",  # Summer bank holiday (England)
])
async def test_no_digest_on_weekends_or_bank_holidays(roster_db: Database, day: str) -> None:
    await seed(roster_db)
    run = await queue_digests(SqlDigestStore(roster_db), LANCASHIRE, local(f"{day} 08:30"))
    assert not run.working_day and not run.queued
    assert await digest_rows(roster_db) == []
    async with roster_db.uow(read_only=True) as uow:
        assert await last_digests(uow.session) == {}


async def test_no_digest_on_a_closure_day(roster_db: Database) -> None:
    closing = LANCASHIRE.model_copy(update={"closure_days": (date(2027, 1, 6),)})
    await seed(roster_db)
    run = await queue_digests(SqlDigestStore(roster_db), closing, WED)
    assert not run.working_day and await digest_rows(roster_db) == []


async def test_the_job_skips_a_bank_holiday_the_cron_trigger_fires_on(database_url: str) -> None:
    service = bootstrap.build(settings(database_url))
    try:
        clockwork = Clockwork(service, build_dispatcher(service))
        trigger = clockwork.digest_trigger()
        easter = trigger.get_next_fire_time(None, datetime.fromisoformat("2027-03-26T09:00:00+00:00"))
        assert easter.isoformat() == "2027-03-29T08:30:00+01:00"  # Mon, BST: cron knows no holidays
        run = await clockwork.digest(easter)
        assert run is not None and not run.working_day
    finally:
        await service.close()


async def test_two_runs_for_the_same_date_queue_each_digest_once(roster_db: Database) -> None:
    await seed(roster_db)
    first = await queue_digests(SqlDigestStore(roster_db), LANCASHIRE, WED)
    second = await queue_digests(SqlDigestStore(roster_db), LANCASHIRE, local("2027-01-06 09:45"))
    assert first.queued == ["senior-manager", "head-of-service", "sm-north"]
    assert second.queued == [] and second.already == first.queued
    rows = await digest_rows(roster_db)
    assert [r for r, _ in rows] == first.queued
    body = rows[0][1]["data"]["body"]
    assert "CH-EAST" in body and "LCS999999" not in body and "SECRET" not in body


async def test_two_processes_at_once_queue_each_digest_once(roster_db: Database, database_url: str) -> None:
    await seed(roster_db)
    others = [Database(database_url) for _ in range(3)]
    try:
        runs = await asyncio.gather(*(queue_digests(SqlDigestStore(db), LANCASHIRE, WED)
                                      for db in [roster_db, *others]))
    finally:
        for db in others:
            await db.dispose()
    queued = sorted(p for run in runs for p in run.queued)
    assert queued == ["head-of-service", "senior-manager", "sm-north"]
    assert sorted(r for r, _ in await digest_rows(roster_db)) == queued


async def test_the_next_digest_covers_what_happened_since_the_last(roster_db: Database) -> None:
    await seed(roster_db)
    await queue_digests(SqlDigestStore(roster_db), LANCASHIRE, WED)
    thursday = await queue_digests(SqlDigestStore(roster_db), LANCASHIRE, local("2027-01-07 08:30"))
    d = {x.person_id: x for x in thursday.digests}["senior-manager"]
    assert d.since == WED and d.raised == ()  # CH-EAST was in Wednesday's digest


async def test_an_empty_digest_is_claimed_but_not_sent(roster_db: Database) -> None:
    run = await queue_digests(SqlDigestStore(roster_db), LANCASHIRE, WED)
    assert run.queued == [] and run.empty == ["senior-manager", "head-of-service", "sm-north"]
    assert await digest_rows(roster_db) == []
