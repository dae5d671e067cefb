"""SQL implementations of the core's ports (bot.ports), plus what the outbox dispatcher,
the scheduler, the channels and the CLI need from storage.

Every repository works inside the session of its unit of work and never commits.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from sqlalchemy import (
    CursorResult,
    Result,
    Row,
    Select,
    String,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import ColumnClause

from bot.audit import DEVELOPMENT_KEY
from bot.challenge import ACTIVE_STATES, NOT_KEPT, Challenge, Event, Message, State
from bot.roster import Person, Roster
from storage import tables as t
from storage.seals import AuditSealer
from storage.snapshots import SnapshotStore, challenge_data

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite

_ACTIVE = sorted(state.value for state in ACTIVE_STATES)
CHAT_CHANNELS = ("teams", "slack")
MAX_ERROR_CHARS = 500
PENDING: ColumnClause[str] = literal_column("'pending'", String())


def _rowcount(result: Result[Any]) -> int:
    return cast(CursorResult[Any], result).rowcount


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("naive datetime given to storage; pass an aware datetime")
    return at.astimezone(UTC)


def _upsert(dialect: str, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that can take ON CONFLICT clauses (PostgreSQL and SQLite spell them alike).
    Each dialect's module is imported when first used: the PostgreSQL one is a noticeable part
    of a SQLite service's start-up."""
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    if dialect == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert(table)
    raise ValueError(f"storage supports PostgreSQL and SQLite, not {dialect}")


# -- challenges --------------------------------------------------------------------------------

def _challenge_columns(challenge: Challenge, policy_digest: str) -> dict[str, Any]:
    return {
        "case_reference": challenge.case_reference,
        "area": challenge.area,
        "challenger_id": challenge.challenger_id,
        "state": challenge.state.value,
        "stage": challenge.stage,
        "version": challenge.version,
        "urgent": challenge.urgent,
        "breached": challenge.breached,
        "due_at": challenge.due_at,
        "wake_at": challenge.wake_at,  # None for inactive challenges: they leave the index
        "raised_at": challenge.raised_at,
        "closed_at": challenge.closed_at,
        "owner_id": challenge.owner_id,
        "reviewers": _json(list(challenge.reviewers)),
        "outcome_kind": challenge.outcome_kind.value if challenge.outcome_kind else None,
        "data": challenge_data(challenge),
        "policy_digest": policy_digest,
    }


def due_query(now: datetime, limit: int) -> Select[Any]:
    """Due challenges, oldest first, read through the partial index on wake_at. Only active
    challenges have a wake time (`_challenge_columns`), so no state filter is needed — one
    would tempt planners onto the state index."""
    c = t.challenges.c
    return (select(c.data, c.policy_digest, c.audit_seq, c.audit_hash)
            .where(c.wake_at.is_not(None), c.wake_at <= now)
            .order_by(c.wake_at, c.reference)
            .limit(limit)
            .with_for_update(skip_locked=True))


def _involves(challenge: Challenge, person_id: str) -> bool:
    """Named on the challenge: raised it, holds it, decided a stage or its outcome, or is a counterpart."""
    decided = challenge.outcome is not None and challenge.outcome.by == person_id
    return (person_id in (challenge.challenger_id, challenge.owner_id) or person_id in challenge.reviewers
            or person_id in challenge.deciders or decided
            or any(pid == person_id for _, pid in challenge.counterparts))  # the other side's managers


