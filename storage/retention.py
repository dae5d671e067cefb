"""Retention: purge old challenges, keep their counts, keep the audit trail verifiable.

**What a purge does**, in one transaction per batch, for challenges closed or withdrawn before
the cut-off:

1. refuses to run on an audit trail that does not verify (a purge must not bury tampering);
2. stores the report's facts of each challenge, free text removed, in `challenge_summaries`
   (`bot.facts.ChallengeFacts.anonymised()`), so reports over old quarters add up the same;
3. **tombstones** its audit events: the detail (which may hold free text) becomes
   `{"_tombstone": <purge id>}` and the actor is cleared; seq, reference, kind, time, states,
   stage, `prev_hash` and `hash` stay as they were;
4. deletes its outbox rows (their payloads hold free text) and the challenge row itself
   (the case reference, the reasons, the rationale);
5. appends a `purged` event (reference `RETENTION`) to the chain whose detail commits to what
   was done: the references, the number of tombstoned events, a SHA-256 **commitment** over
   every tombstoned row's kept fields *including its original link hash*, and a digest of the
   summary rows written.

The audit trail's check is storage/audit_chain.py; what reports read, storage/report_queries.py.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Result, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import canonical
from bot.challenge import Event, State
from bot.facts import challenge_facts
from storage import tables as t
from storage.audit_chain import (
    PURGE_KIND,
    RETENTION_REFERENCE,
    TOMBSTONE_KEY,
    row_line,
    summaries_digest,
    verify_audit,
)
from storage.report_queries import events_by_reference, in_chunks
from storage.snapshots import SnapshotStore
from storage.unit_of_work import SqlUnitOfWork

ENDED_STATES = (State.CLOSED.value, State.WITHDRAWN.value)


class PurgeRefused(RuntimeError):
    """The audit trail does not verify, so nothing is purged."""


def _rowcount(result: Result[Any]) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


@dataclass(frozen=True)
class Candidate:
    reference: str
    area: str
    state: str
    closed_at: datetime


async def purgeable(session: AsyncSession, cutoff: datetime, limit: int | None = None) -> list[Candidate]:
    """Closed or withdrawn challenges that ended before `cutoff`, oldest first."""
    c = t.challenges.c
    query = (select(c.reference, c.area, c.state, c.closed_at)
             .where(c.state.in_(ENDED_STATES), c.closed_at.is_not(None), c.closed_at < cutoff)
             .order_by(c.closed_at, c.reference))
    if limit is not None:
        query = query.limit(limit)
    return [Candidate(r.reference, r.area, r.state, r.closed_at) for r in await session.execute(query)]


@dataclass(frozen=True)
class PurgeBatch:
    purge_id: str
    references: tuple[str, ...]
    events: int
    messages: int


async def purge_batch(uow: SqlUnitOfWork, *, cutoff: datetime, now: datetime, retention_days: int,
                      limit: int = 500) -> PurgeBatch | None:
    """Purge up to `limit` challenges that ended before `cutoff`, in the caller's unit of work
    (a `storage.unit_of_work.SqlUnitOfWork`; the caller commits). None when there is nothing."""
    session: AsyncSession = uow.session
    head = t.audit_head.c
    # The head lock serialises purges (and appends) across replicas; SQLite's BEGIN IMMEDIATE
    # already holds the single write lock.
    await session.execute(select(head.seq).where(head.id == 1).with_for_update())
    check = await verify_audit(session, uow.audit_key)
    if not check.ok:
        where = f"is broken at event {check.broken}" if check.broken is not None else "does not verify"
        raise PurgeRefused(f"the audit trail {where}; nothing was purged (run `mashbot audit verify`)")
    candidates = await purgeable(session, cutoff, limit)
    if not candidates:
        return None
    refs = [c.reference for c in candidates]
    purge_id = uuid.uuid4().hex
    tombstone = canonical({TOMBSTONE_KEY: purge_id})
    c, ev, o = t.challenges.c, t.challenge_events.c, t.outbox.c
    summaries: list[dict[str, Any]] = []
    lines: list[tuple[int, str]] = []
    messages = 0
    for chunk in in_chunks(refs):
        stored = (await session.execute(select(c.data, c.policy_digest).where(c.reference.in_(chunk)))).all()
        loaded = await SnapshotStore().load(session, stored)
        challenges = {ch.reference: ch for ch in loaded}
        timelines = await events_by_reference(session, chunk)
        for ref in chunk:
            challenge = challenges[ref]
            facts = challenge_facts(challenge, timelines[ref]).anonymised()
            summaries.append({"reference": ref, "raised_at": challenge.raised_at, "closed_at": challenge.closed_at,
                              "purged_at": now, "purge_id": purge_id, "facts": facts.model_dump_json()})
        await session.execute(update(t.challenge_events).where(ev.reference.in_(chunk))
                              .values(detail=tombstone, actor_id=None))
        rows = await session.execute(select(t.challenge_events).where(ev.reference.in_(chunk)))
        lines.extend((int(row.seq), row_line(row)) for row in rows)
        messages += _rowcount(await session.execute(delete(t.outbox).where(o.reference.in_(chunk))))
        await session.execute(delete(t.challenges).where(c.reference.in_(chunk)))
    await session.execute(insert(t.challenge_summaries), summaries)
    commitment = hashlib.sha256()
    for _, line in sorted(lines):
        commitment.update(line.encode())
    await uow.events.append([Event(
        reference=RETENTION_REFERENCE, kind=PURGE_KIND, at=now, actor_id=None, from_state=None, to_state=None,
        stage=None, detail={
            "purge_id": purge_id,
            "cutoff": cutoff.isoformat(),
            "retention_days": retention_days,
            "references": refs,
            "events": len(lines),
            "commitment": commitment.hexdigest(),
            "summaries": summaries_digest((row["reference"], row["facts"]) for row in summaries),
        })])
    return PurgeBatch(purge_id, tuple(refs), len(lines), messages)
