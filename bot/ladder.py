"""The ladder's state machine: pure transitions from (challenge, command, now) to changes.

Nothing here reads the clock or stores anything: every function is given `now` and the
roster, and returns the changed challenge with the audit events and outbox messages the
change produces. Handlers persist them in one unit of work.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot import texts
from bot.calendar import WorkingCalendar
from bot.challenge import (
    UNDECIDED_STATES,
    Challenge,
    Channel,
    ChallengerType,
    Event,
    Message,
    Outcome,
    OutcomeRecord,
    State,
)
from bot.commands import RaiseChallenge
from bot.errors import InvalidCommand, NoReviewer, NotAllowed
from bot.identifiers import find_identifiers, identifiers_message
from bot.policy import Duty, Limit, LimitUnit, Policy
from bot.reviewers import assign, stage_candidates
from bot.roster import AREAS, Roster

_CALENDARS: dict[tuple[object, ...], WorkingCalendar] = {}


def calendar_of(policy: Policy) -> WorkingCalendar:
    """The policy's calendar, built once per distinct calendar (zone, hours, region, closures)."""
    hours = tuple(sorted((day, spec.opens, spec.closes) for day, spec in policy.office_hours.items() if spec))
    key = (policy.zone, policy.holiday_region, hours, policy.closure_days)
    cal = _CALENDARS.get(key)
    if cal is None:
        cal = _CALENDARS[key] = policy.calendar()
    return cal


def deadline(cal: WorkingCalendar, start: datetime, limit: Limit) -> datetime:
    """When a limit starting at `start` runs out."""
    if limit.unit is LimitUnit.WORKING_DAYS:
        return cal.working_days_after(start, int(limit.amount))
    return cal.hours_after(start, limit.amount)


def check_free_text(field_label: str, text: str) -> None:
    """Refuse free text that holds personal identifiers (DESIGN §9)."""
    message = identifiers_message(find_identifiers(text))
    if message:
        raise InvalidCommand(f"{field_label}: {message}")


