"""What a card's buttons offer this viewer, and the one core command a press makes.

Pure, like the rest of the view models: built from a challenge, the roster, the viewer and
`now`. Every action carries the challenge's version, so a stale press is refused by the core.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot import texts
from bot.challenge import UNDECIDED_STATES, Challenge, Outcome, State
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
    UpdateRag,
    Withdraw,
)
from bot.errors import InvalidCommand
from bot.fields import Choice, Field, FieldKind
from bot.ladder import calendar_of
from bot.policy import Duty, Policy
from bot.reviewers import may_review
from bot.roles import role_label
from bot.roster import Person, Roster, Side

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
    UPDATE_RAG = "update_rag"  # the MASH Team Manager re-rates the contact (Coventry)


class Style(StrEnum):
    PRIMARY = "primary"
    DEFAULT = "default"
    DANGER = "danger"


# What a button asks for is a form field like any other.
ActionInput = Field
InputKind = FieldKind
Option = Choice


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
    title: str = ""  # a short name for the dialog it opens (texts.ACTION_TITLES)

    @property
    def needs_input(self) -> bool:
        return bool(self.inputs)


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
    ("update_rag", "rag"): "Choose the new RAG rating.",
    ("mark_urgent", "protective_action"): "Say what immediate protective action has been taken.",
}
PROTECTIVE_ACTION_LABEL = "Immediate protective action taken"
PROTECTIVE_ACTION_HELP = ("What has been done to reduce the risk of harm whilst the dispute is ongoing, "
                          "without personal details.")


# --- who is who ------------------------------------------------------------------------


def responsible(challenge: Challenge) -> tuple[str, ...]:
    return (challenge.owner_id,) if challenge.owner_id else challenge.reviewers


def pending_joint_roles(challenge: Challenge, person: Person | None) -> list[str]:
    """The joint-agreement roles this person holds for the area and has not yet answered for."""
    joint = challenge.policy.joint_agreement
    if (person is None or joint is None or challenge.state is not State.AWAITING_JOINT_AGREEMENT
            or person.id == challenge.challenger_id):
        return []
    return [r for r in joint.roles if r not in challenge.joint_agreed_by and person.has_role(r, challenge.area)]


def may_act_as_reviewer(challenge: Challenge, roster: Roster, viewer_id: str) -> bool:
    if viewer_id == challenge.challenger_id:
        return False  # nobody reviews their own challenge, whatever roles they hold
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
    return ActionView(verb, label, ch.reference, ch.version, style, tuple(inputs), help_text, submit or label,
                      texts.ACTION_TITLES.get(verb.value, label))


def _outcome_inputs(policy: Policy) -> tuple[ActionInput, ...]:
    outcomes = tuple(Option(o, texts.OUTCOME_LABELS.get(o, o)) for o in policy.outcomes)
    inputs = [
        ActionInput("outcome", "Outcome", InputKind.CHOICE, True, choices=outcomes),
        ActionInput("rationale", "Rationale", InputKind.LONG_TEXT, True,
                    "Why — without names or other personal details.", max_length=MAX_RATIONALE),
    ]
    if Outcome.DE_ESCALATED.value in policy.outcomes and policy.de_escalation_levels:
        # Not conditional: a cancelled assessment is also a de-escalation, and its case note
        # names the level, so the field shows for both outcomes in every channel.
        inputs.append(ActionInput(
            "level", "Level to de-escalate to", InputKind.CHOICE, False,
            "Needed when the outcome is de-escalated or the assessment cancelled.",
            choices=tuple(Option(level, f"Level {level}") for level in policy.de_escalation_levels)))
    if policy.record_kinds:
        inputs.append(ActionInput("record_made", "Record made on the case system", InputKind.CHOICE, True,
                                  policy.record_location, choices=tuple(Option(k, k) for k in policy.record_kinds)))
    joint = policy.joint_agreement
    if joint and Outcome.DE_ESCALATED.value in joint.when_assessment_ends:
        inputs.append(ActionInput(
            "assessment_under_way", "Is a Child & Family assessment under way?", InputKind.CHOICE, False,
            "Needed for a de-escalation: ending an assessment needs the joint agreement of the "
            + " and ".join(role_label(r) for r in joint.roles) + ".",
            choices=(Option("yes", "Yes: the de-escalation ends it"), Option("no", "No")),
            shown_when=("outcome", Outcome.DE_ESCALATED.value)))
    return tuple(inputs)


def _lesson_inputs() -> tuple[ActionInput, ...]:
    return (
        ActionInput("category", "Kind of lesson", InputKind.CHOICE, True,
                    choices=tuple(Option(k, v) for k, v in LESSON_CATEGORIES.items())),
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
            help_text="For a life-threatening case where an agency holds a position of non-involvement.",
            submit="Tell CSAP"))
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
                       inputs=(_REASON,), submit="Escalate",
                       help_text=f"It goes to the {next_name}." if not_last else "")
    delegate = _action(ch, Verb.DELEGATE, "Delegate", inputs=(ActionInput(
        "to", "Delegate to", InputKind.CHOICE, True, choices=delegate_options(ch, roster, viewer_id, now)),))
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
    if pending_joint_roles(ch, roster.get(viewer_id)):
        acts.append(_action(ch, Verb.JOINT_AGREE, "Agree", Style.PRIMARY))
        acts.append(_action(ch, Verb.JOINT_REFUSE, "Refuse", Style.DANGER, (
            ActionInput("reason", "Reason for refusing", InputKind.LONG_TEXT, True, "Without personal details.",
                        max_length=MAX_REASON),), submit="Refuse"))
    viewer = roster.get(viewer_id)
    rater = ch.policy.rag_updated_by
    if (rater and viewer is not None and viewer.has_role(rater) and ch.state in UNDECIDED_STATES
            and viewer_id != ch.challenger_id):
        acts.append(_action(ch, Verb.UPDATE_RAG, "Update RAG rating", inputs=(ActionInput(
            "rag", "New RAG rating", InputKind.CHOICE, True, "The open stage is re-timed from its start.",
            choices=tuple(Option(r, r) for r in ch.policy.rag_limits if r != ch.rag)),), submit="Update"))
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
                                inputs=(_OPTIONAL_REASON,), submit="Escalate",
                                help_text=f"You still disagree: it goes to the {ch.policy.stage(ch.stage + 1).name}."))
    if ch.state in UNDECIDED_STATES and not ch.urgent:
        acts.append(_action(ch, Verb.MARK_URGENT, "Mark urgent", Style.DEFAULT, (ActionInput(
            "reason", "Why it is urgent", InputKind.LONG_TEXT, True,
            "The immediate or life-threatening risk, without personal details.", max_length=MAX_REASON),
            ActionInput("protective_action", PROTECTIVE_ACTION_LABEL, InputKind.LONG_TEXT, True,
                        PROTECTIVE_ACTION_HELP, max_length=MAX_REASON)),
            help_text="The time limit becomes hours and the next level is told at once."))
    if ch.is_active and ch.stage3_form_sent_at is None and _stage3_reached(ch):
        acts.append(_action(ch, Verb.SEND_STAGE3_FORM, "Send the Stage 3 form to CSAP", Style.PRIMARY,
                            _stage3_inputs(), submit="Email to CSAP",
                            help_text="The family details are emailed to the CSAP team and not kept by mashbot."))
    if ch.is_active:
        acts.append(_action(ch, Verb.WITHDRAW, "Withdraw", Style.DANGER, (_OPTIONAL_REASON,), submit="Withdraw"))
    acts.extend(_shared_actions(ch, True))
    return tuple(acts)


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
            raise InvalidCommand(MISSING[(verb.value, name)], field=name)
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
                raise InvalidCommand(MISSING[("record_outcome", "outcome")], field="outcome") from None
            level = get("level") or None
            keeps_level = kind in (Outcome.DE_ESCALATED, Outcome.ASSESSMENT_CANCELLED)
            under_way = {"yes": True, "no": False}.get(get("assessment_under_way").lower())
            return RecordOutcome(**base, outcome=kind, rationale=get("rationale"), level=level if keeps_level else None,
                                 assessment_under_way=under_way if kind is Outcome.DE_ESCALATED else None,
                                 record_made=get("record_made") or None)
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
            return MarkUrgent(**base, reason=get("reason"), protective_action=get("protective_action"))
        case Verb.UPDATE_RAG:
            return UpdateRag(**base, rag=get("rag"))
        case Verb.FLAG_CP:
            return SetCpOrLookedAfter(**base, value=True)
        case Verb.TELL_CSAP:
            return TellCsapNonInvolvement(**base, detail=get("detail"))
        case Verb.SEND_STAGE3_FORM:
            family = tuple((key, get(key)) for key in FAMILY_FIELDS)
            return SendStage3Form(**base, family=family, meeting_date=get("meeting_date"))
    raise InvalidCommand(f"Unknown action {verb!r}.")  # pragma: no cover - every Verb is matched
