"""The ladder's state machine: pure transitions from (challenge, command, now) to changes.

Nothing here reads the clock or stores anything: every function is given `now` and the
roster, and returns the changed challenge with the audit events and outbox messages the
change produces. Handlers persist them in one unit of work.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime
from typing import Any

from bot import csap, lessons, sides, texts
from bot.calendar import WorkingCalendar
from bot.calendar import calendar_of as calendar_of  # re-exported: callers import it from here too
from bot.challenge import (
    UNDECIDED_STATES,
    Challenge,
    ChallengerType,
    Channel,
    Event,
    Message,
    PastStage,
    State,
)
from bot.commands import RaiseChallenge
from bot.errors import InvalidCommand, NoReviewer, NotAllowed
from bot.kinds import EventKind, MessageKind
from bot.policy import Duty, Limit, LimitUnit, Policy
from bot.reviewers import assign, next_level_reviewers
from bot.roster import Roster
from bot.transitions import ANSWER_TIME_LIMIT, STAGE_TIME_LIMIT


def deadline(cal: WorkingCalendar, start: datetime, limit: Limit) -> datetime:
    """When a limit starting at `start` runs out."""
    if limit.unit is LimitUnit.WORKING_DAYS:
        return cal.working_days_after(start, int(limit.amount))
    if limit.unit is LimitUnit.WORKING_HOURS:
        return cal.working_hours_after(start, limit.amount)
    return cal.hours_after(start, limit.amount)


def check_free_text(field_label: str, text: str, field: str | None = None) -> None:
    """Refuse free text that holds personal identifiers (DESIGN §9); `field` is the input it came from."""
    # Imported here: the identifier patterns and phone metadata cost start-up time, and only
    # free text typed by a user ever needs them.
    from bot.identifiers import find_identifiers, identifiers_message

    message = identifiers_message(find_identifiers(text))
    if message:
        raise InvalidCommand(texts.FREE_TEXT_REFUSED.format(label=field_label, message=message), field=field)


@dataclass
class Change:
    """What one command or tick did: the challenge after it, events, messages, the reply."""

    challenge: Challenge
    roster: Roster
    now: datetime
    events: list[Event] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    reply: str = ""
    _base: tuple[tuple[object, ...], dict[str, Any]] | None = field(default=None, repr=False)

    # -- helpers shared by the transitions -------------------------------------------------
    @cached_property
    def cal(self) -> WorkingCalendar:
        """The challenge's own calendar (its policy snapshot's), looked up once per change."""
        return calendar_of(self.challenge.policy)

    def when(self, at: datetime | None) -> str:
        return self.cal.describe(at) if at else texts.NOTHING

    def names(self, ids: Iterable[str]) -> str:
        return ", ".join(self.roster.name_of(i) for i in ids) or texts.NOTHING

    def stage_name(self, index: int | None = None) -> str:
        ch = self.challenge
        return ch.policy.stage(ch.stage if index is None else index).name

    def base_data(self) -> dict[str, Any]:
        """What every message about the challenge as it now stands says (built once per state)."""
        ch = self.challenge
        key = (ch.version, ch.stage, ch.due_at, ch.reviewers, ch.owner_id, ch.urgent)
        if self._base is None or self._base[0] != key:
            self._base = (key, self._describe())
        return self._base[1]

    def _describe(self) -> dict[str, Any]:
        ch = self.challenge
        return {
            "reference": ch.reference,
            "area": ch.area,
            "stage": ch.stage,
            "stage_name": self.stage_name(),
            "due": self.due_words(),
            "due_at": ch.due_at.isoformat(),
            "urgent": ch.urgent,
            "urgent_note": texts.URGENT_NOTE if ch.urgent else "",
            "reviewer_names": self.names(ch.reviewers),
            "owner_name": self.roster.name_of(ch.owner_id) if ch.owner_id else "",
            "challenger_name": self.roster.name_of(ch.challenger_id),
            "version": ch.version,
        }

    def due_words(self) -> str:
        ch = self.challenge
        text = self.when(ch.due_at)
        if ch.urgent or ch.policy.stage(ch.stage).limit.unit.in_hours:
            return text
        left = self.cal.working_days_left(self.now, ch.due_at)
        if left < 0:
            return texts.DUE_OVERDUE.format(when=text)
        if left == 0:
            return texts.DUE_TODAY_WORDS.format(when=text)
        return texts.DUE_DAYS_LEFT.format(when=text, left=left, s="s" if left != 1 else "")

    def event(self, kind: EventKind, from_state: State | None, actor: str | None, **detail: Any) -> None:
        ch = self.challenge
        self.events.append(Event(
            reference=ch.reference, kind=kind, at=self.now, actor_id=actor,
            from_state=from_state.value if from_state else None, to_state=ch.state.value,
            stage=ch.stage, detail=detail,
        ))

    def send(self, kind: MessageKind, to: Iterable[str], channel: Channel = Channel.CHAT, **extra: Any) -> None:
        data = self.base_data() | extra
        for person_id in dict.fromkeys(to):
            what, said = kind, data
            if self.challenge.told_decision_only(person_id):
                what = texts.DECISION_ONLY_KINDS.get(kind, kind)
                said = {k: v for k, v in data.items() if k not in texts.DECISION_DETAIL_KEYS}
            self.messages.append(Message(kind=what, to=person_id, reference=self.challenge.reference,
                                         channel=channel, data=said))

    def notice(self, kind: MessageKind, to: Iterable[str], **extra: Any) -> None:
        """An email to a service mailbox (IRO, EDT, CSAP): it carries the case reference the
        challenger gave, since those teams cannot act on a CH- number alone."""
        self.send(kind, to, Channel.EMAIL, case_reference=self.challenge.case_reference, **extra)

    def role_holders(self, role: str | None, area_scoped: bool = False) -> list[str]:
        if role is None:
            return []
        area = self.challenge.area if area_scoped else None
        return [p.id for p in self.roster.with_role(role, area)]

    def touch(self, actor: str | None, action: str) -> None:
        ch = self.challenge
        ch.version += 1
        ch.last_actor_id = actor
        ch.last_action_at = self.now
        ch.last_action = action

    # -- stage mechanics -------------------------------------------------------------------
    def stage_due(self, start: datetime) -> datetime:
        ch = self.challenge
        spec = ch.policy.stage(ch.stage)
        limit = spec.limit
        if ch.rag and ch.rag in ch.policy.rag_limits:
            limit = ch.policy.rag_limits[ch.rag]
        if ch.urgent:
            limit = spec.urgent_limit
        due = deadline(self.cal, start, limit)
        if spec.counts_to_cap and ch.cap_due_at is not None:
            due = min(due, ch.cap_due_at)
        return due

    def first_nudge(self, start: datetime) -> datetime | None:
        spec = self.challenge.policy.stage(self.challenge.stage)
        if self.challenge.urgent or not (spec.nudges.daily_until_accepted or spec.nudges.due_day):
            return None
        return self.cal.next_opening_after(start)

    def start_stage(self, index: int, start: datetime, just_decided: str | None) -> None:
        """Enter stage `index` (or the first stage above it that someone can take)."""
        ch = self.challenge
        cal = self.cal
        assignment = assign(ch.policy, self.roster, index, ch.area, cal.local(start).date(), just_decided,
                            challenger=ch.challenger_id)
        for note in assignment.notes:
            self.event(EventKind.STAGE_SKIPPED, ch.state, None, note=note)
        ch.stage = assignment.stage
        ch.reviewers = assignment.reviewers
        ch.owner_id = None
        ch.state = State.OPEN
        ch.breached = False  # a breached Stage 3 taken up to the optional top runs on a new limit
        ch.outcome = None
        ch.joint_agreed_by = {}
        ch.answer_due_at = None
        ch.stage_started_at = start
        cap_from = ch.policy.cap_starts_at_stage()
        if ch.policy.overall_cap and cap_from is not None and ch.stage >= cap_from and ch.cap_due_at is None:
            ch.cap_due_at = deadline(cal, start, ch.policy.overall_cap)
        ch.due_at = self.stage_due(start)
        ch.next_nudge_at = self.first_nudge(start)

    def announce_stage(self) -> None:
        """Messages every stage start sends: review request, urgent heads-up, Stage 3 form."""
        ch = self.challenge
        sides.announce(self)
        self.send(MessageKind.REVIEW_REQUESTED, ch.reviewers)
        if ch.urgent:
            self.heads_up()
        if Duty.CSAP_FORM in ch.policy.stage(ch.stage).duties:
            self.notice(MessageKind.CSAP_FORM, self.role_holders(ch.policy.notifications.csap), form=self.csap_form())
            self.send(MessageKind.FAMILY_DETAILS_REQUEST, [ch.challenger_id])

    def heads_up(self) -> None:
        """Urgent path: the next level hears at once that a speedy response is needed."""
        ch = self.challenge
        if ch.stage >= ch.policy.last_required_stage:  # "managers at levels 1 and 2", not an optional top
            return
        nxt = next_level_reviewers(ch.policy, self.roster, ch.stage, ch.area, self.cal.local(self.now).date(),
                                   ch.decider, challenger=ch.challenger_id)
        if nxt is not None:
            self.send(MessageKind.HEADS_UP, [p for p in nxt.reviewers if p not in ch.reviewers])

    def csap_form(self) -> dict[str, Any]:
        """Appendix 1 fields known without asking; family details come from the challenger."""
        return csap.form(self)

    def notices_on_raise(self) -> None:
        ch = self.challenge
        n = ch.policy.notifications
        if ch.cp_or_looked_after and n.iro_when_cp_or_looked_after:
            self.notice(MessageKind.IRO_NOTICE, self.role_holders(n.iro))
        if ch.urgent and n.edt_outside_office_hours and not self.cal.is_open(self.now):
            self.notice(MessageKind.EDT_NOTICE, self.role_holders(n.edt))


# -- raising ------------------------------------------------------------------------------

def raise_challenge(cmd: RaiseChallenge, *, policy: Policy, roster: Roster, now: datetime,
                    reference: str) -> Change:
    """Open a new challenge at the first stage of the ladder."""
    challenger = roster.get(cmd.actor_id)
    if challenger is None:
        raise NotAllowed(texts.UNKNOWN_PERSON)
    case_ref = cmd.case_reference.strip().upper()
    if not re.fullmatch(policy.case_reference_pattern, case_ref):
        raise InvalidCommand(texts.BAD_CASE_REFERENCE.format(case_reference=case_ref, hint=policy.case_reference_hint),
                             field="case_reference")
    if cmd.area not in policy.areas:
        raise InvalidCommand(texts.AREA_MUST_BE.format(areas=", ".join(policy.areas)), field="area")
    if cmd.raised_by.value not in policy.raised_by:
        raise InvalidCommand(texts.RAISED_BY_MUST_BE.format(kinds=", ".join(policy.raised_by)), field="raised_by")
    if cmd.rag is not None and policy.rag_limits and cmd.rag not in policy.rag_limits:
        raise InvalidCommand(texts.RAG_MUST_BE.format(ratings=", ".join(policy.rag_limits)), field="rag")
    if cmd.urgent and not (cmd.urgent_reason or "").strip():
        raise InvalidCommand(texts.URGENT_NEEDS_REASON, field="urgent_reason")
    if cmd.urgent and not (cmd.protective_action or "").strip():
        raise InvalidCommand(texts.PROTECTIVE_ACTION_NEEDED, field="protective_action")
    if not cmd.reason_text.strip():
        raise InvalidCommand(texts.CHALLENGE_NEEDS_REASON, field="reason_text")
    for key, text in (("reason_text", cmd.reason_text), ("requested_outcome", cmd.requested_outcome),
                      ("urgent_reason", cmd.urgent_reason or ""), ("agency", cmd.agency),
                      ("protective_action", cmd.protective_action or "")):
        check_free_text(texts.FREE_TEXT_LABELS[key], text, key)
    challenge = Challenge(
        reference=reference, case_reference=case_ref, area=cmd.area, agency=cmd.agency,
        challenger_id=cmd.actor_id, raised_by=ChallengerType(cmd.raised_by),
        decision_challenged=cmd.decision_challenged, requested_outcome=cmd.requested_outcome,
        reason_category=cmd.reason_category, reason_text=cmd.reason_text, urgent=cmd.urgent,
        urgent_reason=cmd.urgent_reason if cmd.urgent else None,
        protective_action=(cmd.protective_action or "").strip() or None if cmd.urgent else None,
        cp_or_looked_after=cmd.cp_or_looked_after, rag=cmd.rag, policy=policy, raised_at=now,
        stage_started_at=now, due_at=now, last_actor_id=cmd.actor_id, last_action_at=now,
        last_action=EventKind.RAISED,
    )
    change = Change(challenge, roster, now)
    change.start_stage(0, now, just_decided=None)
    change.event(EventKind.RAISED, None, cmd.actor_id, urgent=cmd.urgent, raised_by=cmd.raised_by.value,
                 protective_action_recorded=challenge.protective_action is not None,
                 reason_category=cmd.reason_category, cp_or_looked_after=cmd.cp_or_looked_after,
                 due_at=challenge.due_at.isoformat())
    change.announce_stage()
    change.send(MessageKind.RAISED, [cmd.actor_id])
    change.notices_on_raise()
    change.reply = texts.REPLY_RAISED.format(reference=reference, stage=change.stage_name(),
                                             names=change.names(challenge.reviewers), due=change.due_words())
    return change


# -- escalation, timeouts and nudges ------------------------------------------------------

def escalate(change: Change, actor: str | None, how: str, start: datetime, reason: str = "") -> None:
    """Move to the next stage, telling the challenger, the old and the new reviewers."""
    ch = change.challenge
    if ch.stage >= ch.policy.last_stage:
        raise InvalidCommand(texts.FINAL_STAGE.format(reference=ch.reference, stage=change.stage_name()))
    old_stage, old_state = ch.stage, ch.state
    old_people = ch.responsible
    decided = ch.decider
    if decided:
        ch.deciders = (*ch.deciders, decided)
    from_name = change.stage_name()
    ch.history = (*ch.history, PastStage(stage=old_stage, how=how, reason=reason.strip(), outcome=ch.outcome,
                                         by=actor, at=start, reviewers=tuple(old_people)))
    change.start_stage(old_stage + 1, start, just_decided=decided)
    kind = EventKind.ESCALATED_TIMEOUT if how == "timeout" else EventKind.ESCALATED
    change.touch(actor, kind)
    change.event(kind, old_state, actor, from_stage=old_stage, reason=reason, how=how,
                 due_at=ch.due_at.isoformat(), reviewers=list(ch.reviewers), stage_started_at=start.isoformat())
    words = texts.ESCALATION_HOW[how]
    change.send(MessageKind.ESCALATED, [ch.challenger_id], from_stage=from_name, how=words)
    change.send(MessageKind.ESCALATED_AWAY, [p for p in old_people if p not in ch.reviewers],
                from_stage=from_name, how=words)
    change.announce_stage()
    # Recorded by email like an outcome: the parties keep the reason in writing.
    change.send(MessageKind.ESCALATION_RECORD, [ch.challenger_id, *old_people, *ch.reviewers], Channel.EMAIL,
                from_stage=from_name, how=words, reason_line=texts.REASON_LINE.format(reason=reason.strip()) if reason.strip() else "",
                record_location=ch.policy.record_location)
    n = ch.policy.notifications
    if ch.urgent and n.edt_outside_office_hours and not change.cal.is_open(start):
        change.notice(MessageKind.EDT_ESCALATED_NOTICE, change.role_holders(n.edt), from_stage=from_name)


def breach(change: Change) -> None:
    """The final stage ran out: flag it, keep nudging daily, tell the breach recipients."""
    ch = change.challenge
    ch.breached = True
    change.touch(None, EventKind.BREACHED)
    change.event(EventKind.BREACHED, ch.state, None, due_at=ch.due_at.isoformat())
    people = ch.responsible
    recipients = [p for role in ch.policy.notifications.breach for p in change.role_holders(role)]
    change.send(MessageKind.BREACHED, recipients, Channel.EMAIL)
    change.send(MessageKind.BREACHED, [ch.challenger_id, *people])
    ch.next_nudge_at = change.cal.next_opening_after(change.now)


def close_unanswered(change: Change) -> None:
    ch = change.challenge
    old = ch.state
    ch.state = State.CLOSED
    ch.closed_at = change.now
    ch.next_nudge_at = None
    change.touch(None, EventKind.CLOSED_UNANSWERED)
    change.event(EventKind.CLOSED_UNANSWERED, old, None)
    label = texts.OUTCOME_LABELS[ch.outcome.kind.value] if ch.outcome else ""
    change.send(MessageKind.CLOSED, [ch.challenger_id, *(p for p in [ch.owner_id] if p)], outcome_label=label)
    lessons.ask_at_close(change)


def nudge(change: Change) -> None:
    """Start-of-working-day reminder; 'due today' on the due day; daily once breached."""
    ch = change.challenge
    cal = change.cal
    spec = ch.policy.stage(ch.stage)
    due_today = cal.local(ch.due_at).date() == cal.local(change.now).date()
    kind: MessageKind | None = None
    to: tuple[str, ...] = ()
    if ch.breached:
        kind, to = MessageKind.OVERDUE, ch.responsible
    elif ch.state is State.OPEN:
        to = ch.reviewers
        kind = MessageKind.DUE_TODAY if due_today and spec.nudges.due_day else (
            MessageKind.NUDGE if spec.nudges.daily_until_accepted else None)
    elif ch.state is State.ACCEPTED and due_today and spec.nudges.due_day:
        kind, to = MessageKind.DUE_TODAY, (ch.owner_id,) if ch.owner_id else ()
    if kind and to:
        change.send(kind, to)
        change.event(EventKind.NUDGED, ch.state, None, nudge=kind, to=list(to))
    following = cal.next_opening_after(change.now)
    keep_going = ch.breached or (ch.state in UNDECIDED_STATES and following <= ch.due_at)
    ch.next_nudge_at = following if keep_going else None


def tick(challenge: Challenge, *, roster: Roster, now: datetime) -> Change:
    """Apply everything that fell due by `now`, in order, once. Idempotent."""
    change = Change(challenge, roster, now)
    ch = challenge
    for _ in range(2 * len(ch.policy.stages) + 4):
        wake = ch.wake_at
        if wake is None or wake > now:
            break
        if ch.state in STAGE_TIME_LIMIT.from_states and not ch.breached and ch.due_at <= now:
            if ch.stage >= ch.policy.last_required_stage:  # optional steps need an escalation
                breach(change)
                continue
            try:
                escalate(change, None, "timeout", start=ch.due_at)
            except NoReviewer as exc:
                # Nobody above can take it: treat as a breach so it tops the digest.
                change.event(EventKind.STAGE_SKIPPED, ch.state, None, note=str(exc))
                breach(change)
        elif ch.state in ANSWER_TIME_LIMIT.from_states and ch.answer_due_at and ch.answer_due_at <= now:
            close_unanswered(change)
        else:
            nudge(change)
    return change
