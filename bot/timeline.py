"""A challenge's audit trail in words: when, what, who, at which stage (DESIGN §4)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot import texts
from bot.calendar import WorkingCalendar
from bot.challenge import Challenge, Event
from bot.commands import LESSON_CATEGORIES
from bot.ladder import calendar_of
from bot.policy import Policy
from bot.roster import Roster

CLOCK_ACTOR = "mashbot (time limit)"
NUDGE_LABELS = {"nudge": "reminder", "due_today": "due-today reminder", "overdue": "overdue reminder"}


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
    if event.kind in ("escalated", "escalated_timeout") and isinstance(d.get("from_stage"), int):
        index = d["from_stage"]
        if 0 <= index < len(policy.stages):
            parts.append(f"from {policy.stage(index).name}")
    if event.kind == "escalated_timeout" and _when(cal, d.get("stage_started_at")):
        parts.append(f"timed out {_when(cal, d['stage_started_at'])}")
    if event.kind == "raised" and d.get("urgent"):
        parts.append("urgent")
    if event.kind == "delegated" and d.get("to"):
        parts.append(f"to {roster.name_of(d['to'])}")
    if event.kind == "escalated" and d.get("how") == "challenger":
        parts.append("the challenger still disagrees")
    if event.kind in ("escalated", "escalated_timeout") and d.get("reason"):
        parts.append(f"reason: {texts.sentence(str(d['reason'])).rstrip('.')}")
    if d.get("outcome"):
        outcome = texts.OUTCOME_LABELS.get(d["outcome"], d["outcome"])
        rationale = str(d.get("rationale") or "").strip().rstrip(".")
        parts.append(f"{outcome} — {rationale}" if rationale else outcome)
    if d.get("level"):
        parts.append(f"level {d['level']}")
    if event.kind == "nudged":
        parts.append(f"{NUDGE_LABELS.get(d.get('nudge', ''), 'reminder')} to {roster.names(d.get('to') or ())}")
    if d.get("reviewers"):
        parts.append(f"reviewer: {roster.names(d['reviewers'])}")
    if d.get("note"):
        parts.append(str(d["note"]))
    if event.kind == "lesson_added" and d.get("category"):
        parts.append(LESSON_CATEGORIES.get(d["category"], d["category"]))
    if event.kind == "joint_agreed" and d.get("complete") is False:
        parts.append("waiting for the other party")
    for key, label in (("due_at", "due"), ("answer_due_at", "answer due")):
        when = _when(cal, d.get(key)) if d.get(key) else None
        if when:
            parts.append(f"{label} {when}")
    if d.get("channel"):
        parts.append(f"via {d['channel']}")
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
