"""The storage contract: the same behaviour on SQLite and on PostgreSQL.

Every test taking `database` runs twice (ids [sqlite] and [postgresql]); see tests/conftest.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import ClauseElement, Executable, Select, select, text, update
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler

import bot
from bot.challenge import Challenge, Channel, Event, Message, Outcome, OutcomeRecord, State
from bot.policy import WEEKDAYS, Limit, LimitUnit, OfficeHoursSpec, Policy, StageSpec
from bot.roster import Person
from storage import tables as t
from storage.database import Database, async_url
from storage.migrate import current_revision, head_revision, upgrade
from storage.repositories import RosterConflict, due_query, pending_query
from storage.audit_chain import verify_audit, verify_database

LONDON = ZoneInfo("Europe/London")
T0 = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)  # a Monday
LANCASHIRE = Path(bot.__file__).resolve().parent / "packs" / "lancashire.yaml"


def policy() -> Policy:
    if LANCASHIRE.exists():
        return Policy.model_validate(yaml.safe_load(LANCASHIRE.read_text()))
    nine_to_five = OfficeHoursSpec(opens=time(9), closes=time(17))
    return Policy(
        name="contract", title="Contract test policy", office_hours={d: nine_to_five for d in WEEKDAYS[:5]},
        stages=(StageSpec(name="Team Manager", role="mash_team_manager",
                          limit=Limit(amount=5, unit=LimitUnit.WORKING_DAYS)),),
        levels_of_need=("1", "2", "3", "4"), record_location="by email", complaint_text="Use the complaints route.")


POLICY = policy()


def challenge(reference: str, wake: datetime | None = T0, *, state: State = State.OPEN, **extra: object) -> Challenge:
    """A fictional challenge whose wake time is `wake` (its due time; no nudge pending)."""
    fields: dict[str, object] = dict(
        reference=reference, case_reference="LCS123456", area="East", challenger_id="tara.nolan",
        decision_challenged="Level 2", requested_outcome="A Level 3 assessment",
        reason_category="level_of_need", reason_text="Fictional reason.", policy=POLICY,
        raised_at=T0 - timedelta(days=3), stage_started_at=T0 - timedelta(days=3),
        due_at=wake or T0, state=state, reviewers=("pm-east-1",),
    )
    if state in (State.CLOSED, State.WITHDRAWN):
        fields["closed_at"] = T0 - timedelta(days=1)
    fields.update(extra)
    return Challenge.model_validate(fields)


def event(reference: str, kind: str, minutes: int = 0, **detail: object) -> Event:
    return Event(reference=reference, kind=kind, at=T0 + timedelta(minutes=minutes), actor_id="pm-east-1",
                 from_state="open", to_state="accepted", stage=0, detail=detail)


def message(to: str, reference: str = "CH-AAAAAA", kind: str = "raised") -> Message:
    return Message(kind=kind, to=to, reference=reference, channel=Channel.CHAT, data={"stage": 0})


def person(pid: str, email: str | None = None) -> Person:
    return Person(id=pid, name=pid.title(), email=email or f"{pid}@example.org", roles=("practice_manager",),
                  areas=("East",))


async def add(database: Database, *challenges: Challenge) -> None:
    async with database.uow() as uow:
        for ch in challenges:
            await uow.challenges.add(ch)
        await uow.commit()


async def append(database: Database, *events: Event) -> None:
    async with database.uow() as uow:
        await uow.events.append(events)
        await uow.commit()


# -- challenges ----------------------------------------------------------------------------

async def test_add_get_round_trip_preserves_the_whole_challenge(database: Database) -> None:
    local = datetime(2027, 6, 1, 10, 30, 15, 123456, tzinfo=LONDON)  # summer time, microseconds
    original = challenge(
        "CH-ROUND1", local, state=State.OUTCOME_PROPOSED, owner_id="pm-east-1", urgent=True,
        urgent_reason="Fictional", answer_due_at=local + timedelta(days=1), breached=True,
        outcome=OutcomeRecord(kind=Outcome.DECISION_UPHELD, rationale="Fictional", stage=0, by="pm-east-1",
                              at=local),
        joint_agreed_by={"mash_county_manager": "county-manager"}, deciders=("pm-east-1",))
    await add(database, original)
    async with database.uow() as uow:
        loaded = await uow.challenges.get("CH-ROUND1")
        row = (await uow.session.execute(select(t.challenges).where(t.challenges.c.reference == "CH-ROUND1"))).one()
    assert loaded == original
    assert loaded is not None and loaded.policy == POLICY
    assert row.due_at == local and row.due_at.tzinfo is not None and row.due_at.utcoffset() == timedelta(0)
    assert row.wake_at == original.wake_at and row.state == "outcome_proposed" and row.owner_id == "pm-east-1"
    assert row.urgent is True and row.breached is True and row.version == 1


async def test_get_of_an_unknown_reference_is_none(database: Database) -> None:
    async with database.uow() as uow:
        assert await uow.challenges.get("CH-NOPE00") is None


async def test_update_with_a_stale_version_returns_false_and_changes_nothing(database: Database) -> None:
    await add(database, challenge("CH-UPD001"))
    async with database.uow() as uow:
        ch = await uow.challenges.get("CH-UPD001")
        assert ch is not None
        ch.state, ch.owner_id, ch.version = State.ACCEPTED, "pm-east-1", 2
        assert await uow.challenges.update(ch, expected_version=1) is True
        await uow.commit()
    async with database.uow() as uow:
        stale = challenge("CH-UPD001", state=State.WITHDRAWN, version=2)
        assert await uow.challenges.update(stale, expected_version=1) is False
        await uow.commit()
        current = await uow.challenges.get("CH-UPD001")
    assert current is not None and current.state is State.ACCEPTED and current.version == 2


async def test_uncommitted_work_is_rolled_back(database: Database) -> None:
    async with database.uow() as uow:
        await uow.challenges.add(challenge("CH-ROLL01"))
        await uow.events.append([event("CH-ROLL01", "raised")])
        await uow.outbox.add([message("pm-east-1")], T0)
    with pytest.raises(RuntimeError):
        async with database.uow() as uow:
            await uow.challenges.add(challenge("CH-ROLL02"))
            raise RuntimeError("boom")
    async with database.uow() as uow:
        assert await uow.challenges.listing(active_only=False) == []
        assert await uow.outbox.counts() == {}
    assert (await verify_database(database))[:2] == (0, None)


async def test_due_returns_active_rows_at_or_before_now_oldest_first_up_to_the_limit(database: Database) -> None:
    await add(database,
              challenge("CH-DUE003", T0 - timedelta(hours=1)),
              challenge("CH-DUE001", T0 - timedelta(hours=3)),
              challenge("CH-DUE002", T0 - timedelta(hours=2)),
              challenge("CH-DUEAT0", T0),
              challenge("CH-LATER1", T0 + timedelta(seconds=1)),
              challenge("CH-ACCEPT", T0 - timedelta(hours=5), state=State.ACCEPTED, owner_id="pm-east-1"))
    async with database.uow() as uow:
        assert [c.reference for c in await uow.challenges.due(T0, 10)] == [
            "CH-ACCEPT", "CH-DUE001", "CH-DUE002", "CH-DUE003", "CH-DUEAT0"]
    async with database.uow() as uow:
        assert [c.reference for c in await uow.challenges.due(T0, 2)] == ["CH-ACCEPT", "CH-DUE001"]
    async with database.uow() as uow:
        assert await uow.challenges.due(T0 - timedelta(days=1), 10) == []


async def test_inactive_challenges_are_never_due(database: Database) -> None:
    past = T0 - timedelta(days=2)
    await add(database, challenge("CH-CLOSED", past, state=State.CLOSED),
              challenge("CH-WDRAWN", past, state=State.WITHDRAWN), challenge("CH-OPEN01", past))
    async with database.uow() as uow:
        ch = await uow.challenges.get("CH-OPEN01")
        assert ch is not None
        ch.state, ch.closed_at, ch.version = State.CLOSED, T0, 2
        assert await uow.challenges.update(ch, 1)
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.challenges.due(T0 + timedelta(days=365), 100) == []
        wakes = (await uow.session.execute(select(t.challenges.c.wake_at))).scalars().all()
    assert wakes == [None, None, None]


async def test_concurrent_workers_claim_disjoint_due_rows(database: Database) -> None:
    """PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: the second worker waits for the first."""
    refs = [f"CH-CLM{i:03d}" for i in range(6)]
    await add(database, *(challenge(r, T0 - timedelta(minutes=10 - i)) for i, r in enumerate(refs)))
    claimed_b: asyncio.Future[list[str]] = asyncio.get_running_loop().create_future()

    async def worker_b() -> None:
        async with database.uow() as uow:
            claimed_b.set_result([c.reference for c in await uow.challenges.due(T0, 10)])
            await uow.commit()

    async with database.uow() as uow_a:
        claimed_a = await uow_a.challenges.due(T0, 3)
        task = asyncio.create_task(worker_b())
        await asyncio.sleep(0.3)
        assert claimed_b.done() is (database.dialect == "postgresql")  # SQLite: B waits for A's lock
        for ch in claimed_a:  # what a tick does: move the wake time on
            expected, ch.due_at, ch.version = ch.version, T0 + timedelta(days=1), ch.version + 1
            assert await uow_a.challenges.update(ch, expected)
        await uow_a.commit()
    await asyncio.wait_for(task, 10)
    a, b = [c.reference for c in claimed_a], claimed_b.result()
    assert a == refs[:3] and sorted(b) == refs[3:] and not set(a) & set(b)


async def test_a_read_only_unit_of_work_does_not_wait_for_a_writer(database: Database) -> None:
    await add(database, challenge("CH-READ01"))
    async with database.uow() as writer:
        await writer.challenges.add(challenge("CH-READ02"))

        async def read() -> list[str]:
            async with database.uow(read_only=True) as reader:
                return [c.reference for c in await reader.challenges.listing()]

        assert await asyncio.wait_for(read(), 5) == ["CH-READ01"]
        await writer.commit()


async def test_listing_filters_by_activity_and_by_person(database: Database) -> None:
    await add(database,
              challenge("CH-LST001", reviewers=("pm-east-2",)),
              challenge("CH-LST002", state=State.ACCEPTED, owner_id="pm_east.3", reviewers=("pm-east-2",)),
              challenge("CH-LST003", state=State.CLOSED, challenger_id="pm-east-2"),
              challenge("CH-LST004", challenger_id="someone", reviewers=("pmXeastX3",)))
    async with database.uow() as uow:
        active = [c.reference for c in await uow.challenges.listing()]
        everything = [c.reference for c in await uow.challenges.listing(active_only=False)]
        mine = [c.reference for c in await uow.challenges.listing(active_only=False, person_id="pm-east-2")]
        owner = [c.reference for c in await uow.challenges.listing(person_id="pm_east.3")]
        nobody = await uow.challenges.listing(person_id="pm-east")
    assert active == ["CH-LST001", "CH-LST002", "CH-LST004"]
    assert everything == ["CH-LST001", "CH-LST002", "CH-LST003", "CH-LST004"]
    assert mine == ["CH-LST001", "CH-LST002", "CH-LST003"]
    assert owner == ["CH-LST002"] and nobody == []


async def test_listing_by_person_finds_the_challenges_they_are_the_counterpart_of(database: Database) -> None:
    await add(database, challenge("CH-LST005", counterparts=((2, "loc-sm-east"),)), challenge("CH-LST006"))
    async with database.uow() as uow:
        theirs = [c.reference for c in await uow.challenges.listing(person_id="loc-sm-east")]
    assert theirs == ["CH-LST005"]


async def test_naive_datetimes_are_refused(database: Database) -> None:
    async with database.uow() as uow:
        with pytest.raises(Exception, match="naive datetime"):
            await uow.outbox.add([message("pm-east-1")], datetime(2027, 1, 4, 9, 0))


class Explain(Executable, ClauseElement):
    """EXPLAIN of a statement, with its parameters bound as usual."""

    inherit_cache = False

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement


@compiles(Explain)
def _compile_explain(element: Explain, compiler: SQLCompiler, **kw: Any) -> str:
    prefix = "EXPLAIN QUERY PLAN " if compiler.dialect.name == "sqlite" else "EXPLAIN "
    sql = compiler.process(element.statement, **kw)
    compiler._result_columns.clear()  # the plan's rows are text, not the statement's columns
    return prefix + sql


@pytest.mark.parametrize(("query", "index"), [(due_query, "ix_challenges_wake_at"),
                                              (pending_query, "ix_outbox_next_attempt_at")])
async def test_the_tick_and_the_dispatcher_read_through_their_partial_indexes(
        database: Database, query: Callable[[datetime, int], Select[Any]], index: str) -> None:
    async with database.uow() as uow:
        if database.dialect == "postgresql":
            await uow.session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(str(row[-1]) for row in await uow.session.execute(Explain(query(T0, 50))))
    assert index in plan, plan


# -- audit trail ---------------------------------------------------------------------------

async def test_appended_events_form_a_chain_that_verifies(database: Database) -> None:
    first = [event("CH-EVT001", "raised", 0, urgent=False, due_at="2027-01-05T17:00:00+00:00"),
             event("CH-EVT002", "raised", 1)]
    later = Event(reference="CH-EVT001", kind="accepted", at=datetime(2027, 6, 1, 10, 0, 0, 5, tzinfo=LONDON),
                  actor_id=None, from_state=None, to_state=None, stage=None, detail={"nested": {"list": [1, 2.5]}})
    await append(database, *first)
    await append(database, later)
    async with database.uow() as uow:
        assert await uow.events.for_challenge("CH-EVT001") == [first[0], later]
        rows = (await uow.session.execute(select(t.challenge_events).order_by(t.challenge_events.c.seq))).all()
    assert [r.seq for r in rows] == [1, 2, 3]
    assert rows[0].prev_hash == "0" * 64 and rows[1].prev_hash == rows[0].hash
    assert rows[2].prev_hash == rows[1].hash
    assert (await verify_database(database))[:2] == (3, None)
    async with database.session() as session:
        assert (await verify_audit(session))[:2] == (3, None)


async def test_tampering_with_one_event_is_found_at_its_seq(database: Database) -> None:
    await append(database, *(event("CH-TAMPER", f"kind{i}", i, n=i) for i in range(4)))
    async with database.uow() as uow:
        await uow.session.execute(update(t.challenge_events).where(t.challenge_events.c.seq == 3)
                                  .values(detail='{"n":99}'))
        await uow.commit()
    assert (await verify_database(database))[:2] == (2, 3)


async def test_removing_events_is_found(database: Database) -> None:
    await append(database, *(event("CH-REMOVE", f"kind{i}", i) for i in range(5)))
    async with database.uow() as uow:
        await uow.session.execute(text("DELETE FROM challenge_events WHERE seq = 5"))
        await uow.commit()
    assert (await verify_database(database))[:2] == (4, 5)  # the tail: the head row remembers seq 5
    async with database.uow() as uow:
        await uow.session.execute(text("DELETE FROM challenge_events WHERE seq = 2"))
        await uow.commit()
    assert (await verify_database(database))[:2] == (1, 2)


async def test_concurrent_appends_keep_one_chain(database: Database) -> None:
    async def writer(n: int) -> None:
        async with database.uow() as uow:
            await uow.events.append([event(f"CH-CONC{n:02d}", "a", n)])
            await asyncio.sleep(0.01)  # hold the head while others try
            await uow.events.append([event(f"CH-CONC{n:02d}", "b", n), event(f"CH-CONC{n:02d}", "c", n)])
            await uow.commit()

    await asyncio.wait_for(asyncio.gather(*(writer(n) for n in range(8))), 30)
    assert (await verify_database(database))[:2] == (24, None)
    async with database.uow() as uow:
        rows = (await uow.session.execute(
            select(t.challenge_events.c.seq, t.challenge_events.c.reference).order_by(t.challenge_events.c.seq))).all()
    assert [r.seq for r in rows] == list(range(1, 25))
    runs = [[r.reference for r in rows[i:i + 3]] for i in range(0, 24, 3)]
    assert all(len(set(run)) == 1 for run in runs)  # each unit of work's events stay together


# -- outbox --------------------------------------------------------------------------------

async def test_outbox_add_claim_and_mark_sent(database: Database) -> None:
    async with database.uow() as uow:
        await uow.outbox.add([message("pm-east-1"), message("tara.nolan", kind="accepted")], T0)
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.outbox.claim_pending(T0 - timedelta(seconds=1), 10) == []
        first = await uow.outbox.claim_pending(T0, 1)
        await uow.commit()
    assert [(i.message, i.attempts) for i in first] == [(message("pm-east-1"), 1)]
    assert first[0].created_at == T0
    async with database.uow() as uow:
        second = await uow.outbox.claim_pending(T0, 10)  # the first is leased
        assert [i.message.to for i in second] == ["tara.nolan"]
        await uow.outbox.mark_sent(first[0].id, "slack:D1:1700000000.000100", T0 + timedelta(seconds=5))
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.outbox.last_external_id("CH-AAAAAA", "pm-east-1") == "slack:D1:1700000000.000100"
        assert await uow.outbox.last_external_id("CH-AAAAAA", "tara.nolan") is None
        assert await uow.outbox.counts() == {"pending": 1, "sent": 1}
        assert await uow.outbox.claim_pending(T0 + timedelta(hours=1), 10) != []  # the lease ran out
        assert await uow.outbox.purge_sent(T0 + timedelta(days=1)) == 1


async def test_outbox_failures_retry_later_or_give_up(database: Database) -> None:
    async with database.uow() as uow:
        await uow.outbox.add([message("a-person"), message("b-person")], T0)
        await uow.commit()
    async with database.uow() as uow:
        a, b = await uow.outbox.claim_pending(T0, 10)
        await uow.outbox.mark_failed(a.id, "HTTP 503 " + "x" * 1000, T0 + timedelta(minutes=5))
        await uow.outbox.mark_failed(b.id, "user not found", None)
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.outbox.claim_pending(T0 + timedelta(minutes=4), 10) == []
        again = await uow.outbox.claim_pending(T0 + timedelta(minutes=5), 10)
        errors = (await uow.session.execute(select(t.outbox.c.status, t.outbox.c.last_error)
                                            .order_by(t.outbox.c.id))).all()
    assert [(i.message.to, i.attempts) for i in again] == [("a-person", 2)]
    assert errors[0].status == "pending" and len(errors[0].last_error) == 500
    assert tuple(errors[1]) == ("failed", "user not found")


async def test_outbox_names_who_was_never_reached_about_a_challenge(database: Database) -> None:
    async with database.uow() as uow:
        await uow.outbox.add([message("a-person"), message("b-person"), message("b-person", kind="accepted"),
                              message("c-person")], T0)
        await uow.commit()
    async with database.uow() as uow:
        a, b1, b2, c = await uow.outbox.claim_pending(T0, 10)
        await uow.outbox.mark_failed(a.id, "no chat, email refused", None)  # gave up: never reached
        await uow.outbox.mark_failed(b1.id, "no chat, email refused", None)
        await uow.outbox.mark_sent(b2.id, None, T0)  # b was reached after all
        await uow.outbox.mark_failed(c.id, "HTTP 503", T0 + timedelta(minutes=5))  # still retrying
        await uow.commit()
    async with database.uow(read_only=True) as uow:
        assert await uow.outbox.unreachable("CH-AAAAAA") == ["a-person"]
        assert await uow.outbox.unreachable("CH-BBBBBB") == []


async def test_concurrent_dispatchers_claim_disjoint_outbox_rows(database: Database) -> None:
    async with database.uow() as uow:
        await uow.outbox.add([message(f"p{i}") for i in range(4)], T0)
        await uow.commit()
    async with database.uow() as uow_a:
        a = await uow_a.outbox.claim_pending(T0, 2)

        async def dispatcher_b() -> list[str]:
            async with database.uow() as uow_b:
                found = await uow_b.outbox.claim_pending(T0, 10)
                await uow_b.commit()
                return [i.message.to for i in found]

        task = asyncio.create_task(dispatcher_b())
        await asyncio.sleep(0.2)
        await uow_a.commit()
    b = await asyncio.wait_for(task, 10)
    assert [i.message.to for i in a] == ["p0", "p1"] and b == ["p2", "p3"]


# -- tallies, people, conversation references, scheduler marks ------------------------------

async def test_tallies_increment_is_an_upsert(database: Database) -> None:
    day = T0.date()
    for _ in range(2):
        async with database.uow() as uow:
            await uow.tallies.increment("complaint_redirected", "East", day)
            await uow.commit()
    async with database.uow() as uow:
        await uow.tallies.increment("complaint_redirected", "North", day)
        await uow.commit()
        assert await uow.tallies.get("complaint_redirected", "East", day) == 2
        assert await uow.tallies.get("complaint_redirected", "Central", day) == 0
        assert await uow.tallies.between(day, day) == [("complaint_redirected", "East", day, 2),
                                                       ("complaint_redirected", "North", day, 1)]


async def test_people_replace_swaps_the_roster_in_order(database: Database) -> None:
    async with database.uow() as uow:
        assert len(await uow.people.roster()) == 0
        await uow.people.replace([person("zed"), person("amy")], source="first.yaml", now=T0)
        await uow.commit()
    async with database.uow() as uow:
        roster = await uow.people.roster()
        assert [p.id for p in roster.people] == ["zed", "amy"] and roster.get("amy") == person("amy")
        await uow.people.replace([person("bob", "Bob@Example.org")], source="second.yaml", now=T0)
        await uow.commit()
    async with database.uow() as uow:
        assert [p.id for p in (await uow.people.roster()).people] == ["bob"]
        assert await uow.people.count() == 1
        meta = await uow.people.meta()
    assert (meta.version, meta.source, meta.count, meta.imported_at) == (2, "second.yaml", 1, T0)


async def test_a_failing_replace_leaves_the_previous_roster(database: Database) -> None:
    async with database.uow() as uow:
        await uow.people.replace([person("amy"), person("bob")], source="good.yaml")
        await uow.commit()
    with pytest.raises(RosterConflict):
        async with database.uow() as uow:
            await uow.people.replace([person("cat", "same@example.org"), person("dan", "SAME@example.org")],
                                     source="bad.yaml")
            await uow.commit()
    async with database.uow() as uow:
        assert [p.id for p in (await uow.people.roster()).people] == ["amy", "bob"]
        assert (await uow.people.meta()).source == "good.yaml"


async def test_a_replica_sees_a_roster_imported_by_another(database: Database) -> None:
    other = Database(database.url)
    try:
        async with database.uow() as uow:
            await uow.people.replace([person("amy")], source="one")
            await uow.commit()
        async with other.uow() as uow:
            assert [p.id for p in (await uow.people.roster()).people] == ["amy"]
        async with database.uow() as uow:
            await uow.people.replace([person("bob")], source="two")
            await uow.commit()
        async with other.uow() as uow:
            assert [p.id for p in (await uow.people.roster()).people] == ["bob"]
    finally:
        await other.dispose()


async def test_conversation_references_are_upserted(database: Database) -> None:
    async with database.uow() as uow:
        await uow.conversations.put("amy", "teams", '{"conversation": {"id": "a:1"}}', T0)
        await uow.conversations.put("amy", "teams", '{"conversation": {"id": "a:2"}}', T0)
        await uow.conversations.put("amy", "slack", "D0123", T0)
        with pytest.raises(ValueError):
            await uow.conversations.put("amy", "fax", "x", T0)
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.conversations.get("amy", "teams") == '{"conversation": {"id": "a:2"}}'
        assert await uow.conversations.get("amy", "slack") == "D0123"
        assert await uow.conversations.get("bob", "slack") is None


async def test_scheduler_marks_are_claimed_once(database: Database) -> None:
    async with database.uow() as uow:
        assert await uow.marks.claim("digest", "amy/2027-01-04", T0) is True
        assert await uow.marks.claim("digest", "amy/2027-01-04", T0) is False
        await uow.marks.set("tick", "last", T0)
        await uow.marks.set("tick", "last", T0 + timedelta(seconds=30))
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.marks.get("tick", "last") == T0 + timedelta(seconds=30)
        assert await uow.marks.get("digest", "amy/2027-01-04") == T0


# -- database, migrations -------------------------------------------------------------------

async def test_ping_answers(database: Database) -> None:
    await database.ping()


async def test_ping_raises_when_the_database_is_unreachable(tmp_path: Path) -> None:
    for url in (f"sqlite:///{tmp_path}/missing/dir/x.db", "postgresql://postgres@127.0.0.1:1/postgres"):
        db = Database(url)
        try:
            with pytest.raises(Exception):  # noqa: B017 - any driver error will do
                await db.ping(timeout=5)
        finally:
            await db.dispose()
    # aiosqlite stops a failed connection's thread with a future on this loop; let it land
    # before the loop closes, or the thread reports "Event loop is closed" in a later test.
    await asyncio.sleep(0.1)


async def test_migrations_run_twice_are_a_no_op(database_url: str, database: Database) -> None:
    await add(database, challenge("CH-KEEP01"))
    await append(database, event("CH-KEEP01", "raised"))
    await upgrade(database_url)
    assert await current_revision(database_url) == head_revision() is not None
    async with database.uow() as uow:
        assert await uow.challenges.get("CH-KEEP01") is not None
    assert (await verify_database(database))[:2] == (1, None)


async def test_the_migrated_schema_matches_the_table_definitions(database: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    async with database.engine.connect() as conn:
        diff = await conn.run_sync(lambda sync: compare_metadata(MigrationContext.configure(sync), t.metadata))
    assert diff == []


async def test_sqlite_runs_with_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'pragmas.db'}")
    try:
        async with database.engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == 15000
    finally:
        await database.dispose()


def test_plain_urls_map_to_the_async_drivers() -> None:
    assert async_url("sqlite:///x.db").drivername == "sqlite+aiosqlite"
    assert async_url("postgresql://u@h/db").drivername == "postgresql+asyncpg"
    assert async_url("postgres://u@h/db").drivername == "postgresql+asyncpg"
    assert async_url("postgresql+asyncpg://u@h/db").drivername == "postgresql+asyncpg"
    assert dict(async_url("postgresql://u@h/db?sslmode=require").query) == {"ssl": "require"}
    assert "secret" not in repr(Database("postgresql://u:secret@127.0.0.1:1/db"))


async def test_upgrade_works_from_any_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    await upgrade("sqlite:///elsewhere.db")
    assert await current_revision(f"sqlite:///{tmp_path / 'elsewhere.db'}") == head_revision()


async def test_a_sent_stage3_form_keeps_no_family_details(database: Database) -> None:
    from sqlalchemy import select

    from storage import tables

    form = Message(kind="stage3_form", to="csap-team", reference="CH-AAAAAA",
                   data={"form": {"family": {"Parents": "Sam Example"}, "name_of_referrer": "Tara Nolan"},
                         "personal_keys": ["form.family"]})
    async with database.uow() as uow:
        await uow.outbox.add([form, message("pm-east-1")], T0)
        await uow.commit()
    async with database.uow() as uow:
        items = await uow.outbox.claim_pending(T0, 10)
        for item in items:
            await uow.outbox.mark_sent(item.id, None, T0)
            await uow.outbox.scrub(item.id, item.message)
        await uow.commit()
    async with database.session() as session:
        payloads = (await session.scalars(select(tables.outbox.c.payload))).all()
    assert len(payloads) == 2
    assert not any("Sam Example" in p for p in payloads)
    assert any("Tara Nolan" in p for p in payloads)  # the rest of the record stays


@pytest.mark.postgres
async def test_a_challenge_a_person_is_acting_on_is_left_to_the_next_tick(postgres_database: str) -> None:
    """PostgreSQL (SQLite has one writer at a time): a writing get() locks the row, so a
    concurrent tick skips it instead of overwriting the person's change; a read-only get()
    neither locks nor waits."""
    from tests.conftest import empty_postgres

    await empty_postgres(postgres_database)
    database = Database(postgres_database)
    try:
        await add(database, challenge("CH-LOCK01", T0 - timedelta(minutes=5)),
                  challenge("CH-LOCK02", T0 - timedelta(minutes=4)))
        async with database.uow() as person:
            assert await person.challenges.get("CH-LOCK01") is not None
            async with database.uow() as tick:
                assert [c.reference for c in await tick.challenges.due(T0, 10)] == ["CH-LOCK02"]
            async with database.uow(read_only=True) as reader:
                assert (await asyncio.wait_for(reader.challenges.get("CH-LOCK01"), 5)) is not None
    finally:
        await database.dispose()
