"""What lists, pages and the digest show of a challenge: a few columns, no free text.

Reading 10,000 challenges whole (every field validated) costs several times the read
itself; a list needs only these. `Challenge` has the same attributes, so whatever takes a
`Listed` takes either.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple, Protocol

from bot.challenge import ACTIVE_STATES, Challenge, Outcome, State
from bot.policy import Policy


class Listed(Protocol):
    """A challenge as a list shows it (a `ChallengeSummary` or a whole `Challenge`)."""

    @property
    def reference(self) -> str: ...
    @property
    def case_reference(self) -> str: ...
    @property
    def area(self) -> str: ...
    @property
    def state(self) -> State: ...
    @property
    def stage(self) -> int: ...
    @property
    def version(self) -> int: ...
    @property
    def policy(self) -> Policy: ...
    @property
    def raised_at(self) -> datetime: ...
    @property
    def due_at(self) -> datetime: ...
    @property
    def closed_at(self) -> datetime | None: ...
    @property
    def urgent(self) -> bool: ...
    @property
    def breached(self) -> bool: ...
    @property
    def owner_id(self) -> str | None: ...
    @property
    def reviewers(self) -> tuple[str, ...]: ...
    @property
    def challenger_id(self) -> str: ...
    @property
    def outcome_kind(self) -> Outcome | None: ...
    @property
    def rag(self) -> str | None: ...
    @property
    def is_active(self) -> bool: ...
    @property
    def responsible(self) -> tuple[str, ...]: ...


class TimedOut(NamedTuple):
    """A stage that ran out (a `PastStage` with how "timeout"): what the digest names."""

    stage: int
    at: datetime
    reviewers: tuple[str, ...]


class ChallengeSummary(NamedTuple):
    """The listed columns of one challenge; `policy` is the snapshot it was raised under.
    A named tuple: lists build thousands, and a tuple is the cheapest value to build."""

    reference: str
    case_reference: str
    area: str
    state: State
    stage: int
    version: int
    policy: Policy
    raised_at: datetime
    due_at: datetime
    closed_at: datetime | None
    urgent: bool
    breached: bool
    owner_id: str | None
    reviewers: tuple[str, ...]
    challenger_id: str
    outcome_kind: Outcome | None
    # Read only for the digest (storage.summaries.for_digest): the RAG rating under a policy
    # with RAG limits, and the stages that ran out.
    rag: str | None = None
    timeouts: tuple[TimedOut, ...] = ()

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def responsible(self) -> tuple[str, ...]:
        """As `Challenge.responsible`: the owner, else the reviewers."""
        return (self.owner_id,) if self.owner_id else self.reviewers

    @classmethod
    def of(cls, c: Challenge) -> ChallengeSummary:
        return cls(c.reference, c.case_reference, c.area, c.state, c.stage, c.version, c.policy, c.raised_at,
                   c.due_at, c.closed_at, c.urgent, c.breached, c.owner_id, c.reviewers, c.challenger_id,
                   c.outcome_kind, c.rag, timeouts_of(c))


def timeouts_of(c: Challenge) -> tuple[TimedOut, ...]:
    return tuple(TimedOut(p.stage, p.at, p.reviewers) for p in c.history if p.how == "timeout")
