"""Lists and pages read only what they show: `bot.summary.ChallengeSummary` rows from the
columns, filtered, sorted and paged in SQL, never the row's JSON."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.challenge import ACTIVE_STATES, Challenge, Outcome, State
from bot.summary import ChallengeSummary, TimedOut
from storage import tables as t
from storage.snapshots import SnapshotStore

_ACTIVE = sorted(s.value for s in ACTIVE_STATES)
_c = t.challenges.c
_COLUMNS = (_c.reference, _c.case_reference, _c.area, _c.state, _c.stage, _c.version, _c.policy_digest,
            _c.raised_at, _c.due_at, _c.closed_at, _c.urgent, _c.breached, _c.owner_id, _c.reviewers,
            _c.challenger_id, _c.outcome_kind)
OPEN, FINISHED = "open", "finished"
_CHUNK = 500  # references per IN (...) list  # the two state groups a filter may name besides a state


@dataclass(frozen=True)
class ListFilter:
    """What a list shows: an area, a stage, a state (or "open" / "finished"), someone's own."""

    area: str | None = None
    stage: int | None = None
    state: str | None = None
    person_id: str | None = None  # coarse: challenger, owner, reviewer or named in the record

    def where(self) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = []
        if self.area:
            clauses.append(_c.area == self.area)
        if self.stage is not None:
            clauses.append(_c.stage == self.stage)
        if self.state == OPEN:
            clauses.append(_c.state.in_(_ACTIVE))
        elif self.state == FINISHED:
            clauses.append(_c.state.not_in(_ACTIVE))
        elif self.state:
            clauses.append(_c.state == self.state)
        if self.person_id:
            quoted = f'"{self.person_id}"'
            clauses.append(or_(_c.challenger_id == self.person_id, _c.owner_id == self.person_id,
                               _c.reviewers.contains(quoted, autoescape=True),
                               _c.state == State.AWAITING_JOINT_AGREEMENT.value,  # approvers go by role
                               _c.data.contains(quoted, autoescape=True)))
        return clauses


def by_due_open_first(query: Select[Any]) -> Select[Any]:
    """Open challenges first, then by due time (the most pressing at the top)."""
    return query.order_by(case((_c.state.in_(_ACTIVE), 0), else_=1), _c.due_at, _c.reference)


_STATES = {s.value: s for s in State}
_OUTCOMES: dict[str | None, Outcome | None] = {None: None, **{o.value: o for o in Outcome}}


@lru_cache(maxsize=4096)
def _reviewers(text: str) -> tuple[str, ...]:
    # A handful of pools recur across thousands of rows: parse each list once.
    return tuple(json.loads(text))


def _summary(row: Any, policies: dict[str, Any]) -> ChallengeSummary:
    # Positional, in _COLUMNS order: this runs once per listed row.
    (reference, case_reference, area, state, stage, version, digest, raised_at, due_at, closed_at, urgent,
     breached, owner_id, reviewers, challenger_id, outcome_kind) = row
    return ChallengeSummary(
        reference, case_reference, area, _STATES[state], stage, version, policies[digest], raised_at, due_at,
        closed_at, bool(urgent), bool(breached), owner_id, _reviewers(reviewers), challenger_id,
        _OUTCOMES[outcome_kind])


async def _load(session: AsyncSession, snapshots: SnapshotStore, query: Select[Any]) -> list[ChallengeSummary]:
    rows = (await session.execute(query)).all()
    policies = await snapshots.policies(session, {r[6] for r in rows})
    return [_summary(r, policies) for r in rows]


async def summaries(session: AsyncSession, snapshots: SnapshotStore, where: ListFilter = ListFilter(), *,
                    limit: int | None = None, offset: int = 0, by_raised: bool = False) -> list[ChallengeSummary]:
    """Summaries matching `where`: open first by due time (or by raise time), one page."""
    query: Select[Any] = select(*_COLUMNS).where(*where.where())
    query = query.order_by(_c.raised_at, _c.reference) if by_raised else by_due_open_first(query)
    if limit is not None:
        query = query.limit(limit).offset(offset)
    return await _load(session, snapshots, query)


async def count(session: AsyncSession, where: ListFilter = ListFilter()) -> int:
    return int(await session.scalar(select(func.count()).select_from(t.challenges).where(*where.where())) or 0)


# A stage left by its time limit, as `challenges.data` spells it (bot.challenge.PastStage.how).
_TIMED_OUT = '"how":"timeout"'


def _timeouts(data: str) -> tuple[TimedOut, ...]:
    return tuple(TimedOut(p["stage"], datetime.fromisoformat(p["at"]), tuple(p.get("reviewers", ())))
                 for p in json.loads(data).get("history", ()) if p.get("how") == "timeout")


async def for_digest(session: AsyncSession, snapshots: SnapshotStore, since: datetime,
                     readers: Collection[str] | None = None) -> list[ChallengeSummary]:
    """Every active challenge, plus those that ended at or after `since`, as summaries with
    what the digest shows besides the columns: the stages that timed out (a digest names its
    reader's own; `readers` limits them to those people, None reads everyone's) and, under a
    policy with RAG limits, the rating (it sets the limit's unit). Only those rows' JSON is
    read, and only parsed, never validated as a whole challenge."""
    wanted = or_(_c.state.in_(_ACTIVE), and_(_c.closed_at.is_not(None), _c.closed_at >= since))
    # Whether a stage timed out, in the same scan: a stage before Stage 0's successor never did.
    timed_out = and_(_c.stage > 0, _c.data.contains(_TIMED_OUT, autoescape=True))
    if readers is not None:  # coarse: a reader named anywhere in the row (exact in bot.digest)
        timed_out = and_(timed_out, or_(false(), *(_c.data.contains(f'"{r}"', autoescape=True)
                                                   for r in sorted(set(readers)))))
    rows = (await session.execute(select(*_COLUMNS, case((timed_out, _c.data), else_=None)).where(wanted))).all()
    policies = await snapshots.policies(session, {r[6] for r in rows})
    found = [_summary(r[:-1], policies) if r[-1] is None
             else _summary(r[:-1], policies)._replace(timeouts=_timeouts(r[-1])) for r in rows]
    # In raised order, sorted here: SQLite would sort the rows with their JSON in a temporary
    # B-tree, a third of the query's time at a county's size.
    found.sort(key=lambda c: (c.raised_at, c.reference))
    rated = [i for i, c in enumerate(found) if not c.urgent and c.policy.rag_limits]
    if rated:
        ratings: dict[str, str | None] = {}
        refs = [found[i].reference for i in rated]
        for start in range(0, len(refs), _CHUNK):
            query = select(_c.reference, _c.data).where(_c.reference.in_(refs[start:start + _CHUNK]))
            ratings.update((ref, json.loads(data).get("rag")) for ref, data in await session.execute(query))
        for i in rated:
            found[i] = found[i]._replace(rag=ratings.get(found[i].reference))
    return found


async def whole(session: AsyncSession, snapshots: SnapshotStore, references: Sequence[str]) -> list[Challenge]:
    """The whole challenges of these references (one page's worth), in the order given."""
    if not references:
        return []
    rows = (await session.execute(select(_c.reference, _c.data, _c.policy_digest)
                                  .where(_c.reference.in_(list(references))))).all()
    loaded = {c.reference: c for c in await snapshots.load(session, [(r.data, r.policy_digest) for r in rows])}
    return [loaded[ref] for ref in references if ref in loaded]
