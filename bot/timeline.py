"""A challenge's audit trail in words: when, what, who, at which stage (DESIGN §4)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot import texts
from bot.calendar import WorkingCalendar, calendar_of
from bot.challenge import Challenge, Event
from bot.commands import LESSON_CATEGORIES
from bot.kinds import EventKind
from bot.policy import Policy
from bot.roster import Roster

CLOCK_ACTOR = texts.TIME_LIMIT_ACTOR
NUDGE_LABELS = texts.TIMELINE_NUDGES


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    when: str  # "Thu 24 Dec 2026, 10:00"
    kind: str
    label: str  # "escalated (timeout)"
    actor: str
    stage_name: str
    detail: str


def _when(cal: WorkingCalendar, value: object) -> str | None:
    try:
        return cal.describe_with_year(datetime.fromisoformat(str(value)))
    except (TypeError, ValueError):
        return None


def _detail(event: Event, roster: Roster, policy: Policy, cal: WorkingCalendar) -> str:
    d = event.detail
    parts: list[str] = []
    if event.kind in (EventKind.ESCALATED, EventKind.ESCALATED_TIMEOUT) and isinstance(d.get("from_stage"), int):
        index = d["from_stage"]
        if 0 <= index < len(policy.stages):
            parts.append(texts.TIMELINE_FROM.format(stage=policy.stage(index).name))
    if event.kind == EventKind.ESCALATED_TIMEOUT and _when(cal, d.get("stage_started_at")):
        parts.append(texts.TIMELINE_TIMED_OUT.format(at=_when(cal, d["stage_started_at"])))
    if event.kind == EventKind.RAISED and d.get("urgent"):
        parts.append(texts.TIMELINE_URGENT)
    if event.kind == EventKind.DELEGATED and d.get("to"):
        parts.append(texts.TIMELINE_TO.format(name=roster.name_of(d["to"])))
    if event.kind == EventKind.ESCALATED and d.get("how") == "challenger":
        parts.append(texts.ESCALATION_HOW["challenger"])
    if event.kind in (EventKind.ESCALATED, EventKind.ESCALATED_TIMEOUT) and d.get("reason"):
        parts.append(texts.TIMELINE_REASON.format(reason=texts.sentence(str(d["reason"])).rstrip(".")))
    if d.get("outcome"):
        outcome = texts.OUTCOME_LABELS.get(d["outcome"], d["outcome"])
        rationale = str(d.get("rationale") or "").strip().rstrip(".")
        parts.append(texts.TIMELINE_OUTCOME.format(outcome=outcome, rationale=rationale) if rationale else outcome)
    if d.get("level"):
        parts.append(texts.TIMELINE_LEVEL.format(level=d["level"]))
    if event.kind == EventKind.NUDGED:
        parts.append(texts.TIMELINE_NUDGED.format(nudge=NUDGE_LABELS.get(d.get("nudge", ""), NUDGE_LABELS["nudge"]),
                                                  names=roster.names(d.get("to") or ())))
    if d.get("reviewers"):
        parts.append(texts.TIMELINE_REVIEWER.format(names=roster.names(d["reviewers"])))
    if d.get("counterparts"):
        parts.append(texts.TIMELINE_COUNTERPART.format(names=roster.names(d["counterparts"])))
    if event.kind in ("escalation_advice", "other_organisation_advised", "emergency_protocol") and d.get("to"):
        parts.append(texts.TIMELINE_TO_PEOPLE.format(names=roster.names(d["to"])))
    if event.kind == "discussion_booked" and _when(cal, d.get("starts_at")):
        parts.append(texts.TIMELINE_DISCUSSION.format(how=d.get("how", texts.TIMELINE_DISCUSSION_DEFAULT),
                                                      when=_when(cal, d["starts_at"])))
    if d.get("note"):
        parts.append(str(d["note"]))
    if event.kind == EventKind.LESSON_ADDED and d.get("category"):
        parts.append(LESSON_CATEGORIES.get(d["category"], d["category"]))
    if event.kind == EventKind.JOINT_AGREED and d.get("complete") is False:
        parts.append(texts.TIMELINE_WAITING_FOR_OTHER)
    for key, label in (("due_at", texts.DUE_PREFIX), ("answer_due_at", texts.ANSWER_DUE_PREFIX)):
        when = _when(cal, d.get(key)) if d.get(key) else None
        if when:
            parts.append(texts.TIMELINE_DUE.format(label=label, when=when))
    if d.get("channel"):
        parts.append(texts.TIMELINE_VIA.format(channel=d["channel"]))
    return "; ".join(parts)


def timeline(challenge: Challenge, events: Iterable[Event], roster: Roster) -> list[TimelineEntry]:
    """Every audit event of a challenge in words: when, what, who, at which stage."""
    cal = calendar_of(challenge.policy)
    policy = challenge.policy
    entries = []
    for event in events:
        stage = (policy.stage(event.stage).name
                 if event.stage is not None and 0 <= event.stage < len(policy.stages) else "")
        entries.append(TimelineEntry(
            at=event.at, when=cal.describe_with_year(event.at), kind=event.kind,
            label=texts.EVENT_LABELS.get(event.kind, event.kind.replace("_", " ")),
            actor=roster.name_of(event.actor_id) if event.actor_id else CLOCK_ACTOR,
            stage_name=stage, detail=_detail(event, roster, policy, cal)))
    return entries
