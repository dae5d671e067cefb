"""Channel-neutral view models of the cards people see, and the commands their buttons make.

Pure: every card is built from a Challenge, the roster, the viewer's id and `now` (plus,
optionally, the challenge's audit events for the "taken at" time). No I/O, no clock.

Slack (Block Kit), Teams (Adaptive Cards) and the web console all render these same
objects: a card's `actions` are the actions available to *this* viewer, each carrying the
challenge's version, and a pressed action comes back through `action_command`, which
turns the verb and what the person entered into the one core command.

Only references, stages, areas, due times, staff names, the decision challenged (a level
of need from the policy) and the recorded outcome appear on a card — never the
challenge's free-text reason (DESIGN §9).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot import discussions, sides, texts
from bot.buttons import (
    MAX_RATIONALE as MAX_RATIONALE,
    MAX_REASON as MAX_REASON,
    MISSING as MISSING,
    SHARED_VERBS as SHARED_VERBS,
    ActionView as ActionView,
    Style as Style,
    Verb as Verb,
    action_command as action_command,
    challenger_actions,
    delegate_options as delegate_options,
    may_act_as_reviewer as may_act_as_reviewer,
    pending_joint_roles,
    reviewer_actions,
)
from bot.calendar import WorkingCalendar, calendar_of
from bot.challenge import UNDECIDED_STATES, Challenge, Event, PastStage, State
from bot.kinds import EventKind
from bot.policy import Limit
from bot.roles import role_label
from bot.roster import Roster


# --- what a card is made of ------------------------------------------------------------


class CardKind(StrEnum):
    REVIEWER = "reviewer"  # anyone but the challenger: reviewers, approvers, observers
    CHALLENGER = "challenger"


class Relation(StrEnum):
    """Why a challenge is in someone's inbox."""

    CHALLENGER = "challenger"
    REVIEWER = "reviewer"  # the owner, or one of the pool asked to accept
    APPROVER = "approver"  # asked for joint agreement
    COUNTERPART = "counterpart"  # the other side's manager at this stage (bot.sides)


class Urgency(StrEnum):
    BREACHED = "breached"
    OVERDUE = "overdue"
    TIMED_OUT = "timed_out"  # the last stage ran out and moved up; nobody has taken this one yet
    URGENT = "urgent"
    DUE_TODAY = "due_today"
    NORMAL = "normal"
    DONE = "done"


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True)
class CardView:
    """A reviewer's or a challenger's card of one challenge, as one viewer sees it."""

    kind: CardKind
    viewer_id: str
    title: str
    reference: str
    case_reference: str
    area: str
    stage: int
    stage_name: str
    stage_position: str  # "2 of 4"
    state: str
    state_label: str
    due: str  # "due Tue 5 Jan, 17:00 — 3 working days left" ("" when nothing is due)
    due_at: datetime | None
    urgency: Urgency
    urgency_label: str
    challenged: str  # the decision challenged (a level of need), never free text
    status: str  # "Taken by Ava Okafor at Thu 24 Dec, 10:05"
    version: int
    urgent: bool
    breached: bool
    active: bool
    challenger_name: str
    people: str  # who has it now: the owner, or the pool
    outcome: str | None = None  # "Decision upheld — <rationale>"
    case_note: str | None = None
    note: str | None = None  # e.g. "This is for Ava Okafor, Ben Hartley." when the viewer cannot act
    follows: bool = True  # the viewer still gets this challenge's updates (views.follows)
    facts: tuple[Fact, ...] = ()
    actions: tuple[ActionView, ...] = ()

    def action(self, verb: Verb | str) -> ActionView | None:
        return next((a for a in self.actions if a.verb == verb), None)


# --- words -----------------------------------------------------------------------------

STATE_LABELS = texts.STATE_LABELS  # by state value


def _plural(n: int, word: str) -> str:
    return texts.PLURAL.format(n=n, word=word, s="" if n == 1 else "s")