class SqlChallenges:
    """bot.ports.ChallengeRepository: the aggregate as JSON plus the columns queries need."""

    def __init__(self, session: AsyncSession, *, lock_rows: bool = True, sealer: AuditSealer | None = None,
                 snapshots: SnapshotStore | None = None) -> None:
        self._session = session
        self._lock_rows = lock_rows
        self._sealer = sealer or AuditSealer(session, DEVELOPMENT_KEY)
        self.snapshots = snapshots or SnapshotStore()

    async def get(self, reference: str) -> Challenge | None:
        # In a writing unit of work the row is locked until it ends (PostgreSQL), so a tick cannot
        # change it between a person's read and write; the tick's SKIP LOCKED leaves it to the next tick.
        c = t.challenges.c
        query = select(c.data, c.policy_digest, c.audit_seq, c.audit_hash).where(c.reference == reference)
        rows = (await self._session.execute(query.with_for_update() if self._lock_rows else query)).all()
        if not rows:
            return None
        self._sealer.read(reference, rows[0].audit_seq, rows[0].audit_hash)
        found = await self.snapshots.load(self._session, rows)
        return found[0] if found else None

    async def add(self, challenge: Challenge) -> None:
        digest = await self.snapshots.ensure(self._session, challenge.policy, always=True)
        columns = _challenge_columns(challenge, digest)
        await self._session.execute(insert(t.challenges).values(reference=challenge.reference, **columns))
        self._sealer.read(challenge.reference, None, None)
        self._sealer.wrote(challenge.reference, columns)

    async def update(self, challenge: Challenge, expected_version: int) -> bool:
        c = t.challenges.c
        digest = await self.snapshots.ensure(self._session, challenge.policy)
        columns = _challenge_columns(challenge, digest)
        result = await self._session.execute(
            update(t.challenges)
            .where(c.reference == challenge.reference, c.version == expected_version)
            .values(**columns))
        if _rowcount(result) != 1:
            return False
        self._sealer.wrote(challenge.reference, columns)
        return True

    async def save_claimed(self, challenges: Sequence[Challenge]) -> None:
        """Save challenges claimed by `due()` in this unit of work, in one executemany: the
        claim's row locks (or SQLite's write lock) mean nobody changed them meanwhile."""
        if not challenges:
            return
        digests = {id(c.policy): await self.snapshots.ensure(self._session, c.policy) for c in challenges}
        params = []
        for challenge in challenges:
            columns = _challenge_columns(challenge, digests[id(challenge.policy)])
            self._sealer.wrote(challenge.reference, columns)
            params.append({"ref": challenge.reference, **columns})
        stmt = update(t.challenges).where(t.challenges.c.reference == bindparam("ref"))
        await self._session.execute(stmt, params)

    async def due(self, now: datetime, limit: int) -> list[Challenge]:
        """Claims due rows: `FOR UPDATE SKIP LOCKED` on PostgreSQL; on SQLite the unit of work
        already holds the single write lock (`BEGIN IMMEDIATE`)."""
        rows = (await self._session.execute(due_query(now, limit))).all()
        found = await self.snapshots.load(self._session, rows)
        for challenge, row in zip(found, rows, strict=True):
            self._sealer.read(challenge.reference, row.audit_seq, row.audit_hash)
        return found

    async def listing(self, *, active_only: bool = True, person_id: str | None = None,
                      awaiting_joint: bool = False) -> list[Challenge]:
        c = t.challenges.c
        query = select(c.data, c.policy_digest).order_by(c.raised_at, c.reference)
        if active_only:
            query = query.where(c.state.in_(_ACTIVE))
        if person_id:  # coarse in SQL (reviewers live in the JSON), exact in Python
            named = [c.challenger_id == person_id, c.owner_id == person_id,
                     c.data.contains(f'"{person_id}"', autoescape=True)]
            if awaiting_joint:  # its approvers hold a role for the area: the roster says who, not the row
                named.append(c.state == State.AWAITING_JOINT_AGREEMENT.value)
            query = query.where(or_(*named))
        found = await self.snapshots.load(self._session, (await self._session.execute(query)).all())
        if not person_id:
            return found
        return [ch for ch in found if _involves(ch, person_id)
                or (awaiting_joint and ch.state is State.AWAITING_JOINT_AGREEMENT)]


# -- audit trail -------------------------------------------------------------------------------

