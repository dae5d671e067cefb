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

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bot import texts
from bot.calendar import WorkingCalendar
from bot.challenge import UNDECIDED_STATES, Challenge, Event, Outcome, State
from bot.commands import (
    FAMILY_FIELDS,
    LESSON_CATEGORIES,
    Accept,
    AcceptOutcome,
    AddLesson,
    ChallengeCommand,
    Delegate,
    Escalate,
    JointAgreementAnswer,
    MarkUrgent,
    RecordOutcome,
    SendStage3Form,
    SetCpOrLookedAfter,
    TellCsapNonInvolvement,
    Withdraw,
)
from bot.errors import InvalidCommand
from bot.ladder import calendar_of
from bot.policy import Duty, Limit, LimitUnit, Policy
from bot.reviewers import may_review
from bot.roles import role_label
from bot.roster import Person, Roster, Side

# --- what a card is made of ------------------------------------------------------------


class Verb(StrEnum):
    """Every action a card can offer; the value travels in button payloads and form URLs."""

    ACCEPT = "accept"
    ESCALATE = "escalate"  # the reviewer moves it up (a reason is needed)
    RECORD_OUTCOME = "record_outcome"
    DELEGATE = "delegate"
    ACCEPT_OUTCOME = "accept_outcome"
    ESCALATE_OUTCOME = "escalate_outcome"  # the challenger still disagrees with the outcome
    WITHDRAW = "withdraw"
    JOINT_AGREE = "joint_agree"
    JOINT_REFUSE = "joint_refuse"
    ADD_LESSON = "add_lesson"
    MARK_URGENT = "mark_urgent"
    FLAG_CP = "flag_cp"
    TELL_CSAP = "tell_csap"
    SEND_STAGE3_FORM = "send_stage3_form"  # the challenger completes the CSAP form at Stage 3


class CardKind(StrEnum):
    REVIEWER = "reviewer"  # anyone but the challenger: reviewers, approvers, observers
    CHALLENGER = "challenger"


class Relation(StrEnum):
    """Why a challenge is in someone's inbox."""

    CHALLENGER = "challenger"
    REVIEWER = "reviewer"  # the owner, or one of the pool asked to accept
    APPROVER = "approver"  # asked for joint agreement


class Urgency(StrEnum):
    BREACHED = "breached"
    OVERDUE = "overdue"
    URGENT = "urgent"
    DUE_TODAY = "due_today"
    NORMAL = "normal"
    DONE = "done"