@dataclass
class Change:
    """What one command or tick did: the challenge after it, events, messages, the reply."""

    challenge: Challenge
    roster: Roster
    now: datetime
    events: list[Event] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    reply: str = ""

    # -- helpers shared by the transitions -------------------------------------------------
    @property
    def cal(self) -> WorkingCalendar:
        return calendar_of(self.challenge.policy)

    def when(self, at: datetime | None) -> str:
        return self.cal.describe(at) if at else "—"

    def names(self, ids: Iterable[str]) -> str:
        return ", ".join(self.roster.name_of(i) for i in ids) or "—"

    def stage_name(self, index: int | None = None) -> str:
        ch = self.challenge
        return ch.policy.stage(ch.stage if index is None else index).name

    def base_data(self) -> dict[str, Any]:
        ch = self.challenge
        return {
            "reference": ch.reference,
            "area": ch.area,
            "stage": ch.stage,
            "stage_name": self.stage_name(),
            "due": self.due_words(),
            "due_at": ch.due_at.isoformat(),
            "urgent": ch.urgent,
            "urgent_note": " URGENT: safeguarding response needed." if ch.urgent else "",
            "reviewer_names": self.names(ch.reviewers),
            "owner_name": self.roster.name_of(ch.owner_id) if ch.owner_id else "",
            "challenger_name": self.roster.name_of(ch.challenger_id),
            "version": ch.version,
        }

    def due_words(self) -> str:
        ch = self.challenge
        text = self.when(ch.due_at)
        if ch.urgent or ch.policy.stage(ch.stage).limit.unit is LimitUnit.HOURS:
            return text
        left = self.cal.working_days_left(self.now, ch.due_at)
        if left < 0:
            return f"{text} — overdue"
        if left == 0:
            return f"{text} — due today"
        return f"{text} — {left} working day{'s' if left != 1 else ''} left"

    def event(self, kind: str, from_state: State | None, actor: str | None, **detail: Any) -> None:
        ch = self.challenge
        self.events.append(Event(
            reference=ch.reference, kind=kind, at=self.now, actor_id=actor,
            from_state=from_state.value if from_state else None, to_state=ch.state.value,
            stage=ch.stage, detail=detail,
        ))

    def send(self, kind: str, to: Iterable[str], channel: Channel = Channel.CHAT, **extra: Any) -> None:
        data = self.base_data() | extra
        for person_id in dict.fromkeys(to):
            self.messages.append(Message(kind=kind, to=person_id, reference=self.challenge.reference,
                                         channel=channel, data=data))

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
        assignment = assign(ch.policy, self.roster, index, ch.area, cal.local(start).date(), just_decided)
        for note in assignment.notes:
            self.event("stage_skipped", ch.state, None, note=note)
        ch.stage = assignment.stage
        ch.reviewers = assignment.reviewers
        ch.owner_id = None
        ch.state = State.OPEN
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
        self.send("review_requested", ch.reviewers)
        if ch.urgent:
            self.heads_up()
        if Duty.CSAP_FORM in ch.policy.stage(ch.stage).duties:
            self.send("csap_form", self.role_holders(ch.policy.notifications.csap), Channel.EMAIL,
                      form=self.csap_form())
            self.send("family_details_request", [ch.challenger_id])

    def heads_up(self) -> None:
        """Urgent path: the next level hears at once that a speedy response is needed."""
        ch = self.challenge
        if ch.stage >= ch.policy.last_stage:
            return
        nxt = [p.id for p in stage_candidates(ch.policy, self.roster, ch.stage + 1, ch.area)]
        self.send("heads_up", [p for p in nxt if p not in ch.reviewers])

    def csap_form(self) -> dict[str, Any]:
        """Appendix 1 fields known without asking; family details come from the challenger."""
        ch = self.challenge
        referrer = self.roster.get(ch.challenger_id)
        return {
            "date_of_referral": self.cal.describe_with_year(ch.raised_at),
            "name_of_referrer": referrer.name if referrer else ch.challenger_id,
            "job_title": ", ".join(referrer.roles) if referrer else "",
            "email": referrer.email if referrer else "",
            "agencies_involved": ", ".join(x for x in ("MASH", ch.agency) if x),
            "nature_of_disagreement": f"{ch.decision_challenged} — asks for: {ch.requested_outcome}",
            "senior_officers": self.names(ch.reviewers),
        }

    def notices_on_raise(self) -> None:
        ch = self.challenge
        n = ch.policy.notifications
        if ch.cp_or_looked_after and n.iro_when_cp_or_looked_after:
            self.send("iro_notice", self.role_holders(n.iro), Channel.EMAIL)
        if ch.urgent and n.edt_outside_office_hours and not self.cal.is_open(self.now):
            self.send("edt_notice", self.role_holders(n.edt), Channel.EMAIL)


# -- raising ------------------------------------------------------------------------------