def _duration(delta: timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    hours, minutes = divmod(minutes, 60)
    if hours >= 48:
        return _plural(hours // 24, texts.DAY) + (texts.DURATION_DAYS_HOURS.format(hours=hours % 24)
                                                  if hours % 24 else "")
    if hours:
        return (texts.DURATION_HOURS_MINUTES.format(hours=hours, minutes=minutes) if minutes
                else texts.DURATION_HOURS.format(hours=hours))
    return texts.DURATION_MINUTES.format(minutes=minutes)


def stage_limit(challenge: Challenge) -> Limit:
    """The limit the current stage runs on (urgent hours, RAG hours or the stage's own)."""
    spec = challenge.policy.stage(challenge.stage)
    if challenge.urgent:
        return spec.urgent_limit
    if challenge.rag and challenge.rag in challenge.policy.rag_limits:
        return challenge.policy.rag_limits[challenge.rag]
    return spec.limit


def _due_instant(challenge: Challenge) -> tuple[str, datetime | None]:
    if challenge.state in UNDECIDED_STATES:
        return texts.DUE_PREFIX, challenge.due_at
    if challenge.state is State.OUTCOME_PROPOSED and challenge.answer_due_at is not None:
        return texts.ANSWER_DUE_PREFIX, challenge.answer_due_at
    return "", None


def _overdue(challenge: Challenge, now: datetime, at: datetime, cal: WorkingCalendar) -> str:
    """How late, in the unit of the limit: clock hours, or working days."""
    if stage_limit(challenge).unit.in_hours:
        return texts.OVERDUE_BY.format(amount=_duration(now - at))
    late = -cal.working_days_left(now, at)
    if late <= 0:
        return texts.OVERDUE_TODAY
    return texts.OVERDUE_BY.format(amount=_plural(late, texts.WORKING_DAY))


def due_words(challenge: Challenge, now: datetime, cal: WorkingCalendar | None = None) -> str:
    """"due Tue 5 Jan, 17:00 — 3 working days left"; "" when nothing is due any more."""
    cal = cal or calendar_of(challenge.policy)
    prefix, at = _due_instant(challenge)
    if at is None:
        return ""
    return texts.DUE_WORDS.format(prefix=prefix, detail=due_detail(challenge, now, cal))


def due_detail(challenge: Challenge, now: datetime, cal: WorkingCalendar | None = None) -> str:
    """"Tue 5 Jan, 17:00 — 3 working days left": the due time and how it stands, no "due"."""
    cal = cal or calendar_of(challenge.policy)
    _, at = _due_instant(challenge)
    if at is None:
        return ""
    text = cal.describe(at)
    if challenge.breached and challenge.state in UNDECIDED_STATES:
        return texts.DETAIL_BREACHED.format(when=text, overdue=_overdue(challenge, now, at, cal))
    if at <= now:
        return texts.DETAIL_OVERDUE.format(when=text, overdue=_overdue(challenge, now, at, cal))
    if stage_limit(challenge).unit.in_hours:
        return texts.DETAIL_LEFT.format(when=text, left=_duration(at - now))
    left = cal.working_days_left(now, at)
    if left <= 0:
        return texts.DETAIL_DUE_TODAY.format(when=text)
    return texts.DETAIL_LEFT.format(when=text, left=_plural(left, texts.WORKING_DAY))


def urgency(challenge: Challenge, now: datetime, cal: WorkingCalendar | None = None) -> Urgency:
    if not challenge.is_active:
        return Urgency.DONE
    if challenge.breached:
        return Urgency.BREACHED
    _, at = _due_instant(challenge)
    if at is not None and at <= now:
        return Urgency.OVERDUE
    if challenge.state is State.OPEN and challenge.history and challenge.history[-1].how == "timeout":
        return Urgency.TIMED_OUT
    if challenge.urgent:
        return Urgency.URGENT
    if at is not None:
        cal = cal or calendar_of(challenge.policy)
        if stage_limit(challenge).unit.in_hours:
            if at - now <= timedelta(hours=1):
                return Urgency.DUE_TODAY
        elif cal.working_days_left(now, at) <= 0:
            return Urgency.DUE_TODAY
    return Urgency.NORMAL


# --- who is who ------------------------------------------------------------------------


def relation(challenge: Challenge, roster: Roster, viewer_id: str) -> Relation | None:
    """Why this challenge belongs in the viewer's inbox (None: it does not)."""
    if viewer_id == challenge.challenger_id:
        return Relation.CHALLENGER
    if challenge.is_active and pending_joint_roles(challenge, roster.get(viewer_id)):
        return Relation.APPROVER
    decided = challenge.outcome is not None and challenge.outcome.by == viewer_id
    if viewer_id in challenge.responsible or viewer_id in challenge.deciders or decided:
        return Relation.REVIEWER  # holds it now, or decided an earlier stage (following it)
    if sides.is_counterpart(challenge, viewer_id):
        return Relation.COUNTERPART
    return None


# --- cards -----------------------------------------------------------------------------


def _last_event(events: Sequence[Event], kinds: tuple[str, ...], stage: int) -> Event | None:
    return next((e for e in reversed(events) if e.kind in kinds and e.stage == stage), None)


def status_line(ch: Challenge, roster: Roster, events: Sequence[Event] = (),
                cal: WorkingCalendar | None = None, viewer_id: str | None = None) -> str:
    """One sentence saying where the challenge stands and who has it (to the viewer)."""
    cal = cal or calendar_of(ch.policy)
    stage_name = ch.policy.stage(ch.stage).name
    if ch.state is State.OPEN:
        return texts.STATUS_OPEN.format(stage=stage_name, names=roster.names(ch.reviewers, texts.OR))
    if ch.state is State.ACCEPTED:
        owner = roster.name_of(ch.owner_id)
        last = _last_event(events, (EventKind.ACCEPTED, EventKind.DELEGATED, EventKind.JOINT_REFUSED), ch.stage)
        if last is not None and last.kind == EventKind.DELEGATED and last.detail.get("to") == ch.owner_id:
            return texts.STATUS_DELEGATED.format(owner=owner, by=roster.name_of(last.actor_id),
                                                 at=cal.describe(last.at))
        if last is not None and last.kind == EventKind.ACCEPTED:
            return texts.STATUS_TAKEN_AT.format(owner=owner, at=cal.describe(last.at))
        if not events and ch.last_action == EventKind.ACCEPTED and ch.last_action_at is not None:
            return texts.STATUS_TAKEN_AT.format(owner=owner, at=cal.describe(ch.last_action_at))
        return texts.STATUS_TAKEN.format(owner=owner)
    if ch.state is State.AWAITING_JOINT_AGREEMENT:
        parts = []
        for role in sides.awaited_roles(ch):
            who = ch.joint_agreed_by.get(role)
            answer = texts.STATUS_JOINT_AGREED.format(name=roster.name_of(who)) if who else texts.STATUS_JOINT_WAITING
            parts.append(texts.STATUS_JOINT_ROLE.format(role=role_label(role), answer=answer))
        return texts.STATUS_JOINT.format(parts="; ".join(parts))
    if ch.state is State.OUTCOME_PROPOSED and ch.outcome is not None:
        answer = cal.describe(ch.answer_due_at) if ch.answer_due_at else texts.NOTHING
        who = texts.YOU if viewer_id == ch.challenger_id else roster.name_of(ch.challenger_id)
        choice = (texts.CHOICE_ACCEPT_IT_OR_ESCALATE if ch.stage < ch.policy.last_stage
                  else texts.CHOICE_ACCEPT_IT_FINAL)
        return texts.STATUS_OUTCOME.format(by=roster.name_of(ch.outcome.by), at=cal.describe(ch.outcome.at),
                                           who=who, choice=choice, answer=answer)
    when = cal.describe(ch.closed_at) if ch.closed_at else texts.NOTHING
    if ch.state is State.WITHDRAWN:
        return texts.STATUS_WITHDRAWN.format(by=roster.name_of(ch.last_actor_id), when=when)
    if ch.last_action == EventKind.CLOSED_UNANSWERED:
        return texts.STATUS_CLOSED_UNANSWERED.format(when=when)
    return texts.STATUS_CLOSED.format(when=when, by=roster.name_of(ch.last_actor_id))


def _outcome_text(ch: Challenge) -> str | None:
    if ch.outcome is None:
        return None
    label = texts.OUTCOME_LABELS.get(ch.outcome.kind.value, ch.outcome.kind.value)
    level = texts.OUTCOME_LEVEL.format(level=ch.outcome.level) if ch.outcome.level else ""
    return texts.OUTCOME_TEXT.format(label=label, level=level, rationale=texts.sentence(ch.outcome.rationale))


def _past_stage_text(ch: Challenge, past: PastStage, roster: Roster, cal: WorkingCalendar) -> str:
    """"Decision upheld — <rationale> (Ava Okafor). Escalated by Ben Hartley: <reason>"."""
    parts = []
    if past.outcome is not None:
        label = texts.OUTCOME_LABELS.get(past.outcome.kind.value, past.outcome.kind.value)
        parts.append(texts.PAST_OUTCOME.format(label=label, rationale=texts.sentence(past.outcome.rationale),
                                               by=roster.name_of(past.outcome.by)))
    else:
        parts.append(texts.NO_OUTCOME)
    how = texts.ESCALATED_HOW.get(past.how, past.how).format(
        name=roster.name_of(past.by) if past.by else "", at=cal.describe(past.at))
    parts.append(texts.PAST_HOW_REASON.format(how=how, reason=texts.sentence(past.reason)) if past.reason
                 else texts.PAST_HOW.format(how=how))
    return " ".join(parts)


def dispute_facts(ch: Challenge, roster: Roster, cal: WorkingCalendar) -> list[Fact]:
    """What a reviewer decides from: who asks, for what, why, and what earlier stages did."""
    facts = []
    if ch.agency:
        facts.append(Fact(texts.FACT_AGENCY, ch.agency))
    if ch.requested_outcome:
        facts.append(Fact(texts.FACT_ASKS_FOR, ch.requested_outcome))
    facts.append(Fact(texts.FACT_REASON, texts.REASON_LABELS.get(ch.reason_category, ch.reason_category)))
    if ch.reason_text:
        facts.append(Fact(texts.FACT_WHY, ch.reason_text))
    if ch.urgent and ch.urgent_reason:
        facts.append(Fact(texts.FACT_URGENT_REASON, ch.urgent_reason))
    for past in ch.history:
        name = ch.policy.stage(past.stage).name if 0 <= past.stage < len(ch.policy.stages) else str(past.stage)
        facts.append(Fact(texts.FACT_EARLIER.format(stage=name), _past_stage_text(ch, past, roster, cal)))
    return facts


def follows(ch: Challenge, roster: Roster, viewer_id: str) -> bool:
    """Whether this person still gets the challenge's updates and sees its detail.

    A pool member who did not take the stage drops out once someone else has: their card
    stops changing and never shows the later outcomes (DESIGN §9). Whoever made the latest
    change (e.g. delegated it away) still sees its result once.
    """
    return (relation(ch, roster, viewer_id) is not None or viewer_id == ch.last_actor_id
            or may_act_as_reviewer(ch, roster, viewer_id))


def _due_fact(kind: CardKind, ch: Challenge, roster: Roster, viewer_id: str, detail: str) -> Fact:
    if ch.state is State.OUTCOME_PROPOSED:
        if viewer_id == ch.challenger_id:
            return Fact(texts.YOUR_ANSWER_DUE, detail)
        return Fact(texts.THEIR_ANSWER_DUE.format(name=roster.name_of(ch.challenger_id)), detail)
    if viewer_id in ch.responsible:
        return Fact(texts.YOUR_ANSWER_DUE, detail)
    if kind is CardKind.CHALLENGER:
        return Fact(texts.REVIEWER_ANSWER_DUE, detail)
    return Fact(texts.DUE, detail)


def _card(kind: CardKind, ch: Challenge, roster: Roster, viewer_id: str, now: datetime,
          events: Sequence[Event], actions: tuple[ActionView, ...], title: str, note: str | None,
          unreachable: Sequence[str] = ()) -> CardView:
    cal = calendar_of(ch.policy)
    spec = ch.policy.stage(ch.stage)
    level = urgency(ch, now, cal)
    due = due_words(ch, now, cal)
    _, due_at = _due_instant(ch)
    position = ch.policy.stage_label(ch.stage)
    following = follows(ch, roster, viewer_id)
    facts = [
        Fact(texts.FACT_REFERENCE, ch.reference),
        Fact(texts.FACT_CASE_REFERENCE, ch.case_reference),
        Fact(texts.FACT_AREA, ch.area),
        Fact(texts.FACT_STAGE, texts.FACT_STAGE_VALUE.format(stage=spec.name, position=position,
                                                            limit=stage_limit(ch).describe())),
        Fact(texts.FACT_DECISION, ch.decision_challenged),
        Fact(texts.FACT_RAISED_BY, texts.FACT_RAISED_BY_VALUE.format(name=roster.name_of(ch.challenger_id),
                                                                    at=cal.describe(ch.raised_at))),
    ]
    if kind is CardKind.REVIEWER and following:
        facts += dispute_facts(ch, roster, cal)
    if due:
        facts.append(_due_fact(kind, ch, roster, viewer_id, due_detail(ch, now, cal)))
    if ch.urgent:
        facts.append(Fact(texts.FACT_URGENT, texts.FACT_URGENT_VALUE))
        if ch.protective_action:
            facts.append(Fact(texts.FACT_PROTECTIVE_ACTION, ch.protective_action))
        n = ch.policy.notifications
        if n.edt_phone and n.edt_outside_office_hours and ch.is_active and not cal.is_open(now) \
                and viewer_id != ch.challenger_id:
            facts.append(Fact(texts.FACT_EDT, texts.PHONE_EDT.format(phone=n.edt_phone)))
    if ch.cp_or_looked_after:
        facts.append(Fact(texts.FACT_CP, texts.YES))
    facts += [Fact(label, value) for label, value in discussions.phone_lines(ch, roster, viewer_id)]
    missed = [p for p in unreachable if p != viewer_id]
    if missed and (kind is CardKind.CHALLENGER or following):
        facts.append(Fact(texts.FACT_UNREACHABLE, texts.UNREACHABLE.format(names=roster.names(missed))))
    shows_outcome = following or kind is CardKind.CHALLENGER
    return CardView(
        kind=kind, viewer_id=viewer_id, title=title, reference=ch.reference, case_reference=ch.case_reference,
        area=ch.area, stage=ch.stage, stage_name=spec.name, stage_position=position,
        state=ch.state.value, state_label=STATE_LABELS[ch.state.value], due=due, due_at=due_at, urgency=level,
        urgency_label=texts.URGENCY_LABELS[level], challenged=ch.decision_challenged,
        status=status_line(ch, roster, events, cal, viewer_id), version=ch.version, urgent=ch.urgent,
        breached=ch.breached, active=ch.is_active, challenger_name=roster.name_of(ch.challenger_id),
        people=roster.names(ch.responsible),
        outcome=((texts.DECISION_MADE if ch.outcome else None) if ch.told_decision_only(viewer_id)
                 else _outcome_text(ch) if shows_outcome else None),
        case_note=(ch.outcome.case_note if ch.outcome and shows_outcome and not ch.told_decision_only(viewer_id)
                   else None),
        note=note, facts=tuple(facts), actions=actions, follows=following,
    )


def reviewer_card(ch: Challenge, roster: Roster, viewer_id: str, now: datetime,
                  events: Sequence[Event] = (), unreachable: Sequence[str] = ()) -> CardView:
    """The card a reviewer (or approver, or anyone else but the challenger) sees."""
    actions = reviewer_actions(ch, roster, viewer_id, now) if roster.get(viewer_id) else ()
    note = None
    if ch.is_active and not any(a.verb not in SHARED_VERBS for a in actions):
        if ch.state is State.AWAITING_JOINT_AGREEMENT:
            note = texts.NOTE_WAITING_FOR_JOINT
        elif ch.state is State.OUTCOME_PROPOSED:
            note = texts.NOTE_WAITING_FOR.format(name=roster.name_of(ch.challenger_id))
        elif not follows(ch, roster, viewer_id):
            note = texts.NO_LONGER_YOURS.format(names=roster.names(ch.responsible))
        else:
            note = texts.WITH_OTHERS.format(names=roster.names(ch.responsible))
    title = texts.TITLE_REVIEWER.format(reference=ch.reference, stage=ch.policy.stage(ch.stage).name)
    if ch.urgent and ch.is_active:
        title = texts.TITLE_URGENT.format(title=title)
    return _card(CardKind.REVIEWER, ch, roster, viewer_id, now, events, actions, title, note, unreachable)


def challenger_card(ch: Challenge, roster: Roster, viewer_id: str, now: datetime,
                    events: Sequence[Event] = (), unreachable: Sequence[str] = ()) -> CardView:
    """The card the person who raised the challenge sees."""
    actions = challenger_actions(ch, roster) if viewer_id == ch.challenger_id else ()
    note = None if viewer_id == ch.challenger_id else texts.ONLY_CHALLENGER.format(
        reference=ch.reference, name=roster.name_of(ch.challenger_id))
    title = texts.TITLE_CHALLENGER.format(reference=ch.reference, stage=ch.policy.stage(ch.stage).name)
    return _card(CardKind.CHALLENGER, ch, roster, viewer_id, now, events, actions, title, note, unreachable)


def card_for(ch: Challenge, roster: Roster, viewer_id: str, now: datetime,
             events: Sequence[Event] = (), unreachable: Sequence[str] = ()) -> CardView:
    """The challenger's card for the challenger, the reviewer's card for everyone else.

    `unreachable`: people mashbot could not reach about it at all; the challenger's and the
    reviewers' cards name them so someone contacts them another way."""
    if viewer_id == ch.challenger_id:
        return challenger_card(ch, roster, viewer_id, now, events, unreachable)
    return reviewer_card(ch, roster, viewer_id, now, events, unreachable)


_URGENCY_ORDER = {u: i for i, u in enumerate(Urgency)}


def inbox(challenges: Iterable[Challenge], roster: Roster, viewer_id: str, now: datetime) -> list[CardView]:
    """The viewer's cards: what they raised, hold, or must agree to; most pressing first."""
    cards = [card_for(ch, roster, viewer_id, now) for ch in challenges if relation(ch, roster, viewer_id)]
    far = datetime.max.replace(tzinfo=now.tzinfo)
    return sorted(cards, key=lambda c: (not c.active, not c.actions, _URGENCY_ORDER[c.urgency],
                                        c.due_at or far, c.reference))
