"""Retention: the purge keeps the counts (reports for old quarters unchanged), removes the free
text, and the audit trail still verifies afterwards — and still catches tampering."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update

from adapters import bootstrap
from adapters.purge import cutoff_for, plan, purge, purge_job
from adapters.reports.data import load_report
from adapters.reports.files import csv_rows
from adapters.scheduler import Clockwork, build_dispatcher
from adapters.settings import Settings
from storage import audit_chain, retention
from storage import tables as t
from storage.database import Database
from tests.governance.conftest import REPORTED_AT, Generated, policy
from tests.governance.quarter import QUARTER_END, QUARTER_START
from tests.ladder_harness import LONDON

CUTOFF = datetime.combine(datetime(2026, 5, 15).date(), time(0), tzinfo=LONDON)
PURGE_NOW = CUTOFF + timedelta(days=730)  # the default retention: 2 years


async def report_of(database: Database):  # type: ignore[no-untyped-def]
    return await load_report(database, policy(), QUARTER_START, QUARTER_END, REPORTED_AT)


def comparable(report: Any) -> tuple[Any, ...]:
    return report.counts(), report.timeliness, csv_rows(report), [
        (ls.reference, ls.category, ls.at) for ls in report.lessons]


async def scalar(database: Database, query: Any) -> Any:
    async with database.uow(read_only=True) as uow:
        return await uow.session.scalar(query)


async def test_a_purge_keeps_the_old_quarter_report_as_it_was(quarter500: Generated, quarter_db: Database) -> None:
    before = await report_of(quarter_db)
    expect_purged = sorted(e.reference for e in quarter500.quarter.expects
                           if e.status != "open" and e.closed_at is not None and e.closed_at < CUTOFF)
    assert 100 < len(expect_purged) < 400  # a quarter half purged: live and summarised mix

    assert cutoff_for(policy(), PURGE_NOW) == CUTOFF
    dry = await plan(quarter_db, policy(), PURGE_NOW)
    assert sorted(c.reference for c in dry.candidates) == expect_purged
    assert await scalar(quarter_db, select(func.count()).select_from(t.challenge_summaries)) == 0  # dry: no change

    run = await purge(quarter_db, policy(), PURGE_NOW, batch=100)
    assert sorted(run.references) == expect_purged and run.batches == len(expect_purged) // 100 + 1
    after = await report_of(quarter_db)
    assert comparable(after) == comparable(before)
    assert after.kept_as_summaries == len(expect_purged) and before.kept_as_summaries == 0
    purged_lessons = [ls for ls in after.lessons if ls.reference in set(expect_purged)]
    assert purged_lessons and all(ls.text is None for ls in purged_lessons)

    # Nothing of the purged challenges' free text or case references is left.
    async with quarter_db.uow(read_only=True) as uow:
        s = uow.session
        assert await s.scalar(select(func.count()).select_from(t.challenges)) == 500 - len(expect_purged)
        assert await s.scalar(select(func.count()).select_from(t.challenge_summaries)) == len(expect_purged)
        assert await s.scalar(select(func.count()).select_from(t.outbox)
                              .where(t.outbox.c.reference.in_(expect_purged))) == 0
        details = (await s.execute(select(t.challenge_events.c.detail, t.challenge_events.c.actor_id)
                                   .where(t.challenge_events.c.reference.in_(expect_purged)))).all()
        assert details and all(json.loads(d).keys() == {"_tombstone"} and a is None for d, a in details)
        kept = " ".join(await s.scalars(select(t.challenge_summaries.c.facts)))
        for secret in ("LCS1", "not weighed", "Threshold training", "Upheld.", "Still disagree"):
            assert secret not in kept
        purges = (await s.execute(select(t.challenge_events.c.detail).where(
            t.challenge_events.c.kind == "purged"))).scalars().all()
        assert len(purges) == run.batches
        assert sum(len(json.loads(d)["references"]) for d in purges) == len(expect_purged)

    check = await audit_chain.verify_database(quarter_db)
    assert check.broken is None
    assert check.events == await scalar(quarter_db, select(func.count()).select_from(t.challenge_events))

    # Again: nothing more to do; then everything closed, years later: still the same report.
    assert (await purge(quarter_db, policy(), PURGE_NOW)).references == []
    everything = await purge(quarter_db, policy(), PURGE_NOW + timedelta(days=800))
    assert len(everything.references) == 500 - 20 - len(expect_purged)  # the 20 open ones stay
    assert comparable(await report_of(quarter_db)) == comparable(before)
    assert (await audit_chain.verify_database(quarter_db)).broken is None


async def _rows(database: Database, query: Any) -> list[Any]:
    async with database.uow(read_only=True) as uow:
        return list((await uow.session.execute(query)).all())


async def _change(database: Database, statement: Any) -> None:
    async with database.uow() as uow:
        await uow.session.execute(statement)
        await uow.commit()


async def test_after_a_purge_verify_passes_and_tampering_is_still_found(quarter_db: Database) -> None:
    await purge(quarter_db, policy(), PURGE_NOW)
    ok = await audit_chain.verify_database(quarter_db)
    assert ok.broken is None
    ev = t.challenge_events.c
    tomb = (await _rows(quarter_db, select(t.challenge_events).where(ev.detail.like('%"_tombstone"%'))
                        .order_by(ev.seq).limit(1)))[0]
    live = (await _rows(quarter_db, select(t.challenge_events).where(
        ev.seq > tomb.seq, ev.reference != "RETENTION", ~ev.detail.like('%"_tombstone"%')).order_by(ev.seq).limit(1)))[0]
    purge_event = (await _rows(quarter_db, select(t.challenge_events).where(ev.kind == "purged")))[0]
    summary = (await _rows(quarter_db, select(t.challenge_summaries).limit(1)))[0]

    async def broken_at(statement: Any, undo: Any) -> int | None:
        await _change(quarter_db, statement)
        check = await audit_chain.verify_database(quarter_db)
        await _change(quarter_db, undo)
        assert (await audit_chain.verify_database(quarter_db)) == ok  # restored: whole again
        return check.broken

    by_seq = lambda seq: update(t.challenge_events).where(ev.seq == seq)
    # a live event's detail edited
    assert await broken_at(by_seq(live.seq).values(detail='{"forged":true}'),
                           by_seq(live.seq).values(detail=live.detail)) == live.seq
    # a tombstone's kept fields edited (its kind, its time)
    assert await broken_at(by_seq(tomb.seq).values(kind="withdrawn"), by_seq(tomb.seq).values(kind=tomb.kind)) \
        == purge_event.seq
    assert await broken_at(by_seq(tomb.seq).values(at=tomb.at + timedelta(days=1)),
                           by_seq(tomb.seq).values(at=tomb.at)) == purge_event.seq
    # a live event dressed up as a tombstone of a real purge (to hide an edit)
    assert await broken_at(by_seq(live.seq).values(detail=tomb.detail), by_seq(live.seq).values(detail=live.detail)) \
        is not None
    # a tombstone naming no purge
    assert await broken_at(by_seq(tomb.seq).values(detail='{"_tombstone":"nope"}'),
                           by_seq(tomb.seq).values(detail=tomb.detail)) is not None
    # a tombstone's link hash rewritten
    assert await broken_at(by_seq(tomb.seq).values(hash="f" * 64), by_seq(tomb.seq).values(hash=tomb.hash)) \
        is not None
    # the purge record itself edited
    assert await broken_at(by_seq(purge_event.seq).values(detail=purge_event.detail.replace('"events":', '"events":1')),
                           by_seq(purge_event.seq).values(detail=purge_event.detail)) == purge_event.seq
    # a kept summary edited (the counts reports add up)
    s = t.challenge_summaries.c
    forged = summary.facts.replace('"area":"', '"area":"X', 1)
    assert forged != summary.facts
    assert await broken_at(update(t.challenge_summaries).where(s.reference == summary.reference).values(facts=forged),
                           update(t.challenge_summaries).where(s.reference == summary.reference)
                           .values(facts=summary.facts)) == purge_event.seq
    # a tombstone removed
    await _change(quarter_db, delete(t.challenge_events).where(ev.seq == tomb.seq))
    assert (await audit_chain.verify_database(quarter_db)).broken == tomb.seq


async def test_a_purge_refuses_to_run_on_a_broken_trail(quarter_db: Database) -> None:
    ev = t.challenge_events.c
    await _change(quarter_db, update(t.challenge_events).where(ev.seq == 3).values(detail='{"x":1}'))
    with pytest.raises(retention.PurgeRefused, match="broken at event 3"):
        await purge(quarter_db, policy(), PURGE_NOW)
    assert await scalar(quarter_db, select(func.count()).select_from(t.challenge_summaries)) == 0


async def test_the_daily_job_purges_and_is_scheduled(quarter_url: str, policy_file: Path) -> None:
    settings = Settings(MASHBOT_DATABASE_URL=quarter_url, MASHBOT_POLICY=str(policy_file))
    service = bootstrap.build(settings)
    service.clock_offset = PURGE_NOW - bootstrap.utc_now()
    try:
        run = await purge_job(service)
        assert run is not None and run.references
        assert (await audit_chain.verify_database(service.database)).broken is None
        clockwork = Clockwork(service, build_dispatcher(service), tick_seconds=3600)
        clockwork.start()
        try:
            assert clockwork.scheduler is not None
            job = clockwork.scheduler.get_job("purge")
            assert job is not None and str(job.trigger).startswith("cron[") and "hour='2'" in str(job.trigger)
        finally:
            await clockwork.stop()
    finally:
        await service.close()


async def test_a_failing_job_logs_the_error_type_only(caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    service = bootstrap.build(Settings(MASHBOT_DATABASE_URL=f"sqlite:///{tmp_path}/missing/x.db"))
    try:
        assert await purge_job(service) is None
    finally:
        await service.close()
    # aiosqlite stops a failed connection's thread with a future on this loop; let it land.
    await asyncio.sleep(0.1)
    assert "retention purge failed: OperationalError" in caplog.text
