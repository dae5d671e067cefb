"""The challenge aggregate, its audit events and the messages it asks to send."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot import texts
from bot.policy import Duty, Policy


class State(StrEnum):
    OPEN = "open"  # awaiting a reviewer to accept the stage
    ACCEPTED = "accepted"  # a reviewer owns the stage
    AWAITING_JOINT_AGREEMENT = "awaiting_joint_agreement"
    OUTCOME_PROPOSED = "outcome_proposed"  # waiting for the challenger's answer
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


ACTIVE_STATES = frozenset({State.OPEN, State.ACCEPTED, State.AWAITING_JOINT_AGREEMENT, State.OUTCOME_PROPOSED})
UNDECIDED_STATES = frozenset({State.OPEN, State.ACCEPTED, State.AWAITING_JOINT_AGREEMENT})


class Outcome(StrEnum):
    DECISION_REVISED = "decision_revised"
    DECISION_UPHELD = "decision_upheld"
    DE_ESCALATED = "de_escalated"
    ASSESSMENT_CANCELLED = "assessment_cancelled"
    NEW_DECISION = "new_decision"


class ChallengerType(StrEnum):
    PROFESSIONAL = "professional"
    PARENT = "parent"
    CARER = "carer"
    NETWORK = "network"
    CHILD = "child"


class OutcomeRecord(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    kind: Outcome
    rationale: str
    level: str | None = None
    stage: int
    by: str
    at: datetime
    case_note: str | None = None
    assessment_under_way: bool | None = None
    record_made: str | None = None
    joint: bool = False  # not final until the joint-agreement roles have all agreed
    # Every role the outcome waits for: the joint-agreement roles and/or a joint stage's
    # counterpart (bot.sides); empty when it was final at once.
    awaits: tuple[str, ...] = ()


class PastStage(BaseModel):
    """A stage the challenge has left: what its reviewer decided and why it went up.

    Kept on the challenge so a later reviewer's card shows the earlier outcomes and
    escalation reasons without reading the audit trail.
    """

    model_config = ConfigDict(frozen=True, defer_build=True)

    stage: int
    how: str  # "reviewer", "challenger" or "timeout"
    reason: str = ""
    outcome: OutcomeRecord | None = None
    by: str | None = None  # who escalated (None: the time limit)
    at: datetime
    reviewers: tuple[str, ...] = ()  # who had the stage when it ended (the owner, or the pool)


class Challenge(BaseModel):
    """One professional challenge and where it stands on the ladder.

    Holds a case *reference*, never a child's name. `policy` is the snapshot taken at raise.
    """

    # Validators are built when a challenge is first read, not while `mashbot serve` starts.
    model_config = ConfigDict(validate_assignment=False, defer_build=True)

    reference: str
    case_reference: str
    area: str
    agency: str = ""
    challenger_id: str
    raised_by: ChallengerType = ChallengerType.PROFESSIONAL
    decision_challenged: str
    requested_outcome: str
    reason_category: str
    reason_text: str
    urgent: bool = False
    urgent_reason: str | None = None
    # "immediate action to reduce the risk of harm ... whilst the dispute is ongoing"
    protective_action: str | None = None
    cp_or_looked_after: bool = False
    rag: str | None = None
    policy: Policy
    raised_at: datetime

    state: State = State.OPEN
    stage: int = 0
    version: int = 1
    reviewers: tuple[str, ...] = ()
    owner_id: str | None = None
    stage_started_at: datetime
    due_at: datetime
    cap_due_at: datetime | None = None
    answer_due_at: datetime | None = None
    next_nudge_at: datetime | None = None
    breached: bool = False
    outcome: OutcomeRecord | None = None
    joint_agreed_by: dict[str, str] = Field(default_factory=dict)
    deciders: tuple[str, ...] = ()
    last_actor_id: str | None = None
    last_action_at: datetime | None = None
    last_action: str | None = None
    closed_at: datetime | None = None
    stage3_form_sent_at: datetime | None = None
    history: tuple[PastStage, ...] = ()
    # (stage, person id) of each counterpart sent a stage's card (bot.sides)
    counterparts: tuple[tuple[int, str], ...] = ()
    # when the parties' telephone / face-to-face discussions are booked: (stage, UTC instant)
    discussions: tuple[tuple[int, datetime], ...] = ()

    def told_decision_only(self, person_id: str | None) -> bool:
        """True when this person is the challenger and the policy lets them know only that a
        decision was made (North Tyneside's non-professionals), in every message and card."""
        return person_id == self.challenger_id and self.raised_by.value in self.policy.decision_only_for

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def responsible(self) -> tuple[str, ...]:
        """Who has the stage now: its owner once someone accepted, else the reviewers (the pool)."""
        return (self.owner_id,) if self.owner_id else self.reviewers

    @property
    def decider(self) -> str | None:
        """Who decides the stage, when that is one person: the owner, or a lone reviewer.
        The ladder skips the next stage when that person would review it again."""
        return self.owner_id or (self.reviewers[0] if len(self.reviewers) == 1 else None)

    @property
    def stage3_reached(self) -> bool:
        """True from the stage that sends the Stage 3 (CSAP monitoring) form onwards."""
        return any(Duty.CSAP_FORM in self.policy.stage(i).duties for i in range(self.stage + 1))

    @property
    def outcome_kind(self) -> Outcome | None:
        return self.outcome.kind if self.outcome else None

    @property
    def wake_at(self) -> datetime | None:
        """The earliest instant the tick must look at this challenge again (indexed in storage)."""
        if not self.is_active:
            return None
        timers = [self.next_nudge_at]
        if self.state in UNDECIDED_STATES and not self.breached:
            timers.append(self.due_at)
        if self.state is State.OUTCOME_PROPOSED:
            timers.append(self.answer_due_at)
        present = [t for t in timers if t is not None]
        return min(present) if present else None


class Event(BaseModel):
    """One entry of the audit trail: who did what, when, from which state to which."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    reference: str
    kind: str
    at: datetime
    actor_id: str | None
    from_state: str | None
    to_state: str | None
    stage: int | None
    detail: dict[str, Any] = Field(default_factory=dict)


class Channel(StrEnum):
    CHAT = "chat"  # a DM / 1:1 chat, falling back to email when the person has no chat identity
    EMAIL = "email"  # email only (mailboxes, record-by-email copies, forms)


class Message(BaseModel):
    """Something to send, written to the outbox in the same transaction as the change."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    kind: str
    to: str  # roster person id
    reference: str | None
    channel: Channel = Channel.CHAT
    data: dict[str, Any] = Field(default_factory=dict)

    def scrubbed(self) -> Message:
        """This message with its personal details (the `personal_keys` dotted paths of `data`,
        e.g. the Stage 3 form's family details) removed: what may be kept once it is sent."""
        paths = self.data.get("personal_keys") or []
        if not paths:
            return self
        data = json_copy(self.data)
        for path in paths:
            *parents, leaf = str(path).split(".")
            node: Any = data
            for key in parents:
                node = node.get(key) if isinstance(node, dict) else None
            if isinstance(node, dict) and leaf in node:
                node[leaf] = NOT_KEPT
        return self.model_copy(update={"data": data})


NOT_KEPT = texts.NOT_KEPT


def json_copy(data: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of JSON-like data."""
    return {k: json_copy(v) if isinstance(v, dict) else list(v) if isinstance(v, list) else v
            for k, v in data.items()}