def chain_record(seq: int, reference: str, kind: str, at: datetime, actor_id: str | None,
                 from_state: str | None, to_state: str | None, stage: int | None,
                 detail: Mapping[str, Any]) -> dict[str, Any]:
    """What one link's hash covers; the same function serves append and verify."""
    return {
        "seq": seq, "reference": reference, "kind": kind, "at": _utc(at).isoformat(),
        "actor_id": actor_id, "from_state": from_state, "to_state": to_state, "stage": stage,
        "detail": dict(detail),
    }


def _row_record(row: Row[Any]) -> dict[str, Any]:
    return chain_record(row.seq, row.reference, row.kind, row.at, row.actor_id, row.from_state,
                        row.to_state, row.stage, json.loads(row.detail))


def _event_of(row: Row[Any]) -> Event:
    return Event(reference=row.reference, kind=row.kind, at=row.at, actor_id=row.actor_id,
                 from_state=row.from_state, to_state=row.to_state, stage=row.stage,
                 detail=json.loads(row.detail))


class SqlEventLog:
    """bot.ports.EventLog: an append-only, hash-chained table; the head row serialises appends."""

    def __init__(self, session: AsyncSession, sealer: AuditSealer | None = None) -> None:
        self._session = session
        self._sealer = sealer or AuditSealer(session, DEVELOPMENT_KEY)

    async def append(self, events: Sequence[Event]) -> None:
        if not events:
            return
        head = t.audit_head.c
        key = self._sealer.key
        seq, previous, key_id = (await self._session.execute(
            select(head.seq, head.hash, head.key_id).where(head.id == 1).with_for_update())).one()
        rows = []
        for event in events:
            seq += 1
            detail = event.model_dump(mode="json", include={"detail"})["detail"]
            digest = key.link(previous, chain_record(seq, event.reference, event.kind, event.at,
                                                     event.actor_id, event.from_state, event.to_state,
                                                     event.stage, detail))
            rows.append({"seq": seq, "reference": event.reference, "kind": event.kind, "at": event.at,
                         "actor_id": event.actor_id, "from_state": event.from_state,
                         "to_state": event.to_state, "stage": event.stage, "detail": _json(detail),
                         "prev_hash": previous, "hash": digest})
            self._sealer.appended(event.reference, seq, digest)
            previous = digest
        await self._session.execute(insert(t.challenge_events), rows)
        values: dict[str, Any] = {"seq": seq, "hash": previous}
        if key_id is None and seq == len(rows):  # the first events of a new chain name its key
            values["key_id"] = key.key_id
        await self._session.execute(update(t.audit_head).where(head.id == 1).values(**values))

    async def for_challenge(self, reference: str) -> list[Event]:
        ev = t.challenge_events.c
        rows = await self._session.execute(
            select(t.challenge_events).where(ev.reference == reference).order_by(ev.seq))
        return [_event_of(row) for row in rows]

    async def between(self, start: datetime, end: datetime) -> list[Event]:
        """Events with start <= at < end, in order (for reports)."""
        ev = t.challenge_events.c
        rows = await self._session.execute(
            select(t.challenge_events).where(ev.at >= start, ev.at < end).order_by(ev.seq))
        return [_event_of(row) for row in rows]


class ChainCheck(NamedTuple):
    """Events verified (all of them when whole), the first broken seq (None when whole), and
    what does not agree, each naming its challenge (empty when the trail verifies)."""

    events: int
    broken: int | None
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.broken is None and not self.problems


# -- outbox ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class OutboxItem:
    """A claimed outbox row: what to send, and how many tries (including this one)."""

    id: int
    message: Message
    attempts: int
    created_at: datetime


def pending_query(now: datetime, limit: int) -> Select[Any]:
    """Pending rows whose time has come; served by the partial index (the status is written
    as a literal so the planner can match the index's WHERE on PostgreSQL and SQLite)."""
    o = t.outbox.c
    return (select(o.id, o.payload, o.attempts, o.created_at)
            .where(o.status == PENDING, o.next_attempt_at <= now)
            .order_by(o.next_attempt_at, o.id)
            .limit(limit)
            .with_for_update(skip_locked=True))