def raise_challenge(cmd: RaiseChallenge, *, policy: Policy, roster: Roster, now: datetime,
                    reference: str) -> Change:
    """Open a new challenge at the first stage of the ladder."""
    challenger = roster.get(cmd.actor_id)
    if challenger is None:
        raise NotAllowed(texts.UNKNOWN_PERSON)
    case_ref = cmd.case_reference.strip().upper()
    if not re.fullmatch(policy.case_reference_pattern, case_ref):
        raise InvalidCommand(f"Case reference {case_ref!r} is not valid. {policy.case_reference_hint}")
    if cmd.area not in AREAS:
        raise InvalidCommand(f"Area must be one of {', '.join(AREAS)}.")
    if cmd.raised_by.value not in policy.raised_by:
        raise InvalidCommand(f"This policy accepts challenges raised by: {', '.join(policy.raised_by)}.")
    if cmd.rag is not None and policy.rag_limits and cmd.rag not in policy.rag_limits:
        raise InvalidCommand(f"RAG rating must be one of {', '.join(policy.rag_limits)}.")
    if cmd.urgent and not (cmd.urgent_reason or "").strip():
        raise InvalidCommand("An urgent challenge needs a reason (immediate or life-threatening risk).")
    if not cmd.reason_text.strip():
        raise InvalidCommand("Please give a short reason for the challenge.")
    for label, text in (("Reason", cmd.reason_text), ("Requested outcome", cmd.requested_outcome),
                        ("Urgent reason", cmd.urgent_reason or ""), ("Agency", cmd.agency)):
        check_free_text(label, text)
    challenge = Challenge(
        reference=reference, case_reference=case_ref, area=cmd.area, agency=cmd.agency,
        challenger_id=cmd.actor_id, raised_by=ChallengerType(cmd.raised_by),
        decision_challenged=cmd.decision_challenged, requested_outcome=cmd.requested_outcome,
        reason_category=cmd.reason_category, reason_text=cmd.reason_text, urgent=cmd.urgent,
        urgent_reason=cmd.urgent_reason if cmd.urgent else None,
        cp_or_looked_after=cmd.cp_or_looked_after, rag=cmd.rag, policy=policy, raised_at=now,
        stage_started_at=now, due_at=now, last_actor_id=cmd.actor_id, last_action_at=now,
        last_action="raised",
    )
    change = Change(challenge, roster, now)
    change.start_stage(0, now, just_decided=None)
    change.event("raised", None, cmd.actor_id, urgent=cmd.urgent, raised_by=cmd.raised_by.value,
                 reason_category=cmd.reason_category, cp_or_looked_after=cmd.cp_or_looked_after,
                 due_at=challenge.due_at.isoformat())
    change.announce_stage()
    change.send("raised", [cmd.actor_id])
    change.notices_on_raise()
    change.reply = f"Challenge {reference} raised: with {change.stage_name()} ({change.names(challenge.reviewers)}), due {change.due_words()}."
    return change


# -- escalation, timeouts and nudges ------------------------------------------------------

def escalate(change: Change, actor: str | None, how: str, start: datetime, reason: str = "") -> None:
    """Move to the next stage, telling the challenger, the old and the new reviewers."""
    ch = change.challenge
    if ch.stage >= ch.policy.last_stage:
        raise InvalidCommand(texts.FINAL_STAGE.format(reference=ch.reference, stage=change.stage_name()))
    old_stage, old_state = ch.stage, ch.state
    old_people = (ch.owner_id,) if ch.owner_id else ch.reviewers
    decided = ch.owner_id or (ch.reviewers[0] if len(ch.reviewers) == 1 else None)
    if decided:
        ch.deciders = (*ch.deciders, decided)
    from_name = change.stage_name()
    change.start_stage(old_stage + 1, start, just_decided=decided)
    kind = "escalated_timeout" if how == "timeout" else "escalated"
    change.touch(actor, kind)
    change.event(kind, old_state, actor, from_stage=old_stage, reason=reason, how=how,
                 due_at=ch.due_at.isoformat(), reviewers=list(ch.reviewers), stage_started_at=start.isoformat())
    words = {"timeout": "no outcome within the time limit", "reviewer": "escalated by the reviewer",
             "challenger": "the challenger still disagrees"}[how]
    change.send("escalated", [ch.challenger_id], from_stage=from_name, how=words)
    change.send("escalated_away", [p for p in old_people if p not in ch.reviewers],
                from_stage=from_name, how=words)
    change.announce_stage()


def breach(change: Change) -> None:
    """The final stage ran out: flag it, keep nudging daily, tell the breach recipients."""
    ch = change.challenge
    ch.breached = True
    change.touch(None, "breached")
    change.event("breached", ch.state, None, due_at=ch.due_at.isoformat())
    people = (ch.owner_id,) if ch.owner_id else ch.reviewers
    recipients = [p for role in ch.policy.notifications.breach for p in change.role_holders(role)]
    change.send("breached", recipients, Channel.EMAIL)
    change.send("breached", [ch.challenger_id, *people])
    ch.next_nudge_at = change.cal.next_opening_after(change.now)


