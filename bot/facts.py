"""One challenge's facts for reporting, reduced from its audit trail. Pure: no I/O, no clock.

`challenge_facts(challenge, events)` reduces a challenge's timeline (its audit events, in
order) to what the quarterly report counts: `ChallengeFacts`. When retention purges a
challenge it keeps exactly these facts, with the free text taken out (`anonymised()`), so a
report over an old quarter adds up the same before and after the purge.

Every notice counted (IRO, CSAP Stage 3 form, CSAP non-involvement, EDT) is one the policy
snapshot required at that event — the same rule `bot.ladder` applies when it queues the
message — counted once per notice, not once per recipient.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from bot import texts
from bot.calendar import calendar_of
from bot.challenge import Challenge, Event
from bot.kinds import EventKind, MessageKind
from bot.policy import Duty, Policy

COMPLAINT_TALLY = "complaint_redirected"  # the key bot.handlers counts complaints under

NOTICE_LABELS = texts.REPORT_NOTICE_LABELS
ESCALATION_LABELS = texts.REPORT_ESCALATION_LABELS
URGENT_LABELS = texts.REPORT_URGENT_LABELS
STATUS_LABELS = texts.REPORT_STATUS_LABELS
OTHER_DECISION = "other"
NOT_GIVEN = texts.REPORT_NOT_GIVEN


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StageFacts(_Model):
    """One rung the challenge stood on: when it started, was due and ended, and how."""

    stage: int
    name: str
    started_at: datetime
    due_at: datetime
    urgent: bool
    ended_at: datetime | None = None  # the response (outcome or escalation) or the time limit
    ended_by: str | None = None  # outcome | escalated | timeout | withdrawn | None (running)
    breached: bool = False

    @property
    def counted(self) -> bool:
        """Counted for timeliness: it got a response, ran out of time, or breached."""
        return self.ended_by in ("outcome", "escalated", "timeout") or self.breached

    @property
    def late(self) -> bool:
        if self.ended_by == "timeout" or self.breached:
            return True
        return self.ended_at is not None and self.ended_at > self.due_at


class StageTime(_Model):
    """Working days a counted stage took (None while it is still running)."""

    stage: int
    name: str
    late: bool
    working_days: int | None


class LessonFacts(_Model):
    at: datetime
    stage: int | None
    stage_name: str
    category: str
    text: str | None  # None once purged


class ChallengeFacts(_Model):
    """What the report counts about one challenge (no case reference, no child's details)."""

    reference: str
    policy: str
    raised_at: datetime
    raised_on: date  # local date under the challenge's policy
    area: str
    agency: str  # the organisation part of "agency and team" (see agency_group)
    level: str  # the decision (level of need) challenged
    reason_category: str
    raised_by: str
    urgent_at_raise: bool
    marked_urgent: bool
    cp_or_looked_after: bool
    stage_reached: int
    stage_reached_name: str
    status: str  # open | closed | withdrawn
    outcome: str | None  # the outcome that stands (closed), or the last one proposed
    closed_how: str | None  # accepted | unanswered | None
    closed_at: datetime | None
    breached: bool
    escalations: dict[str, int]
    notices: dict[str, int]
    stages: tuple[StageTime, ...]
    lessons: tuple[LessonFacts, ...]
    purged: bool = False

    def anonymised(self) -> ChallengeFacts:
        """The facts retention keeps: lesson text removed, marked purged."""
        return self.model_copy(update={
            "lessons": tuple(lesson.model_copy(update={"text": None}) for lesson in self.lessons),
            "purged": True,
        })


_AGENCY_SPLIT = re.compile(r"\s+[—–-]\s+|[,;:(/]")


def agency_group(agency: str) -> str:
    """The organisation part of the intake's "agency and team": "Police — Public Protection
    Unit" counts under "Police". Whitespace is collapsed; empty is "Not given"."""
    head = _AGENCY_SPLIT.split(agency.strip(), maxsplit=1)[0]
    head = " ".join(head.split())
    return head or NOT_GIVEN


@dataclass
class _Stage:
    stage: int
    name: str
    started_at: datetime
    due_at: datetime
    urgent: bool
    ended_at: datetime | None = None
    ended_by: str | None = None
    breached: bool = False

    def end(self, at: datetime, how: str) -> None:
        if self.ended_by is None:
            self.ended_at, self.ended_by = at, how

    def facts(self) -> StageFacts:
        return StageFacts(stage=self.stage, name=self.name, started_at=self.started_at, due_at=self.due_at,
                          urgent=self.urgent, ended_at=self.ended_at, ended_by=self.ended_by,
                          breached=self.breached)


def _when(event: Event, key: str, fallback: datetime) -> datetime:
    text = event.detail.get(key)
    return datetime.fromisoformat(text) if isinstance(text, str) else fallback


def _due(event: Event, fallback: datetime) -> datetime:
    return _when(event, "due_at", fallback)


@dataclass
class _Timeline:
    """Replays one challenge's events."""

    policy: Policy
    stages: list[_Stage] = field(default_factory=list)
    notices: Counter[str] = field(default_factory=Counter)
    escalations: Counter[str] = field(default_factory=Counter)
    lessons: list[LessonFacts] = field(default_factory=list)
    cp: bool = False
    urgent: bool = False
    urgent_at_raise: bool = False
    marked_urgent: bool = False
    status: str = "open"
    outcome: str | None = None
    closed_how: str | None = None
    closed_at: datetime | None = None
    breached: bool = False

    @property
    def current(self) -> _Stage | None:
        return self.stages[-1] if self.stages else None

    def stage_name(self, index: int | None) -> str:
        if index is None or not 0 <= index < len(self.policy.stages):
            return ""
        return self.policy.stage(index).name

    def enter(self, index: int, start: datetime, due: datetime) -> None:
        self.stages.append(_Stage(index, self.stage_name(index), start, due, self.urgent))
        n = self.policy.notifications
        if Duty.CSAP_FORM in self.policy.stage(index).duties and n.csap:
            self.notices[MessageKind.CSAP_FORM] += 1

    def raise_notices(self, at: datetime) -> None:
        """bot.ladder.Change.notices_on_raise (on raising and on marking urgent)."""
        n = self.policy.notifications
        if self.cp and n.iro_when_cp_or_looked_after and n.iro:
            self.notices[MessageKind.IRO_NOTICE] += 1
        if self.urgent and n.edt_outside_office_hours and n.edt and not calendar_of(self.policy).is_open(at):
            self.notices[MessageKind.EDT_NOTICE] += 1

    def apply(self, e: Event) -> None:  # one branch per event kind
        current = self.current
        match e.kind:
            case EventKind.RAISED:
                self.cp = bool(e.detail.get("cp_or_looked_after"))
                self.urgent = self.urgent_at_raise = bool(e.detail.get("urgent"))
                self.enter(e.stage or 0, e.at, _due(e, e.at))
                self.raise_notices(e.at)
            case EventKind.ESCALATED | EventKind.ESCALATED_TIMEOUT:
                how = "timeout" if e.kind == EventKind.ESCALATED_TIMEOUT else str(e.detail.get("how") or "reviewer")
                self.escalations[how] += 1
                start = e.at
                if current is not None:
                    if how == "timeout":
                        current.end(current.due_at, "timeout")
                        start = current.due_at
                    else:
                        current.end(e.at, "escalated")
                # newer events say when the stage started (a time-out: the old due time)
                start = _when(e, "stage_started_at", start)
                self.outcome = None
                self.enter(e.stage or 0, start, _due(e, start))
            case EventKind.OUTCOME_RECORDED:
                if current is not None:
                    current.end(e.at, "outcome")
                self.outcome = e.detail.get("outcome") or self.outcome
            case EventKind.JOINT_AGREED:
                self.outcome = e.detail.get("outcome") or self.outcome
            case EventKind.JOINT_REFUSED:
                if current is not None and current.ended_by == "outcome":
                    current.ended_at = current.ended_by = None  # the stage goes on with its owner
                self.outcome = None
            case EventKind.OUTCOME_ACCEPTED | EventKind.CLOSED_UNANSWERED:
                self.status = "closed"
                self.closed_how = "accepted" if e.kind == EventKind.OUTCOME_ACCEPTED else "unanswered"
                self.closed_at = e.at
                self.outcome = e.detail.get("outcome") or self.outcome
            case EventKind.WITHDRAWN:
                self.status = "withdrawn"
                self.closed_at = e.at
                if current is not None:
                    current.end(e.at, "withdrawn")
            case EventKind.MARKED_URGENT:
                self.urgent = self.marked_urgent = True
                if current is not None:
                    current.urgent = True
                    current.due_at = _due(e, current.due_at)
                self.raise_notices(e.at)
            case EventKind.CP_FLAG_SET:
                self.cp = bool(e.detail.get("value"))
                n = self.policy.notifications
                if self.cp and n.iro_when_cp_or_looked_after and n.iro:
                    self.notices[MessageKind.IRO_NOTICE] += 1
            case EventKind.STAGE3_FORM_SENT:
                if self.policy.notifications.csap:
                    self.notices[MessageKind.STAGE3_FORM] += 1
            case EventKind.CSAP_TOLD:
                if self.policy.notifications.csap:
                    self.notices[MessageKind.CSAP_NON_INVOLVEMENT] += 1
            case EventKind.BREACHED:
                self.breached = True
                if current is not None:
                    current.breached = True
            case EventKind.LESSON_ADDED:
                stage = e.stage
                self.lessons.append(LessonFacts(at=e.at, stage=stage, stage_name=self.stage_name(stage),
                                                category=str(e.detail.get("category", "")),
                                                text=e.detail.get("text")))
            case _:
                pass  # accepted, delegated, nudged, stage_skipped: nothing the report counts


def _replay(challenge: Challenge, events: Iterable[Event]) -> _Timeline:
    timeline = _Timeline(challenge.policy)
    for event in events:
        if event.reference == challenge.reference:
            timeline.apply(event)
    return timeline


def challenge_facts(challenge: Challenge, events: Iterable[Event]) -> ChallengeFacts:
    """What the report counts about one challenge, from its snapshot and its audit events."""
    cal = calendar_of(challenge.policy)
    timeline = _replay(challenge, events)
    stages = [s.facts() for s in timeline.stages]
    times = []
    for s in stages:
        if not s.counted:
            continue
        end = s.due_at if s.ended_by == "timeout" else s.ended_at
        days = cal.working_days_left(s.started_at, end) if end is not None else None
        times.append(StageTime(stage=s.stage, name=s.name, late=s.late,
                               working_days=max(days, 0) if days is not None else None))
    reached = max((s.stage for s in stages), default=challenge.stage)
    decision = challenge.decision_challenged.strip() or OTHER_DECISION
    return ChallengeFacts(
        reference=challenge.reference,
        policy=challenge.policy.name,
        raised_at=challenge.raised_at,
        raised_on=cal.local(challenge.raised_at).date(),
        area=challenge.area,
        agency=agency_group(challenge.agency),
        level=decision,
        reason_category=challenge.reason_category,
        raised_by=challenge.raised_by.value,
        urgent_at_raise=timeline.urgent_at_raise,
        marked_urgent=timeline.marked_urgent,
        cp_or_looked_after=timeline.cp,
        stage_reached=reached,
        stage_reached_name=timeline.stage_name(reached),
        status=timeline.status,
        outcome=timeline.outcome,
        closed_how=timeline.closed_how,
        closed_at=timeline.closed_at,
        breached=timeline.breached,
        escalations=dict(sorted(timeline.escalations.items())),
        notices=dict(sorted(timeline.notices.items())),
        stages=tuple(times),
        lessons=tuple(timeline.lessons),
    )