def _stale_query(before: datetime) -> Select[Any]:
    """Rows with personal details queued before `before`: still waiting, or not yet scrubbed."""
    o = t.outbox.c
    return (select(o.id, o.payload, o.status)
            .where(o.created_at < before, o.payload.contains('"personal_keys":["', autoescape=True),
                   or_(o.status == "pending", ~o.payload.contains(NOT_KEPT, autoescape=True))))


class SqlOutbox:
    """bot.ports.Outbox, plus the dispatcher's claim / mark-sent / mark-failed.

    A dispatcher claims rows in one unit of work and commits (the claim is a lease: the
    row comes back after `lease` if the sender dies), sends, then marks each row in another.
    """

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, messages: Sequence[Message], now: datetime) -> None:
        if not messages:
            return
        rows = [{"created_at": now, "reference": m.reference, "kind": m.kind, "recipient": m.to,
                 "channel": m.channel.value, "payload": m.model_dump_json(), "status": "pending",
                 "attempts": 0, "next_attempt_at": now} for m in messages]
        await self._session.execute(insert(t.outbox), rows)

    async def claim_pending(self, now: datetime, limit: int,
                            lease: timedelta = timedelta(minutes=2)) -> list[OutboxItem]:
        o = t.outbox.c
        rows = (await self._session.execute(pending_query(now, limit))).all()
        if rows:
            await self._session.execute(
                update(t.outbox).where(o.id.in_([r.id for r in rows]))
                .values(attempts=o.attempts + 1, next_attempt_at=now + lease))
        return [OutboxItem(r.id, Message.model_validate_json(r.payload), r.attempts + 1, r.created_at)
                for r in rows]

    async def renew(self, held: dict[int, int], until: datetime) -> int:
        """Extend the claim on rows {id: attempts} to `until`. A row whose attempt count moved
        on was claimed again by another dispatcher after this lease ran out: left alone."""
        if not held:
            return 0
        o = t.outbox.c
        result = await self._session.execute(
            update(t.outbox)
            .where(o.status == PENDING, or_(*[and_(o.id == i, o.attempts == a) for i, a in held.items()]))
            .values(next_attempt_at=until))
        return _rowcount(result)

    async def note_waiting(self, reason: str) -> None:
        """Say on every pending row without a reason why it waits (nothing can send it)."""
        o = t.outbox.c
        await self._session.execute(update(t.outbox).where(o.status == PENDING, o.last_error.is_(None))
                                    .values(last_error=reason[:MAX_ERROR_CHARS]))

    async def mark_sent(self, item_id: int, external_id: str | None, now: datetime) -> None:
        await self._session.execute(
            update(t.outbox).where(t.outbox.c.id == item_id)
            .values(status="sent", sent_at=now, external_id=external_id, next_attempt_at=None,
                    last_error=None))

    async def scrub(self, item_id: int, message: Message) -> None:
        """Drop a sent (or abandoned) message's personal details from its row (DESIGN §2: the
        Stage 3 family details are emailed, never kept)."""
        scrubbed = message.scrubbed()
        if scrubbed is not message:
            await self._session.execute(
                update(t.outbox).where(t.outbox.c.id == item_id).values(payload=scrubbed.model_dump_json()))

    async def scrub_stale(self, before: datetime) -> int:
        """Give up every message with personal details created before `before` that is still
        waiting (no transport, or retrying), and drop the details from it and from any older
        row not scrubbed yet: family details are never kept past a day, sent or not."""
        rows = (await self._session.execute(_stale_query(before).with_for_update(skip_locked=True))).all()
        scrubbed = 0
        for row in rows:
            message = Message.model_validate_json(row.payload)
            clean = message.scrubbed().model_dump_json()
            if clean == row.payload and row.status != "pending":
                continue
            values: dict[str, Any] = {"payload": clean}
            if row.status == "pending":
                values |= {"status": "failed", "next_attempt_at": None,
                           "last_error": "not sent within a day: its personal details were removed"}
            await self._session.execute(update(t.outbox).where(t.outbox.c.id == row.id).values(**values))
            scrubbed += 1
        return scrubbed

    async def has_stale(self, before: datetime) -> bool:
        """Whether `scrub_stale(before)` has anything to do (a read, so no write lock is taken)."""
        return (await self._session.execute(_stale_query(before).limit(1))).first() is not None

    async def mark_failed(self, item_id: int, error: str, retry_at: datetime | None) -> None:
        """Try again at `retry_at`, or give up (status 'failed') when it is None.
        `error` must not hold case text; it is cut to MAX_ERROR_CHARS."""
        await self._session.execute(
            update(t.outbox).where(t.outbox.c.id == item_id)
            .values(status="pending" if retry_at else "failed", next_attempt_at=retry_at,
                    last_error=error[:MAX_ERROR_CHARS]))

    async def last_external_id(self, reference: str, recipient: str) -> str | None:
        """The id of the last message sent to `recipient` about `reference` (to update it in place)."""
        o = t.outbox.c
        return await self._session.scalar(
            select(o.external_id)
            .where(o.reference == reference, o.recipient == recipient, o.status == "sent",
                   o.external_id.is_not(None))
            .order_by(o.id.desc()).limit(1))

    async def unreachable(self, reference: str) -> list[str]:
        """People a message about `reference` was given up on (no chat, no working email) and
        who were never reached about it at all: their names go on the others' cards."""
        o = t.outbox.c
        reached = select(o.recipient).where(o.reference == reference, o.status == "sent")
        found = await self._session.scalars(
            select(o.recipient).distinct()
            .where(o.reference == reference, o.status == "failed", o.recipient.not_in(reached)))
        return sorted(found)

    async def counts(self) -> dict[str, int]:
        """Rows per status (for metrics)."""
        o = t.outbox.c
        rows = await self._session.execute(select(o.status, func.count()).group_by(o.status))
        return {status: count for status, count in rows}

    async def purge_sent(self, before: datetime) -> int:
        o = t.outbox.c
        result = await self._session.execute(delete(t.outbox).where(o.status == "sent", o.sent_at < before))
        return _rowcount(result)