def close_unanswered(change: Change) -> None:
    ch = change.challenge
    old = ch.state
    ch.state = State.CLOSED
    ch.closed_at = change.now
    ch.next_nudge_at = None
    change.touch(None, "closed_unanswered")
    change.event("closed_unanswered", old, None)
    label = texts.OUTCOME_LABELS[ch.outcome.kind.value] if ch.outcome else ""
    change.send("closed", [ch.challenger_id, *(p for p in [ch.owner_id] if p)], outcome_label=label)


def nudge(change: Change) -> None:
    """Start-of-working-day reminder; 'due today' on the due day; daily once breached."""
    ch = change.challenge
    cal = change.cal
    spec = ch.policy.stage(ch.stage)
    due_today = cal.local(ch.due_at).date() == cal.local(change.now).date()
    kind: str | None = None
    to: tuple[str, ...] = ()
    if ch.breached:
        kind, to = "overdue", ((ch.owner_id,) if ch.owner_id else ch.reviewers)
    elif ch.state is State.OPEN:
        to = ch.reviewers
        kind = "due_today" if due_today and spec.nudges.due_day else (
            "nudge" if spec.nudges.daily_until_accepted else None)
    elif ch.state is State.ACCEPTED and due_today and spec.nudges.due_day:
        kind, to = "due_today", (ch.owner_id,) if ch.owner_id else ()
    if kind and to:
        change.send(kind, to)
        change.event("nudged", ch.state, None, nudge=kind, to=list(to))
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
        if ch.state in UNDECIDED_STATES and not ch.breached and ch.due_at <= now:
            if ch.stage >= ch.policy.last_stage:
                breach(change)
                continue
            try:
                escalate(change, None, "timeout", start=ch.due_at)
            except NoReviewer as exc:
                # Nobody above can take it: treat as a breach so it tops the digest.
                change.event("stage_skipped", ch.state, None, note=str(exc))
                breach(change)
        elif ch.state is State.OUTCOME_PROPOSED and ch.answer_due_at and ch.answer_due_at <= now:
            close_unanswered(change)
        else:
            nudge(change)
    return change


# -- reviewer and challenger actions ------------------------------------------------------

def accept(change: Change, actor: str) -> None:
    ch = change.challenge
    require_state(change, State.OPEN)
    pool = ch.reviewers
    ch.state = State.ACCEPTED
    ch.owner_id = actor
    ch.reviewers = (actor,)
    change.touch(actor, "accepted")
    change.event("accepted", State.OPEN, actor)
    at = change.when(change.now)
    change.send("taken", [p for p in pool if p != actor], at=at)
    change.send("accepted", [ch.challenger_id])
    change.reply = f"You own {ch.reference} at {change.stage_name()}. Due {change.due_words()}."


def record_outcome(change: Change, actor: str, outcome: Outcome, rationale: str, level: str | None) -> None:
    ch = change.challenge
    require_state(change, State.ACCEPTED, State.OPEN)
    policy = ch.policy
    if outcome.value not in policy.outcomes:
        raise InvalidCommand(f"Outcome must be one of: {', '.join(texts.OUTCOME_LABELS[o] for o in policy.outcomes)}.")
    if not rationale.strip():
        raise InvalidCommand("Please give the rationale for the outcome.")
    check_free_text("Rationale", rationale)
    note = None
    if outcome in (Outcome.DE_ESCALATED, Outcome.ASSESSMENT_CANCELLED):
        if outcome is Outcome.DE_ESCALATED and level not in policy.de_escalation_levels:
            raise InvalidCommand(f"De-escalation needs the level: {' or '.join(policy.de_escalation_levels)}.")
        if level:
            note = texts.DE_ESCALATION_NOTE.format(rationale=rationale.strip().rstrip("."), level=level)
    old = ch.state
    ch.owner_id = ch.owner_id or actor
    ch.outcome = OutcomeRecord(kind=outcome, rationale=rationale.strip(), level=level, stage=ch.stage,
                               by=actor, at=change.now, case_note=note)
    joint = policy.joint_agreement
    data = {"decider_name": change.roster.name_of(actor), "outcome_label": texts.OUTCOME_LABELS[outcome.value],
            "rationale": rationale.strip(), "case_note": note or ""}
    if joint and outcome.value == joint.outcome:
        ch.state = State.AWAITING_JOINT_AGREEMENT
        ch.joint_agreed_by = {}
        change.touch(actor, "outcome_recorded")
        change.event("outcome_recorded", old, actor, outcome=outcome.value, level=level, joint=True)
        approvers = [p for role in joint.roles for p in change.role_holders(role, area_scoped=True)]
        change.send("joint_agreement_request", approvers, **data)
        change.reply = f"Recorded. {ch.reference} waits for joint agreement ({change.names(approvers)})."
        return
    change.touch(actor, "outcome_recorded")
    propose(change, old, actor, data)


