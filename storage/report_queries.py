"""What reports and exports read: challenges and the kept facts of purged ones by quarter,
audit events by challenge (with their chain links for an auditor), and what was sent about
a challenge — never a message's body."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.challenge import Challenge, Event
from bot.facts import ChallengeFacts
from storage import tables as t
from storage.audit_chain import tombstone_id
from storage.snapshots import SnapshotStore

_CHUNK = 500  # references per IN (...) list


def in_chunks(items: Sequence[str], size: int = _CHUNK) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _event_of(row: Row[Any]) -> Event:
    return Event(reference=row.reference, kind=row.kind, at=row.at, actor_id=row.actor_id,
                 from_state=row.from_state, to_state=row.to_state, stage=row.stage,
                 detail=json.loads(row.detail))


async def challenges_raised_between(session: AsyncSession, start: datetime, end: datetime) -> list[Challenge]:
    """Challenges (still held) raised with start <= raised_at < end."""
    c = t.challenges.c
    rows = (await session.execute(
        select(c.data, c.policy_digest).where(c.raised_at >= start, c.raised_at < end)
        .order_by(c.raised_at, c.reference))).all()
    return await SnapshotStore().load(session, rows)


async def events_by_reference(session: AsyncSession, references: Sequence[str]) -> dict[str, list[Event]]:
    """Every audit event of these challenges, in chain order."""
    ev = t.challenge_events.c
    found: dict[str, list[Event]] = {ref: [] for ref in references}
    for chunk in in_chunks(list(references)):
        rows = await session.execute(
            select(t.challenge_events).where(ev.reference.in_(chunk)).order_by(ev.seq))
        for row in rows:
            found[row.reference].append(_event_of(row))
    return found


async def summaries_raised_between(session: AsyncSession, start: datetime, end: datetime) -> list[ChallengeFacts]:
    """The kept facts of purged challenges raised with start <= raised_at < end."""
    s = t.challenge_summaries.c
    rows = await session.scalars(
        select(s.facts).where(s.raised_at >= start, s.raised_at < end).order_by(s.raised_at, s.reference))
    return [ChallengeFacts.model_validate_json(facts) for facts in rows]


@dataclass(frozen=True)
class Summary:
    facts: ChallengeFacts
    purged_at: datetime
    purge_id: str


async def summary_of(session: AsyncSession, reference: str) -> Summary | None:
    s = t.challenge_summaries.c
    row = (await session.execute(
        select(s.facts, s.purged_at, s.purge_id).where(s.reference == reference))).one_or_none()
    if row is None:
        return None
    return Summary(ChallengeFacts.model_validate_json(row.facts), row.purged_at, row.purge_id)


@dataclass(frozen=True)
class ChainedEvent:
    """An audit event with its place in the chain (for an export an auditor can check)."""

    seq: int
    event: Event
    prev_hash: str
    hash: str

    @property
    def tombstoned(self) -> bool:
        return tombstone_id(self.event.detail) is not None


async def chained_events(session: AsyncSession, reference: str) -> list[ChainedEvent]:
    ev = t.challenge_events.c
    rows = await session.execute(select(t.challenge_events).where(ev.reference == reference).order_by(ev.seq))
    return [ChainedEvent(row.seq, _event_of(row), row.prev_hash, row.hash) for row in rows]


@dataclass(frozen=True)
class SentMessage:
    kind: str
    recipient: str
    channel: str
    status: str
    created_at: datetime
    sent_at: datetime | None


async def messages_about(session: AsyncSession, reference: str) -> list[SentMessage]:
    """What mashbot sent (or is sending) about a challenge — without the bodies."""
    o = t.outbox.c
    rows = await session.execute(
        select(o.kind, o.recipient, o.channel, o.status, o.created_at, o.sent_at)
        .where(o.reference == reference).order_by(o.id))
    return [SentMessage(r.kind, r.recipient, r.channel, r.status, r.created_at, r.sent_at) for r in rows]