# -- tallies -----------------------------------------------------------------------------------

class SqlTallies:
    """bot.ports.Tallies: counts kept for reporting (they outlive purged challenges)."""

    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self._session = session
        self._dialect = dialect

    async def increment(self, key: str, area: str, day: date, by: int = 1) -> None:
        stmt = _upsert(self._dialect, t.tallies).values(key=key, area=area, day=day, count=by)
        stmt = stmt.on_conflict_do_update(index_elements=["key", "area", "day"],
                                          set_={"count": t.tallies.c.count + by})
        await self._session.execute(stmt)

    async def get(self, key: str, area: str, day: date) -> int:
        c = t.tallies.c
        count = await self._session.scalar(
            select(c.count).where(c.key == key, c.area == area, c.day == day))
        return count or 0

    async def between(self, start: date, end: date) -> list[tuple[str, str, date, int]]:
        """(key, area, day, count) for start <= day <= end."""
        c = t.tallies.c
        rows = await self._session.execute(
            select(c.key, c.area, c.day, c.count).where(c.day >= start, c.day <= end)
            .order_by(c.day, c.key, c.area))
        return [(k, a, d, n) for k, a, d, n in rows]


# -- people ------------------------------------------------------------------------------------

class RosterConflict(ValueError):
    """A roster import would give two people the same id or email."""


@dataclass(frozen=True)
class RosterMeta:
    version: int
    imported_at: datetime | None
    source: str | None
    count: int


class RosterCache:
    """The last roster read, keyed by roster_meta.version (shared by a Database's units of work)."""

    def __init__(self) -> None:
        self.version = -1
        self.roster: Roster | None = None