def propose(change: Change, old: State, actor: str, data: dict[str, Any]) -> None:
    """The outcome stands unless the challenger escalates within the stage window."""
    ch = change.challenge
    assert ch.outcome is not None
    ch.state = State.OUTCOME_PROPOSED
    if ch.urgent:
        floor = change.cal.hours_after(change.now, ch.policy.stage(ch.stage).urgent_limit.amount)
    else:
        floor = change.cal.working_days_after(change.now, 1)
    ch.answer_due_at = max(ch.due_at, floor)
    ch.next_nudge_at = None
    change.event("outcome_recorded" if old is not State.AWAITING_JOINT_AGREEMENT else "joint_agreed",
                 old, actor, outcome=ch.outcome.kind.value, level=ch.outcome.level,
                 answer_due_at=ch.answer_due_at.isoformat())
    data = data | {"answer_due": change.when(ch.answer_due_at), "at": change.when(ch.outcome.at),
                   "record_location": ch.policy.record_location}
    change.send("outcome_recorded", [ch.challenger_id], **data)
    participants = [ch.challenger_id, ch.outcome.by]
    change.send("outcome_record", participants, Channel.EMAIL, **data)
    change.reply = (f"Outcome recorded for {ch.reference}. {change.roster.name_of(ch.challenger_id)} can accept "
                    f"or escalate by {change.when(ch.answer_due_at)}." + (f" Case note: {ch.outcome.case_note}"
                                                                         if ch.outcome.case_note else ""))


def joint_answer(change: Change, actor: str, agree: bool, reason: str) -> None:
    ch = change.challenge
    require_state(change, State.AWAITING_JOINT_AGREEMENT)
    joint = ch.policy.joint_agreement
    assert joint is not None and ch.outcome is not None
    person = change.roster.get(actor)
    roles = [r for r in joint.roles if person is not None and person.has_role(r, ch.area)]
    if not roles:
        raise NotAllowed(texts.NOT_YOURS.format(names=" and ".join(r.replace("_", " ") for r in joint.roles)))
    if not agree:
        if not reason.strip():
            raise InvalidCommand("Please give the reason for refusing.")
        check_free_text("Reason", reason)
        ch.state = State.ACCEPTED
        ch.outcome = None
        ch.joint_agreed_by = {}
        change.touch(actor, "joint_refused")
        change.event("joint_refused", State.AWAITING_JOINT_AGREEMENT, actor, reason=reason.strip())
        change.send("joint_refused", [ch.challenger_id, *(p for p in [ch.owner_id] if p)],
                    actor_name=change.roster.name_of(actor), reason=reason.strip())
        change.reply = f"Refused. {ch.reference} goes back to {change.roster.name_of(ch.owner_id)}."
        return
    ch.joint_agreed_by = {**ch.joint_agreed_by, **{r: actor for r in roles}}
    change.touch(actor, "joint_agreed")
    if set(joint.roles) - set(ch.joint_agreed_by):
        change.event("joint_agreed", State.AWAITING_JOINT_AGREEMENT, actor, roles=roles, complete=False)
        change.reply = f"Agreement noted for {ch.reference}; waiting for the other party."
        return
    data = {"decider_name": change.roster.name_of(ch.outcome.by),
            "outcome_label": texts.OUTCOME_LABELS[ch.outcome.kind.value], "rationale": ch.outcome.rationale}
    propose(change, State.AWAITING_JOINT_AGREEMENT, actor, data)


