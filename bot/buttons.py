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

from bot import discussions, sides, texts
from bot.challenge import UNDECIDED_STATES, Challenge, Outcome, State
from bot.commands import (
    FAMILY_FIELDS,
    LESSON_CATEGORIES,
    LESSON_SCOPES,
    Accept,
    AcceptOutcome,
    AddLesson,
    BookDiscussion,
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
from bot.calendar import calendar_of
from bot.policy import Policy
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
    BOOK_DISCUSSION = "book_discussion"  # a party books the telephone / face-to-face discussion


class Style(StrEnum):
    PRIMARY = "primary"
    DEFAULT = "default"
    DANGER = "danger"


@dataclass(frozen=True)
class ActionView:
    """One button (and the inputs it needs) for this viewer, bound to the version shown."""

    verb: Verb
    label: str
    reference: str
    version: int
    style: Style = Style.DEFAULT
    inputs: tuple[Field, ...] = ()
    help: str = ""
    submit_label: str = ""
    title: str = ""  # a short name for the dialog it opens (texts.ACTION_TITLES)

    @property
    def needs_input(self) -> bool:
        return bool(self.inputs)


SHARED_VERBS = frozenset({Verb.ADD_LESSON, Verb.FLAG_CP, Verb.TELL_CSAP, Verb.BOOK_DISCUSSION})  # not a reviewer's decision

MAX_REASON = 500
MAX_RATIONALE = 1000

# Verb -> what it asks for when nothing depends on the challenge. Choices that depend on
# the policy or roster (outcomes, levels, delegates) are filled in when a card is built.
_REASON = Field("reason", texts.LABEL_REASON, FieldKind.LONG_TEXT, True, texts.HELP_NO_PERSONAL_DETAILS,
                      max_length=MAX_REASON)
_OPTIONAL_REASON = Field("reason", texts.LABEL_REASON_OPTIONAL, FieldKind.LONG_TEXT, False,
                               texts.HELP_NO_PERSONAL_DETAILS, max_length=MAX_REASON)
MISSING = texts.MISSING  # what a required input says when it is left empty, by (verb, input id)


# --- who is who ------------------------------------------------------------------------


def pending_joint_roles(challenge: Challenge, person: Person | None) -> list[str]:
    """The joint-agreement roles this person holds for the area and has not yet answered for."""
    if (person is None or challenge.state is not State.AWAITING_JOINT_AGREEMENT
            or person.id == challenge.challenger_id):
        return []
    return [r for r in sides.answerable_roles(challenge, person) if r not in challenge.joint_agreed_by]


def may_act_as_reviewer(challenge: Challenge, roster: Roster, viewer_id: str) -> bool:
    if viewer_id == challenge.challenger_id:
        return False  # nobody reviews their own challenge, whatever roles they hold
    return may_review(challenge.policy, roster, viewer_id, challenge.stage, challenge.area,
                      challenge.responsible)


def delegate_options(challenge: Challenge, roster: Roster, viewer_id: str, now: datetime) -> tuple[Choice, ...]:
    """Colleagues a stage can be handed to: MASH staff with a role, present today."""
    today = calendar_of(challenge.policy).local(now).date()
    found = []
    for person in roster.people:
        if person.id in (viewer_id, challenge.challenger_id) or person.side is not Side.MASH:
            continue
        if not person.roles or all(r.endswith("_mailbox") for r in person.roles) or person.is_away(today):
            continue
        found.append(Choice(person.id, f"{person.name} ({', '.join(role_label(r) for r in person.roles)})"))
    return tuple(found)


# --- actions ---------------------------------------------------------------------------


def _action(ch: Challenge, verb: Verb, label: str, style: Style = Style.DEFAULT,
            inputs: Sequence[Field] = (), help_text: str = "", submit: str = "") -> ActionView:
    return ActionView(verb, label, ch.reference, ch.version, style, tuple(inputs), help_text, submit or label,
                      texts.ACTION_TITLES.get(verb.value, label))


def _outcome_inputs(policy: Policy) -> tuple[Field, ...]:
    outcomes = tuple(Choice(o, texts.OUTCOME_LABELS.get(o, o)) for o in policy.outcomes)
    inputs = [
        Field("outcome", texts.LABEL_OUTCOME, FieldKind.CHOICE, True, choices=outcomes),
        Field("rationale", texts.LABEL_RATIONALE, FieldKind.LONG_TEXT, True,
                    texts.HELP_RATIONALE, max_length=MAX_RATIONALE),
    ]
    if Outcome.DE_ESCALATED.value in policy.outcomes and policy.de_escalation_levels:
        # Not conditional: a cancelled assessment is also a de-escalation, and its case note
        # names the level, so the field shows for both outcomes in every channel.
        inputs.append(Field(
            "level", texts.LABEL_LEVEL, FieldKind.CHOICE, False,
            texts.HELP_LEVEL,
            choices=tuple(Choice(level, texts.CHOICE_LEVEL.format(level=level))
                          for level in policy.de_escalation_levels)))
    if policy.record_kinds:
        inputs.append(Field("record_made", texts.LABEL_RECORD_MADE, FieldKind.CHOICE, True,
                                  policy.record_location, choices=tuple(Choice(k, k) for k in policy.record_kinds)))
    joint = policy.joint_agreement
    if joint and Outcome.DE_ESCALATED.value in joint.when_assessment_ends:
        inputs.append(Field(
            "assessment_under_way", texts.LABEL_ASSESSMENT_UNDER_WAY, FieldKind.CHOICE, False,
            texts.HELP_ASSESSMENT_UNDER_WAY
            + " and ".join(role_label(r) for r in joint.roles) + ".",
            choices=(Choice("yes", texts.CHOICE_ASSESSMENT_ENDS), Choice("no", texts.CHOICE_NO)),
            shown_when=("outcome", Outcome.DE_ESCALATED.value)))
    return tuple(inputs)


def _lesson_inputs() -> tuple[Field, ...]:
    return (
        Field("scope", texts.LABEL_LESSON_SCOPE, FieldKind.CHOICE, True, default="multi_agency",
              choices=tuple(Choice(k, v) for k, v in LESSON_SCOPES.items())),
        Field("category", texts.LABEL_LESSON_KIND, FieldKind.CHOICE, False, texts.HELP_LESSON_KIND,
              choices=tuple(Choice(k, v) for k, v in LESSON_CATEGORIES.items())),
        Field("text", texts.LABEL_LESSON, FieldKind.LONG_TEXT, False, texts.HELP_NO_PERSONAL_DETAILS,
                    max_length=MAX_RATIONALE),
    )


def _shared_actions(ch: Challenge, involved: bool) -> list[ActionView]:
    """Actions any involved person (challenger or reviewer) may take."""
    acts: list[ActionView] = []
    if not involved:
        return acts
    n = ch.policy.notifications
    if ch.is_active and not ch.cp_or_looked_after and n.iro_when_cp_or_looked_after:
        acts.append(_action(ch, Verb.FLAG_CP, texts.BUTTON_FLAG_CP,
                            help_text=texts.HELP_FLAG_CP))
    if ch.is_active and ch.urgent and n.csap:
        acts.append(_action(ch, Verb.TELL_CSAP, texts.BUTTON_TELL_CSAP, inputs=(
            Field("detail", texts.LABEL_CSAP_DETAIL, FieldKind.LONG_TEXT, False,
                        texts.HELP_NO_PERSONAL_DETAILS, max_length=MAX_REASON),),
            help_text=texts.HELP_TELL_CSAP,
            submit=texts.SUBMIT_TELL_CSAP))
    if n.lessons_learned:
        acts.append(_action(ch, Verb.ADD_LESSON, texts.BUTTON_ADD_LESSON, inputs=_lesson_inputs(),
                            submit=texts.SUBMIT_LESSON))
    return acts


def reviewer_actions(ch: Challenge, roster: Roster, viewer_id: str, now: datetime) -> tuple[ActionView, ...]:
    """What a reviewer (or an approver, or someone above the reviewer) can do now."""
    acts: list[ActionView] = []
    can_review = may_act_as_reviewer(ch, roster, viewer_id)
    not_last = ch.stage < ch.policy.last_stage
    next_name = ch.policy.stage(ch.stage + 1).name if not_last else ""
    escalate = _action(ch, Verb.ESCALATE,
                       texts.BUTTON_ESCALATE_TO.format(stage=next_name) if not_last else texts.BUTTON_ESCALATE,
                       inputs=(_REASON,), submit=texts.BUTTON_ESCALATE,
                       help_text=texts.HELP_ESCALATE.format(stage=next_name) if not_last else "")
    delegate = _action(ch, Verb.DELEGATE, texts.BUTTON_DELEGATE, inputs=(Field(
        "to", texts.LABEL_DELEGATE_TO, FieldKind.CHOICE, True, choices=delegate_options(ch, roster, viewer_id, now)),))
    if can_review and ch.state is State.OPEN:
        acts.append(_action(ch, Verb.ACCEPT, texts.BUTTON_ACCEPT, Style.PRIMARY, help_text=texts.HELP_ACCEPT))
        if not_last:
            acts.append(escalate)
        acts.append(delegate)
    elif can_review and ch.state is State.ACCEPTED:
        acts.append(_action(ch, Verb.RECORD_OUTCOME, texts.BUTTON_RECORD_OUTCOME, Style.PRIMARY,
                            _outcome_inputs(ch.policy)))
        if not_last:
            acts.append(escalate)
        acts.append(delegate)
    pending = pending_joint_roles(ch, roster.get(viewer_id))
    joint = ch.policy.joint_agreement
    if pending and ch.outcome is not None and not (ch.outcome.joint and joint and set(pending) & set(joint.roles)):
        acts.extend(counterpart_actions(ch))  # the stage's counterpart, deciding with the reviewer
    elif pending:
        acts.append(_action(ch, Verb.JOINT_AGREE, texts.BUTTON_AGREE, Style.PRIMARY))
        acts.append(_action(ch, Verb.JOINT_REFUSE, texts.BUTTON_REFUSE, Style.DANGER, (
            Field("reason", texts.LABEL_REFUSAL_REASON, FieldKind.LONG_TEXT, True, texts.HELP_NO_PERSONAL_DETAILS,
                        max_length=MAX_REASON),), submit=texts.BUTTON_REFUSE))
    viewer = roster.get(viewer_id)
    rater = ch.policy.rag_updated_by
    if (rater and viewer is not None and viewer.has_role(rater) and ch.state in UNDECIDED_STATES
            and viewer_id != ch.challenger_id):
        acts.append(_action(ch, Verb.UPDATE_RAG, texts.BUTTON_UPDATE_RAG, inputs=(Field(
            "rag", texts.LABEL_NEW_RAG, FieldKind.CHOICE, True, texts.HELP_NEW_RAG,
            choices=tuple(Choice(r, r) for r in ch.policy.rag_limits if r != ch.rag)),), submit=texts.SUBMIT_UPDATE))
    acts.extend(book_discussion_action(ch, roster, viewer_id))
    acts.extend(_shared_actions(ch, can_review))
    return tuple(acts)


def counterpart_actions(ch: Challenge) -> list[ActionView]:
    """A joint stage's counterpart agrees with the proposed outcome or disagrees, with a reason
    (the same answer as a joint agreement, in the counterpart's words)."""
    return [
        _action(ch, Verb.JOINT_AGREE, texts.BUTTON_AGREE_OUTCOME, Style.PRIMARY, submit=texts.SUBMIT_AGREE),
        _action(ch, Verb.JOINT_REFUSE, texts.BUTTON_DISAGREE, Style.DANGER, (
            Field("reason", texts.LABEL_DISAGREE_REASON, FieldKind.LONG_TEXT, True, texts.HELP_NO_PERSONAL_DETAILS,
                  max_length=MAX_REASON),), submit=texts.BUTTON_DISAGREE,
            help_text=texts.HELP_DISAGREE),
    ]


def book_discussion_action(ch: Challenge, roster: Roster, viewer_id: str) -> list[ActionView]:
    """"Book a discussion": a time the parties chose, emailed to each as an invitation."""
    if not discussions.may_book(ch, roster, viewer_id):
        return []
    return [_action(ch, Verb.BOOK_DISCUSSION, texts.BUTTON_BOOK_DISCUSSION, inputs=(
        Field("when", texts.LABEL_DISCUSSION_WHEN, FieldKind.TEXT, True, texts.HELP_DISCUSSION_WHEN, max_length=16),
        Field("how", texts.LABEL_DISCUSSION_HOW, FieldKind.CHOICE, True, default="telephone",
              choices=tuple(Choice(k, v) for k, v in discussions.HOW.items())),
        Field("minutes", texts.LABEL_DISCUSSION_LENGTH, FieldKind.CHOICE, True, default="30",
              choices=tuple(Choice(str(m), texts.DISCUSSION_MINUTES.format(minutes=m)) for m in discussions.MINUTES))),
        help_text=texts.HELP_BOOK_DISCUSSION, submit=texts.SUBMIT_BOOK)]


def _stage3_inputs() -> tuple[Field, ...]:
    family = tuple(Field(key, label, FieldKind.LONG_TEXT, False, max_length=MAX_REASON)
                   for key, label in FAMILY_FIELDS.items())
    return (*family, Field("meeting_date", texts.LABEL_MEETING_DATE, FieldKind.TEXT, False,
                                 max_length=40))


def challenger_actions(ch: Challenge, roster: Roster | None = None) -> tuple[ActionView, ...]:
    """What the person who raised the challenge can do now."""
    acts: list[ActionView] = []
    if ch.state is State.OUTCOME_PROPOSED:
        acts.append(_action(ch, Verb.ACCEPT_OUTCOME, texts.BUTTON_ACCEPT_OUTCOME, Style.PRIMARY,
                            help_text=texts.HELP_ACCEPT_OUTCOME))
        if ch.stage < ch.policy.last_stage:
            acts.append(_action(ch, Verb.ESCALATE_OUTCOME,
                                texts.BUTTON_ESCALATE_TO.format(stage=ch.policy.stage(ch.stage + 1).name),
                                inputs=(_OPTIONAL_REASON,), submit=texts.BUTTON_ESCALATE,
                                help_text=texts.HELP_ESCALATE_OUTCOME.format(stage=ch.policy.stage(ch.stage + 1).name)))
    if ch.state in UNDECIDED_STATES and not ch.urgent:
        acts.append(_action(ch, Verb.MARK_URGENT, texts.BUTTON_MARK_URGENT, Style.DEFAULT, (Field(
            "reason", texts.LABEL_URGENT_REASON, FieldKind.LONG_TEXT, True,
            texts.HELP_URGENT_REASON, max_length=MAX_REASON),
            Field("protective_action", texts.PROTECTIVE_ACTION_LABEL, FieldKind.LONG_TEXT, True,
                        texts.PROTECTIVE_ACTION_HELP, max_length=MAX_REASON)),
            help_text=texts.HELP_MARK_URGENT))
    if ch.is_active and ch.stage3_form_sent_at is None and ch.stage3_reached:
        acts.append(_action(ch, Verb.SEND_STAGE3_FORM, texts.BUTTON_STAGE3_FORM, Style.PRIMARY,
                            _stage3_inputs(), submit=texts.SUBMIT_STAGE3_FORM,
                            help_text=texts.HELP_STAGE3_FORM))
    if ch.is_active and roster is not None:
        acts.extend(book_discussion_action(ch, roster, ch.challenger_id))
    if ch.is_active:
        acts.append(_action(ch, Verb.WITHDRAW, texts.BUTTON_WITHDRAW, Style.DANGER, (_OPTIONAL_REASON,),
                            submit=texts.BUTTON_WITHDRAW))
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
        raise InvalidCommand(texts.UNKNOWN_ACTION.format(verb=verb)) from None

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
            return AddLesson(**base, category=get("category"), text=get("text"), scope=get("scope") or "multi_agency")
        case Verb.MARK_URGENT:
            return MarkUrgent(**base, reason=get("reason"), protective_action=get("protective_action"))
        case Verb.UPDATE_RAG:
            return UpdateRag(**base, rag=get("rag"))
        case Verb.FLAG_CP:
            return SetCpOrLookedAfter(**base, value=True)
        case Verb.TELL_CSAP:
            return TellCsapNonInvolvement(**base, detail=get("detail"))
        case Verb.BOOK_DISCUSSION:
            minutes = get("minutes") or "30"
            if not minutes.isdigit():
                raise InvalidCommand("Choose how long the discussion is.")
            return BookDiscussion(**base, when=get("when"), how=get("how") or "telephone", minutes=int(minutes))
        case Verb.SEND_STAGE3_FORM:
            family = tuple((key, get(key)) for key in FAMILY_FIELDS)
            return SendStage3Form(**base, family=family, meeting_date=get("meeting_date"))
    raise InvalidCommand(texts.UNKNOWN_ACTION.format(verb=verb))  # pragma: no cover - every Verb is matched