class SqlPeople:
    """bot.ports.People, plus the roster import."""

    def __init__(self, session: AsyncSession, cache: RosterCache) -> None:
        self._session = session
        self._cache = cache

    async def _version(self) -> int:
        meta = t.roster_meta.c
        return int(await self._session.scalar(select(meta.version).where(meta.id == 1)) or 0)

    async def roster(self) -> Roster:
        version = await self._version()
        if self._cache.roster is not None and self._cache.version == version:
            return self._cache.roster
        rows = await self._session.scalars(select(t.people.c.data).order_by(t.people.c.position))
        roster = Roster(Person.model_validate_json(data) for data in rows)
        if await self._version() == version:  # no import landed between the two reads
            self._cache.version, self._cache.roster = version, roster
        return roster

    async def replace(self, people: Iterable[Person], source: str, now: datetime | None = None) -> int:
        """Swap the whole roster in this unit of work; raises RosterConflict on duplicates
        (the unit of work then rolls back and the old roster stays)."""
        rows = [{"id": p.id, "email": str(p.email).lower(), "position": i, "data": p.model_dump_json()}
                for i, p in enumerate(people)]
        await self._session.execute(delete(t.people))
        try:
            if rows:
                await self._session.execute(insert(t.people), rows)
        except IntegrityError as exc:
            raise RosterConflict("the roster gives two people the same id or email") from exc
        meta = t.roster_meta.c
        await self._session.execute(
            update(t.roster_meta).where(meta.id == 1)
            .values(version=meta.version + 1, imported_at=now or datetime.now(UTC), source=source,
                    count=len(rows)))
        return len(rows)

    async def count(self) -> int:
        return int(await self._session.scalar(select(func.count()).select_from(t.people)) or 0)

    async def meta(self) -> RosterMeta:
        meta = t.roster_meta.c
        row = (await self._session.execute(
            select(meta.version, meta.imported_at, meta.source, meta.count).where(meta.id == 1))).one()
        version, imported_at, source, count = row
        return RosterMeta(version, imported_at, source, count)


# -- conversation references and scheduler marks ----------------------------------------------

class SqlConversationRefs:
    """Where to reach a person proactively: a Teams conversation reference or a Slack DM id."""

    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self._session = session
        self._dialect = dialect

    async def get(self, person_id: str, channel: str) -> str | None:
        c = t.conversation_refs.c
        return await self._session.scalar(
            select(c.ref).where(c.person_id == person_id, c.channel == channel))

    async def put(self, person_id: str, channel: str, ref: str, now: datetime) -> None:
        if channel not in CHAT_CHANNELS:
            raise ValueError(f"channel must be one of {', '.join(CHAT_CHANNELS)}")
        stmt = _upsert(self._dialect, t.conversation_refs).values(
            person_id=person_id, channel=channel, ref=ref, updated_at=now)
        stmt = stmt.on_conflict_do_update(index_elements=["person_id", "channel"],
                                          set_={"ref": ref, "updated_at": now})
        await self._session.execute(stmt)


class SqlSchedulerMarks:
    """Things the scheduler did once (a digest for a person and day) or last (a tick)."""

    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self._session = session
        self._dialect = dialect

    async def claim(self, name: str, key: str, now: datetime) -> bool:
        """Record (name, key) as done; True only for the first caller, across replicas."""
        stmt = _upsert(self._dialect, t.scheduler_marks).values(name=name, key=key, done_at=now)
        result = await self._session.execute(stmt.on_conflict_do_nothing(index_elements=["name", "key"]))
        return _rowcount(result) == 1

    async def set(self, name: str, key: str, now: datetime) -> None:
        stmt = _upsert(self._dialect, t.scheduler_marks).values(name=name, key=key, done_at=now)
        await self._session.execute(stmt.on_conflict_do_update(index_elements=["name", "key"],
                                                               set_={"done_at": now}))

    async def get(self, name: str, key: str) -> datetime | None:
        c = t.scheduler_marks.c
        return await self._session.scalar(select(c.done_at).where(c.name == name, c.key == key))