def accept_outcome(change: Change, actor: str) -> None:
    ch = change.challenge
    require_state(change, State.OUTCOME_PROPOSED)
    assert ch.outcome is not None
    ch.state = State.CLOSED
    ch.closed_at = change.now
    ch.next_nudge_at = None
    change.touch(actor, "outcome_accepted")
    change.event("outcome_accepted", State.OUTCOME_PROPOSED, actor, outcome=ch.outcome.kind.value)
    change.send("closed", [ch.challenger_id, ch.outcome.by], outcome_label=texts.OUTCOME_LABELS[ch.outcome.kind.value])
    change.reply = f"{ch.reference} is closed."


def withdraw(change: Change, actor: str, reason: str) -> None:
    ch = change.challenge
    if not ch.is_active:
        raise InvalidCommand(texts.BAD_STATE.format(reference=ch.reference, state=ch.state.value))
    check_free_text("Reason", reason)
    old = ch.state
    people = (ch.owner_id,) if ch.owner_id else ch.reviewers
    ch.state = State.WITHDRAWN
    ch.closed_at = change.now
    ch.next_nudge_at = None
    change.touch(actor, "withdrawn")
    change.event("withdrawn", old, actor)
    change.send("withdrawn", people, actor_name=change.roster.name_of(actor))
    change.reply = f"{ch.reference} is withdrawn."


def delegate(change: Change, actor: str, to_id: str) -> None:
    ch = change.challenge
    require_state(change, State.OPEN, State.ACCEPTED)
    target = change.roster.get(to_id)
    if target is None:
        raise InvalidCommand(f"{to_id!r} is not in the roster; choose a colleague mashbot knows.")
    if to_id == ch.challenger_id:
        raise InvalidCommand("A challenge cannot be delegated to the person who raised it.")
    if target.is_away(change.cal.local(change.now).date()):
        raise InvalidCommand(f"{target.name} is away; choose someone else.")
    old = ch.state
    if ch.state is State.ACCEPTED:
        ch.owner_id = to_id
        ch.reviewers = (to_id,)
    else:
        ch.reviewers = tuple(dict.fromkeys(to_id if r == actor else r for r in ch.reviewers)) \
            if actor in ch.reviewers else (to_id,)
    change.touch(actor, "delegated")
    change.event("delegated", old, actor, to=to_id)
    change.send("delegated", [to_id], actor_name=change.roster.name_of(actor))
    change.reply = f"{ch.reference} delegated to {target.name}."


def mark_urgent(change: Change, actor: str, reason: str) -> None:
    ch = change.challenge
    require_state(change, *UNDECIDED_STATES)
    if ch.urgent:
        raise InvalidCommand(f"{ch.reference} is already urgent.")
    if not reason.strip():
        raise InvalidCommand("An urgent challenge needs a reason (immediate or life-threatening risk).")
    check_free_text("Urgent reason", reason)
    ch.urgent = True
    ch.urgent_reason = reason.strip()
    ch.due_at = min(ch.due_at, change.stage_due(change.now))
    ch.next_nudge_at = None
    change.touch(actor, "marked_urgent")
    change.event("marked_urgent", ch.state, actor, due_at=ch.due_at.isoformat())
    change.send("review_requested", (ch.owner_id,) if ch.owner_id else ch.reviewers)
    change.heads_up()
    change.notices_on_raise()
    change.reply = f"{ch.reference} is urgent: due {change.when(ch.due_at)}."


def set_cp_or_looked_after(change: Change, actor: str, value: bool) -> None:
    ch = change.challenge
    if ch.cp_or_looked_after == value:
        raise InvalidCommand(f"{ch.reference} already has that flag.")
    ch.cp_or_looked_after = value
    change.touch(actor, "cp_flag_set")
    change.event("cp_flag_set", ch.state, actor, value=value)
    n = ch.policy.notifications
    if value and n.iro_when_cp_or_looked_after:
        change.send("iro_notice", change.role_holders(n.iro), Channel.EMAIL)
    change.reply = f"{ch.reference} updated."