class InputKind(StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    CHOICE = "choice"


class Style(StrEnum):
    PRIMARY = "primary"
    DEFAULT = "default"
    DANGER = "danger"


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class ActionInput:
    """Something an action asks for. `shown_when=(input id, value)` only then matters."""

    id: str
    label: str
    kind: InputKind
    required: bool
    help: str = ""
    options: tuple[Option, ...] = ()
    shown_when: tuple[str, str] | None = None
    max_length: int | None = None


@dataclass(frozen=True)
class ActionView:
    """One button (and the inputs it needs) for this viewer, bound to the version shown."""

    verb: Verb
    label: str
    reference: str
    version: int
    style: Style = Style.DEFAULT
    inputs: tuple[ActionInput, ...] = ()
    help: str = ""
    submit_label: str = ""

    @property
    def needs_input(self) -> bool:
        return bool(self.inputs)


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
    facts: tuple[Fact, ...] = ()
    actions: tuple[ActionView, ...] = ()

    def action(self, verb: Verb | str) -> ActionView | None:
        return next((a for a in self.actions if a.verb == verb), None)


# --- words -----------------------------------------------------------------------------

STATE_LABELS: dict[str, str] = {
    State.OPEN.value: "Waiting to be accepted",
    State.ACCEPTED.value: "Accepted",
    State.AWAITING_JOINT_AGREEMENT.value: "Waiting for joint agreement",
    State.OUTCOME_PROPOSED.value: "Outcome recorded",
    State.CLOSED.value: "Closed",
    State.WITHDRAWN.value: "Withdrawn",
}
URGENCY_LABELS: dict[Urgency, str] = {
    Urgency.BREACHED: "Breached",
    Urgency.OVERDUE: "Overdue",
    Urgency.URGENT: "Urgent",
    Urgency.DUE_TODAY: "Due today",
    Urgency.NORMAL: "On time",
    Urgency.DONE: "Finished",
}
SHARED_VERBS = frozenset({Verb.ADD_LESSON, Verb.FLAG_CP, Verb.TELL_CSAP})  # not a reviewer's decision

MAX_REASON = 500
MAX_RATIONALE = 1000

# Verb -> what it asks for when nothing depends on the challenge. Choices that depend on
# the policy or roster (outcomes, levels, delegates) are filled in when a card is built.
_REASON = ActionInput("reason", "Reason", InputKind.LONG_TEXT, True, "Without personal details.",
                      max_length=MAX_REASON)
_OPTIONAL_REASON = ActionInput("reason", "Reason (optional)", InputKind.LONG_TEXT, False,
                               "Without personal details.", max_length=MAX_REASON)
MISSING = {
    ("escalate", "reason"): "Give the reason for escalating.",
    ("record_outcome", "outcome"): "Choose the outcome.",
    ("record_outcome", "rationale"): "Give the rationale for the outcome.",
    ("delegate", "to"): "Choose who to delegate to.",
    ("joint_refuse", "reason"): "Give the reason for refusing.",
    ("add_lesson", "category"): "Choose what kind of lesson it is.",
    ("add_lesson", "text"): "Describe the lesson.",
    ("mark_urgent", "reason"): "Say why this is urgent: what is the immediate risk?",
}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _duration(delta: timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    hours, minutes = divmod(minutes, 60)
    if hours >= 48:
        return _plural(hours // 24, "day") + (f" {hours % 24} h" if hours % 24 else "")
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


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
        return "due", challenge.due_at
    if challenge.state is State.OUTCOME_PROPOSED and challenge.answer_due_at is not None:
        return "answer due", challenge.answer_due_at
    return "", None


def due_words(challenge: Challenge, now: datetime, cal: WorkingCalendar | None = None) -> str:
    """"due Tue 5 Jan, 17:00 — 3 working days left"; "" when nothing is due any more."""
    cal = cal or calendar_of(challenge.policy)
    prefix, at = _due_instant(challenge)
    if at is None:
        return ""
    text = f"{prefix} {cal.describe(at)}"
    if challenge.breached and challenge.state in UNDECIDED_STATES:
        return f"{text} — breached, overdue by {_duration(now - at)}"
    if at <= now:
        return f"{text} — overdue by {_duration(now - at)}"
    if stage_limit(challenge).unit is LimitUnit.HOURS:
        return f"{text} — {_duration(at - now)} left"
    left = cal.working_days_left(now, at)
    if left <= 0:
        return f"{text} — due today"
    return f"{text} — {_plural(left, 'working day')} left"


def urgency(challenge: Challenge, now: datetime, cal: WorkingCalendar | None = None) -> Urgency:
    if not challenge.is_active:
        return Urgency.DONE
    if challenge.breached:
        return Urgency.BREACHED
    _, at = _due_instant(challenge)
    if at is not None and at <= now:
        return Urgency.OVERDUE
    if challenge.urgent:
        return Urgency.URGENT
    if at is not None:
        cal = cal or calendar_of(challenge.policy)
        if stage_limit(challenge).unit is LimitUnit.HOURS:
            if at - now <= timedelta(hours=1):
                return Urgency.DUE_TODAY
        elif cal.working_days_left(now, at) <= 0:
            return Urgency.DUE_TODAY
    return Urgency.NORMAL


# --- who is who ------------------------------------------------------------------------


def _responsible(challenge: Challenge) -> tuple[str, ...]:
    return (challenge.owner_id,) if challenge.owner_id else challenge.reviewers


def _pending_joint_roles(challenge: Challenge, person: Person | None) -> list[str]:
    """The joint-agreement roles this person holds for the area and has not yet answered for."""
    joint = challenge.policy.joint_agreement
    if (person is None or joint is None or challenge.state is not State.AWAITING_JOINT_AGREEMENT):
        return []
    return [r for r in joint.roles if r not in challenge.joint_agreed_by and person.has_role(r, challenge.area)]


def relation(challenge: Challenge, roster: Roster, viewer_id: str) -> Relation | None:
    """Why this challenge belongs in the viewer's inbox (None: it does not)."""
    if viewer_id == challenge.challenger_id:
        return Relation.CHALLENGER
    if challenge.is_active and _pending_joint_roles(challenge, roster.get(viewer_id)):
        return Relation.APPROVER
    decided = challenge.outcome is not None and challenge.outcome.by == viewer_id
    if viewer_id in _responsible(challenge) or viewer_id in challenge.deciders or decided:
        return Relation.REVIEWER  # holds it now, or decided an earlier stage (following it)
    return None


def may_act_as_reviewer(challenge: Challenge, roster: Roster, viewer_id: str) -> bool:
    return may_review(challenge.policy, roster, viewer_id, challenge.stage, challenge.area,
                      challenge.reviewers, challenge.owner_id)


def delegate_options(challenge: Challenge, roster: Roster, viewer_id: str, now: datetime) -> tuple[Option, ...]:
    """Colleagues a stage can be handed to: MASH staff with a role, present today."""
    today = calendar_of(challenge.policy).local(now).date()
    found = []
    for person in roster.people:
        if person.id in (viewer_id, challenge.challenger_id) or person.side is not Side.MASH:
            continue
        if not person.roles or all(r.endswith("_mailbox") for r in person.roles) or person.is_away(today):
            continue
        found.append(Option(person.id, f"{person.name} ({', '.join(role_label(r) for r in person.roles)})"))
    return tuple(found)


# --- actions ---------------------------------------------------------------------------


def _action(ch: Challenge, verb: Verb, label: str, style: Style = Style.DEFAULT,
            inputs: Sequence[ActionInput] = (), help_text: str = "", submit: str = "") -> ActionView:
    return ActionView(verb, label, ch.reference, ch.version, style, tuple(inputs), help_text, submit or label)


def _outcome_inputs(policy: Policy) -> tuple[ActionInput, ...]:
    outcomes = tuple(Option(o, texts.OUTCOME_LABELS.get(o, o)) for o in policy.outcomes)
    inputs = [
        ActionInput("outcome", "Outcome", InputKind.CHOICE, True, options=outcomes),
        ActionInput("rationale", "Rationale", InputKind.LONG_TEXT, True,
                    "Why — without names or other personal details.", max_length=MAX_RATIONALE),
    ]
    if Outcome.DE_ESCALATED.value in policy.outcomes and policy.de_escalation_levels:
        inputs.append(ActionInput(
            "level", "Level to de-escalate to", InputKind.CHOICE, False,
            "Needed when the outcome is de-escalated.",
            options=tuple(Option(level, f"Level {level}") for level in policy.de_escalation_levels),
            shown_when=("outcome", Outcome.DE_ESCALATED.value)))
    return tuple(inputs)


def _lesson_inputs() -> tuple[ActionInput, ...]:
    return (
        ActionInput("category", "Kind of lesson", InputKind.CHOICE, True,
                    options=tuple(Option(k, v) for k, v in LESSON_CATEGORIES.items())),
        ActionInput("text", "Lesson", InputKind.LONG_TEXT, True, "Without personal details.",
                    max_length=MAX_RATIONALE),
    )


def _shared_actions(ch: Challenge, involved: bool) -> list[ActionView]:
    """Actions any involved person (challenger or reviewer) may take."""
    acts: list[ActionView] = []
    if not involved:
        return acts
    n = ch.policy.notifications
    if ch.is_active and not ch.cp_or_looked_after and n.iro_when_cp_or_looked_after:
        acts.append(_action(ch, Verb.FLAG_CP, "Child has a CP plan / is looked after",
                            help_text="The IRO is told."))
    if ch.is_active and ch.urgent and n.csap:
        acts.append(_action(ch, Verb.TELL_CSAP, "Tell CSAP: agency non-involvement", inputs=(
            ActionInput("detail", "What to tell the CSAP team (optional)", InputKind.LONG_TEXT, False,
                        "Without personal details.", max_length=MAX_REASON),),
            help_text="For a life-threatening case where an agency holds a position of non-involvement."))
    if n.lessons_learned:
        acts.append(_action(ch, Verb.ADD_LESSON, "Add lesson learned", inputs=_lesson_inputs(),
                            submit="Send lesson"))
    return acts


def reviewer_actions(ch: Challenge, roster: Roster, viewer_id: str, now: datetime) -> tuple[ActionView, ...]:
    """What a reviewer (or an approver, or someone above the reviewer) can do now."""
    acts: list[ActionView] = []
    can_review = may_act_as_reviewer(ch, roster, viewer_id)
    not_last = ch.stage < ch.policy.last_stage
    next_name = ch.policy.stage(ch.stage + 1).name if not_last else ""
    escalate = _action(ch, Verb.ESCALATE, f"Escalate to {next_name}" if not_last else "Escalate",
                       inputs=(_REASON,), submit="Escalate")
    delegate = _action(ch, Verb.DELEGATE, "Delegate", inputs=(ActionInput(
        "to", "Delegate to", InputKind.CHOICE, True, options=delegate_options(ch, roster, viewer_id, now)),))
    if can_review and ch.state is State.OPEN:
        acts.append(_action(ch, Verb.ACCEPT, "Accept", Style.PRIMARY, help_text="Take ownership of this stage."))
        if not_last:
            acts.append(escalate)
        acts.append(delegate)
    elif can_review and ch.state is State.ACCEPTED:
        acts.append(_action(ch, Verb.RECORD_OUTCOME, "Record outcome", Style.PRIMARY, _outcome_inputs(ch.policy)))
        if not_last:
            acts.append(escalate)
        acts.append(delegate)
    if _pending_joint_roles(ch, roster.get(viewer_id)):
        acts.append(_action(ch, Verb.JOINT_AGREE, "Agree", Style.PRIMARY))
        acts.append(_action(ch, Verb.JOINT_REFUSE, "Refuse", Style.DANGER, (
            ActionInput("reason", "Reason for refusing", InputKind.LONG_TEXT, True, "Without personal details.",
                        max_length=MAX_REASON),), submit="Refuse"))
    acts.extend(_shared_actions(ch, can_review))
    return tuple(acts)


def _stage3_reached(ch: Challenge) -> bool:
    return any(Duty.CSAP_FORM in ch.policy.stage(i).duties for i in range(ch.stage + 1))


def _stage3_inputs() -> tuple[ActionInput, ...]:
    family = tuple(ActionInput(key, label, InputKind.LONG_TEXT, False, max_length=MAX_REASON)
                   for key, label in FAMILY_FIELDS.items())
    return (*family, ActionInput("meeting_date", "Stage 3 meeting / discussion date", InputKind.TEXT, False,
                                 max_length=40))


def challenger_actions(ch: Challenge) -> tuple[ActionView, ...]:
    """What the person who raised the challenge can do now."""
    acts: list[ActionView] = []
    if ch.state is State.OUTCOME_PROPOSED:
        acts.append(_action(ch, Verb.ACCEPT_OUTCOME, "Accept outcome", Style.PRIMARY,
                            help_text="Closes the challenge."))
        if ch.stage < ch.policy.last_stage:
            acts.append(_action(ch, Verb.ESCALATE_OUTCOME,
                                f"Escalate to {ch.policy.stage(ch.stage + 1).name}",
                                inputs=(_OPTIONAL_REASON,), help_text="You still disagree.", submit="Escalate"))
    if ch.state in UNDECIDED_STATES and not ch.urgent:
        acts.append(_action(ch, Verb.MARK_URGENT, "Mark urgent", Style.DANGER, (ActionInput(
            "reason", "Why it is urgent", InputKind.LONG_TEXT, True,
            "The immediate or life-threatening risk, without personal details.", max_length=MAX_REASON),),
            help_text="The time limit becomes hours and the next level is told at once."))
    if ch.is_active and ch.stage3_form_sent_at is None and _stage3_reached(ch):
        acts.append(_action(ch, Verb.SEND_STAGE3_FORM, "Send the Stage 3 form to CSAP", Style.PRIMARY,
                            _stage3_inputs(), submit="Email to CSAP",
                            help_text="The family details are emailed to the CSAP team and not kept by mashbot."))
    if ch.is_active:
        acts.append(_action(ch, Verb.WITHDRAW, "Withdraw", Style.DANGER, (_OPTIONAL_REASON,), submit="Withdraw"))
    acts.extend(_shared_actions(ch, True))
    return tuple(acts)


# --- cards -----------------------------------------------------------------------------


def _last_event(events: Sequence[Event], kinds: tuple[str, ...], stage: int) -> Event | None:
    return next((e for e in reversed(events) if e.kind in kinds and e.stage == stage), None)


def status_line(ch: Challenge, roster: Roster, events: Sequence[Event] = (),
                cal: WorkingCalendar | None = None) -> str:
    """One sentence saying where the challenge stands and who has it."""
    cal = cal or calendar_of(ch.policy)
    stage_name = ch.policy.stage(ch.stage).name
    if ch.state is State.OPEN:
        return (f"Waiting for the {stage_name} to accept: "
                f"{roster.names(ch.reviewers, ' or ')}.")
    if ch.state is State.ACCEPTED:
        owner = roster.name_of(ch.owner_id)
        last = _last_event(events, ("accepted", "delegated", "joint_refused"), ch.stage)
        if last is not None and last.kind == "delegated" and last.detail.get("to") == ch.owner_id:
            return f"With {owner}: delegated by {roster.name_of(last.actor_id)} at {cal.describe(last.at)}."
        if last is not None and last.kind == "accepted":
            return f"Taken by {owner} at {cal.describe(last.at)}."
        if not events and ch.last_action == "accepted" and ch.last_action_at is not None:
            return f"Taken by {owner} at {cal.describe(ch.last_action_at)}."
        return f"Taken by {owner}."
    if ch.state is State.AWAITING_JOINT_AGREEMENT:
        joint = ch.policy.joint_agreement
        parts = []
        for role in joint.roles if joint else ():
            who = ch.joint_agreed_by.get(role)
            parts.append(f"{role_label(role)}: " + (f"agreed ({roster.name_of(who)})" if who else "waiting"))
        return "Waiting for joint agreement — " + "; ".join(parts) + "."
    if ch.state is State.OUTCOME_PROPOSED and ch.outcome is not None:
        answer = cal.describe(ch.answer_due_at) if ch.answer_due_at else "—"
        return (f"Outcome recorded by {roster.name_of(ch.outcome.by)} at {cal.describe(ch.outcome.at)}; "
                f"waiting for {roster.name_of(ch.challenger_id)} to accept it or escalate by {answer}.")
    when = cal.describe(ch.closed_at) if ch.closed_at else "—"
    if ch.state is State.WITHDRAWN:
        return f"Withdrawn by {roster.name_of(ch.last_actor_id)} at {when}."
    if ch.last_action == "closed_unanswered":
        return f"Closed at {when}: the outcome stood (no answer within the stage window)."
    return f"Closed at {when}: outcome accepted by {roster.name_of(ch.last_actor_id)}."


def _outcome_text(ch: Challenge) -> str | None:
    if ch.outcome is None:
        return None
    label = texts.OUTCOME_LABELS.get(ch.outcome.kind.value, ch.outcome.kind.value)
    level = f" (to level {ch.outcome.level})" if ch.outcome.level else ""
    return f"{label}{level} — {ch.outcome.rationale}"


def _card(kind: CardKind, ch: Challenge, roster: Roster, viewer_id: str, now: datetime,
          events: Sequence[Event], actions: tuple[ActionView, ...], title: str, note: str | None) -> CardView:
    cal = calendar_of(ch.policy)
    spec = ch.policy.stage(ch.stage)
    level = urgency(ch, now, cal)
    due = due_words(ch, now, cal)
    _, due_at = _due_instant(ch)
    facts = [
        Fact("Reference", ch.reference),
        Fact("Case reference", ch.case_reference),
        Fact("Area", ch.area),
        Fact("Stage", f"{spec.name} ({ch.stage + 1} of {len(ch.policy.stages)}; limit {stage_limit(ch).describe()})"),
        Fact("Decision challenged", ch.decision_challenged),
        Fact("Raised by", f"{roster.name_of(ch.challenger_id)} at {cal.describe(ch.raised_at)}"),
    ]
    if due:
        facts.append(Fact("Due", due))
    if ch.urgent:
        facts.append(Fact("Urgent", "Yes — a speedy response is needed"))
    if ch.cp_or_looked_after:
        facts.append(Fact("Child protection plan / looked after", "Yes"))
    return CardView(
        kind=kind, viewer_id=viewer_id, title=title, reference=ch.reference, case_reference=ch.case_reference,
        area=ch.area, stage=ch.stage, stage_name=spec.name, stage_position=f"{ch.stage + 1} of {len(ch.policy.stages)}",
        state=ch.state.value, state_label=STATE_LABELS[ch.state.value], due=due, due_at=due_at, urgency=level,
        urgency_label=URGENCY_LABELS[level], challenged=ch.decision_challenged,
        status=status_line(ch, roster, events, cal), version=ch.version, urgent=ch.urgent, breached=ch.breached,
        active=ch.is_active, challenger_name=roster.name_of(ch.challenger_id),
        people=roster.names(_responsible(ch)), outcome=_outcome_text(ch),
        case_note=ch.outcome.case_note if ch.outcome else None, note=note, facts=tuple(facts), actions=actions,
    )


def reviewer_card(ch: Challenge, roster: Roster, viewer_id: str, now: datetime,
                  events: Sequence[Event] = ()) -> CardView:
    """The card a reviewer (or approver, or anyone else but the challenger) sees."""
    actions = reviewer_actions(ch, roster, viewer_id, now) if roster.get(viewer_id) else ()
    note = None
    if ch.is_active and not any(a.verb not in SHARED_VERBS for a in actions):
        if ch.state is State.AWAITING_JOINT_AGREEMENT:
            note = "Waiting for the joint agreement of others; nothing is needed from you."
        elif ch.state is State.OUTCOME_PROPOSED:
            note = f"Waiting for {roster.name_of(ch.challenger_id)}; nothing is needed from you."
        else:
            note = texts.NOT_YOURS.format(names=roster.names(_responsible(ch)))
    title = f"Challenge {ch.reference} — {ch.policy.stage(ch.stage).name}"
    if ch.urgent and ch.is_active:
        title = f"URGENT: {title}"
    return _card(CardKind.REVIEWER, ch, roster, viewer_id, now, events, actions, title, note)


def challenger_card(ch: Challenge, roster: Roster, viewer_id: str, now: datetime,
                    events: Sequence[Event] = ()) -> CardView:
    """The card the person who raised the challenge sees."""
    actions = challenger_actions(ch) if viewer_id == ch.challenger_id else ()
    note = None if viewer_id == ch.challenger_id else texts.ONLY_CHALLENGER.format(
        reference=ch.reference, name=roster.name_of(ch.challenger_id))
    title = f"Your challenge {ch.reference} — {ch.policy.stage(ch.stage).name}"
    return _card(CardKind.CHALLENGER, ch, roster, viewer_id, now, events, actions, title, note)


def card_for(ch: Challenge, roster: Roster, viewer_id: str, now: datetime,
             events: Sequence[Event] = ()) -> CardView:
    """The challenger's card for the challenger, the reviewer's card for everyone else."""
    if viewer_id == ch.challenger_id:
        return challenger_card(ch, roster, viewer_id, now, events)
    return reviewer_card(ch, roster, viewer_id, now, events)


_URGENCY_ORDER = {u: i for i, u in enumerate(Urgency)}


def inbox(challenges: Iterable[Challenge], roster: Roster, viewer_id: str, now: datetime) -> list[CardView]:
    """The viewer's cards: what they raised, hold, or must agree to; most pressing first."""
    cards = [card_for(ch, roster, viewer_id, now) for ch in challenges if relation(ch, roster, viewer_id)]
    far = datetime.max.replace(tzinfo=now.tzinfo)
    return sorted(cards, key=lambda c: (not c.active, not c.actions, _URGENCY_ORDER[c.urgency],
                                        c.due_at or far, c.reference))


# --- from a pressed button back to a command ---------------------------------------------


def action_command(verb: Verb | str, *, actor_id: str, reference: str, version: int,
                   values: Mapping[str, str | None]) -> ChallengeCommand:
    """The core command for an action a person pressed, with what they entered.

    Raises InvalidCommand saying what to fill in when a required input is missing; the
    core checks the rest (state, rights, version, identifiers in free text).
    """
    try:
        verb = Verb(verb)
    except ValueError:
        raise InvalidCommand(f"Unknown action {verb!r}.") from None

    def get(name: str) -> str:
        value = values.get(name)
        text = value.strip() if isinstance(value, str) else ""
        if not text and (verb.value, name) in MISSING:
            raise InvalidCommand(MISSING[(verb.value, name)])
        return text

    base: dict[str, Any] = {"actor_id": actor_id, "reference": reference, "version": version}
    match verb:
        case Verb.ACCEPT:
            return Accept(**base)
        case Verb.ESCALATE | Verb.ESCALATE_OUTCOME:
            return Escalate(**base, reason=get("reason"))
        case Verb.RECORD_OUTCOME:
            outcome = get("outcome")
            try:
                kind = Outcome(outcome)
            except ValueError:
                raise InvalidCommand(MISSING[("record_outcome", "outcome")]) from None
            level = get("level") or None
            keeps_level = kind in (Outcome.DE_ESCALATED, Outcome.ASSESSMENT_CANCELLED)
            return RecordOutcome(**base, outcome=kind, rationale=get("rationale"), level=level if keeps_level else None)
        case Verb.DELEGATE:
            return Delegate(**base, to_id=get("to"))
        case Verb.ACCEPT_OUTCOME:
            return AcceptOutcome(**base)
        case Verb.WITHDRAW:
            return Withdraw(**base, reason=get("reason"))
        case Verb.JOINT_AGREE:
            return JointAgreementAnswer(**base, agree=True)
        case Verb.JOINT_REFUSE:
            return JointAgreementAnswer(**base, agree=False, reason=get("reason"))
        case Verb.ADD_LESSON:
            return AddLesson(**base, category=get("category"), text=get("text"))
        case Verb.MARK_URGENT:
            return MarkUrgent(**base, reason=get("reason"))
        case Verb.FLAG_CP:
            return SetCpOrLookedAfter(**base, value=True)
        case Verb.TELL_CSAP:
            return TellCsapNonInvolvement(**base, detail=get("detail"))
        case Verb.SEND_STAGE3_FORM:
            family = tuple((key, get(key)) for key in FAMILY_FIELDS)
            return SendStage3Form(**base, family=family, meeting_date=get("meeting_date"))
    raise InvalidCommand(f"Unknown action {verb!r}.")  # pragma: no cover - every Verb is matched
