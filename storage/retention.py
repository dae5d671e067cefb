"""Retention (issue 8): purge old challenges, keep their counts, keep the audit trail verifiable.

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

**Why `mashbot audit verify` still verifies, and what it still catches.** A tombstoned row's
link hash cannot be recomputed (its original detail is gone), so the verifier accepts its
stored `hash` — but only under three checks: (a) its `prev_hash` must equal the previous
link's hash and the next link is still recomputed from it, so the row's hash is pinned by
the rest of the chain; (b) a later `purged` event — itself a fully hashed link — must name
the tombstone's purge id, and its commitment must match the tombstoned rows as they are now
(changing a kept field of a tombstone, deleting one, or turning a live event into a
"tombstone" all break it); (c) the summaries written by that purge must still match its
digest. Every other link is checked exactly: its prev_hash, its hash, no gap in seq, and the head.
Links are HMACs under MASHBOT_AUDIT_KEY (bot/audit.py), so (a)-(c) hold against anyone without
the key; the challenge rows are then checked against their seals and events (storage/audit_rows.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Result, Row, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import DEVELOPMENT_KEY, GENESIS, AuditKey, canonical, legacy_link
from bot.challenge import Challenge, Event, State
from bot.facts import ChallengeFacts, challenge_facts
from storage import tables as t
from storage.audit_rows import ChainWalk, Link, check_rows
from storage.database import Database
from storage.repositories import ChainCheck, chain_record
from storage.snapshots import SnapshotStore
from storage.unit_of_work import SqlUnitOfWork

RETENTION_REFERENCE = "RETENTION"  # the `reference` of the chain's own "purged" events
PURGE_KIND = "purged"
TOMBSTONE_KEY = "_tombstone"
ENDED_STATES = (State.CLOSED.value, State.WITHDRAWN.value)
_CHUNK = 500  # references per IN (...) list


class PurgeRefused(RuntimeError):
    """The audit trail does not verify, so nothing is purged."""


def _chunks(items: Sequence[str], size: int = _CHUNK) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _rowcount(result: Result[Any]) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


def _event_of(row: Row[Any]) -> Event:
    return Event(reference=row.reference, kind=row.kind, at=row.at, actor_id=row.actor_id,
                 from_state=row.from_state, to_state=row.to_state, stage=row.stage,
                 detail=json.loads(row.detail))


# -- reading for the report and the export ----------------------------------------------------

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
    for chunk in _chunks(list(references)):
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
        return _tombstone_id(self.event.detail) is not None


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


# -- the audit trail with tombstones --------------------------------------------------------

def _tombstone_id(detail: Any) -> str | None:
    if isinstance(detail, dict) and set(detail) == {TOMBSTONE_KEY} and isinstance(detail[TOMBSTONE_KEY], str):
        return detail[TOMBSTONE_KEY]
    return None


def tombstone_line(seq: int, reference: str, kind: str, at: datetime, actor_id: str | None,
                   from_state: str | None, to_state: str | None, stage: int | None,
                   prev_hash: str, link: str) -> str:
    """The kept fields of one tombstoned row, as the purge commitment covers them."""
    record = chain_record(seq, reference, kind, at, actor_id, from_state, to_state, stage, {})
    del record["detail"]
    return canonical(record | {"prev_hash": prev_hash, "hash": link}) + "\n"


def _row_line(row: Row[Any]) -> str:
    return tombstone_line(row.seq, row.reference, row.kind, row.at, row.actor_id, row.from_state,
                          row.to_state, row.stage, row.prev_hash, row.hash)


def summaries_digest(rows: Iterable[tuple[str, str]]) -> str:
    """SHA-256 over (reference, facts JSON) pairs, in reference order."""
    digest = hashlib.sha256()
    for reference, facts in sorted(rows):
        digest.update((json.dumps([reference, facts], ensure_ascii=False, separators=(",", ":")) + "\n").encode())
    return digest.hexdigest()


@dataclass
class _Group:
    first: int
    count: int = 0
    digest: Any = field(default_factory=hashlib.sha256)

    def add(self, line: str) -> None:
        self.count += 1
        self.digest.update(line.encode())


async def _summaries_digest_of(session: AsyncSession, purge_id: str) -> str:
    s = t.challenge_summaries.c
    rows = await session.execute(select(s.reference, s.facts).where(s.purge_id == purge_id))
    return summaries_digest((r.reference, r.facts) for r in rows)


def _link_ok(key: AuditKey, legacy: bool, previous: str, record: dict[str, Any], stored: str) -> bool:
    if hmac.compare_digest(key.link(previous, record), stored):
        return True
    # Before its first keyed start a migrated trail holds unkeyed links (then keyed ones, if a
    # cron tick appended meanwhile); only the one-off re-key reads it this way.
    return legacy and hmac.compare_digest(legacy_link(previous, record), stored)


def _broken(expected: int, row: Row[Any], why: str) -> ChainCheck:
    return ChainCheck(expected - 1, int(row.seq), (f"{row.reference}: event {row.seq} ({row.kind}) {why}",))


async def verify_audit(session: AsyncSession, key: AuditKey = DEVELOPMENT_KEY, page: int = 1000, *,
                       legacy: bool = False, walk: ChainWalk | None = None) -> ChainCheck:
    """Verify the audit trail under `key`, tombstone-aware (see the module docstring): every link
    is checked in seq order with no gaps, tombstones against the commitment of the purge that
    made them, the head row against the last link, then every challenge row against its seal
    and its events (storage/audit_rows.py). `legacy` accepts the unkeyed links of a trail from
    before keying, and skips the rows (they are not sealed yet): for the one-off re-key only."""
    ev = t.challenge_events.c
    previous, expected = GENESIS, 1
    groups: dict[str, _Group] = {}
    walk = walk if walk is not None else ChainWalk()
    while True:
        rows = (await session.execute(
            select(t.challenge_events).where(ev.seq >= expected).order_by(ev.seq).limit(page))).all()
        for row in rows:
            if row.seq != expected:
                return ChainCheck(expected - 1, expected, (
                    f"event {expected} is missing (the next one is {row.reference}'s event {row.seq})",))
            if row.prev_hash != previous:
                return _broken(expected, row, "does not follow the event before it")
            try:
                detail = json.loads(row.detail)
            except ValueError:
                return _broken(expected, row, "has a detail that is not JSON")
            purge_id = _tombstone_id(detail)
            if purge_id is not None:
                groups.setdefault(purge_id, _Group(first=int(row.seq))).add(_row_line(row))
                walk.tombstoned.add(row.reference)
            else:
                record = chain_record(row.seq, row.reference, row.kind, row.at, row.actor_id, row.from_state,
                                      row.to_state, row.stage, detail)
                if not _link_ok(key, legacy, previous, record, row.hash):
                    return _broken(expected, row, "does not verify under the audit key: it (or one before it) "
                                   "was changed, or MASHBOT_AUDIT_KEY is not the key the trail is signed with")
                if row.kind == PURGE_KIND and row.reference == RETENTION_REFERENCE:
                    group = groups.pop(str(detail.get("purge_id")), _Group(first=int(row.seq)))
                    if (group.count != detail.get("events") or group.digest.hexdigest() != detail.get("commitment")
                            or await _summaries_digest_of(session, str(detail.get("purge_id")))
                            != detail.get("summaries")):
                        return _broken(expected, row, "does not match the tombstones or summaries it made")
                if row.kind == "breached":
                    walk.breached.add(row.reference)
            walk.latest[row.reference] = Link(int(row.seq), row.hash, row.to_state, row.stage)
            previous, expected = row.hash, expected + 1
        if len(rows) < page:
            break
    last = expected - 1
    if groups:  # tombstones no purge event accounts for
        first = min(g.first for g in groups.values())
        return ChainCheck(first - 1, first, (f"event {first} is a tombstone no purge accounts for",))
    head = t.audit_head.c
    head_seq, head_hash = (await session.execute(select(head.seq, head.hash).where(head.id == 1))).one()
    if head_seq != last or head_hash != previous:
        broken = max(last, 1) if head_seq == last else min(int(head_seq), last) + 1
        return ChainCheck(last, broken, (f"the trail ends at event {last} but its head says event {head_seq}: "
                                         "events were removed from the end, or the head was moved",))
    if legacy:
        return ChainCheck(last, None)
    return ChainCheck(last, None, tuple(await check_rows(session, key, walk)))


# -- purging ---------------------------------------------------------------------------------

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
    for chunk in _chunks(refs):
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
        lines.extend((int(row.seq), _row_line(row)) for row in rows)
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


async def verify_database(database: Database) -> ChainCheck:
    """`verify_audit` in a read-only snapshot of `database` (what `mashbot audit verify` runs)."""
    async with database.uow(read_only=True) as uow:
        return await verify_audit(uow.session, database.audit_key)