def add_lesson(change: Change, actor: str, category: str, text: str, categories: dict[str, str]) -> None:
    ch = change.challenge
    if category not in categories:
        raise InvalidCommand(f"Lesson category must be one of: {', '.join(categories.values())}.")
    if not text.strip():
        raise InvalidCommand("Please describe the lesson.")
    check_free_text("Lesson", text)
    change.touch(actor, "lesson_added")
    change.event("lesson_added", ch.state, actor, category=category, text=text.strip())
    change.send("lesson_learned", change.role_holders(ch.policy.notifications.lessons_learned), Channel.EMAIL,
                category_label=categories[category], text=text.strip())
    change.reply = "Lesson recorded and sent."


def tell_csap(change: Change, actor: str, detail: str) -> None:
    ch = change.challenge
    if not ch.urgent:
        raise InvalidCommand("This action is for urgent (life-threatening) challenges only.")
    check_free_text("Detail", detail)
    change.touch(actor, "csap_told")
    change.event("csap_told", ch.state, actor)
    text = detail.strip() or "An agency maintains a position of non-involvement in a life-threatening case."
    change.send("csap_non_involvement", change.role_holders(ch.policy.notifications.csap), Channel.EMAIL,
                detail=text)
    change.reply = "The CSAP team has been told."


def send_stage3_form(change: Change, actor: str, family: Sequence[tuple[str, str]], meeting_date: str,
                     history: Sequence[Event], fields: dict[str, str]) -> None:
    """Email the completed Stage 3 form to CSAP; the family details are not kept (DESIGN §2)."""
    ch = change.challenge
    if not any(Duty.CSAP_FORM in ch.policy.stage(i).duties for i in range(ch.stage + 1)):
        raise InvalidCommand(f"{ch.reference} has not reached the stage that sends the Stage 3 form.")
    unknown = [key for key, _ in family if key not in fields]
    if unknown:
        raise InvalidCommand(f"Unknown family detail(s): {', '.join(unknown)}.")
    details = {fields[key]: value.strip() for key, value in family if value.strip()}
    if not details:
        raise InvalidCommand("Please give the family details the CSAP form asks for.")
    form = change.csap_form() | {
        "stages_1_and_2": stage_history(change, history, stages=(1, 2)),
        "stage_3_meeting": meeting_date.strip(),
        "family": details,
    }
    change.touch(actor, "stage3_form_sent")
    change.event("stage3_form_sent", ch.state, actor)  # no details: they are not kept
    change.send("stage3_form", change.role_holders(ch.policy.notifications.csap), Channel.EMAIL,
                form=form, personal_keys=["form.family"])
    change.reply = "The Stage 3 form has been emailed to the CSAP team; mashbot keeps no family details."


def stage_history(change: Change, history: Sequence[Event], stages: Iterable[int]) -> str:
    """'Stage 1 Team Manager: decision upheld (Tue 12 Jan 2027)' lines, from the audit trail."""
    ch = change.challenge
    lines = []
    wanted = set(stages)
    for event in history:
        if event.kind not in ("outcome_recorded", "escalated", "escalated_timeout"):
            continue
        stage = event.detail.get("from_stage", event.stage)  # an escalation is filed under the new stage
        if stage not in wanted:
            continue
        what = texts.EVENT_LABELS.get(event.kind, event.kind)
        if event.detail.get("outcome"):
            what = texts.OUTCOME_LABELS.get(str(event.detail["outcome"]), what)
        # a time-out happened at the old due time, whenever the tick applied it
        when = datetime.fromisoformat(event.detail["stage_started_at"]) if "stage_started_at" in event.detail \
            else event.at
        lines.append(f"{ch.policy.stage(int(stage)).name} ({change.cal.describe_with_year(when)}): {what}")
    return "; ".join(lines) or "—"


def require_state(change: Change, *states: State) -> None:
    ch = change.challenge
    if ch.state not in states:
        raise InvalidCommand(texts.BAD_STATE.format(reference=ch.reference, state=ch.state.value.replace("_", " ")))
