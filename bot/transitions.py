"""The ladder's state transitions as one table: which command, by whom, from which states,
to which (DESIGN §4).

`bot.handlers` enforces it for every person's command (`rule_for`, `check_state`) before the
decision runs, and `bot.ladder.tick` for the time limits; the decisions in `bot.decisions` and
`bot.ladder` then check only what the table cannot say (a reason given, a role held, the
outcome allowed by the policy).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot import texts
from bot.challenge import ACTIVE_STATES, UNDECIDED_STATES, Challenge, State
from bot.commands import (
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


class Who(StrEnum):
    """Who may make a transition."""

    CHALLENGER = "challenger"  # only the person who raised the challenge
    REVIEWER = "reviewer"  # the owner or assigned reviewers, their delegate or someone above; never the challenger
    INVOLVED = "involved"  # the challenger or a reviewer
    ROLE_HOLDER = "role holder"  # holders of a policy role the decision checks (joint agreement, RAG rating)
    TIME_LIMIT = "time limit"  # nobody: the tick, when a time limit runs out


ANY_STATE = frozenset(State)
OPEN, ACCEPTED, JOINT, PROPOSED = State.OPEN, State.ACCEPTED, State.AWAITING_JOINT_AGREEMENT, State.OUTCOME_PROPOSED


@dataclass(frozen=True)
class Transition:
    what: str  # the command's name, or the time limit that runs out
    who: Who
    from_states: frozenset[State]
    to: tuple[State, ...]  # the states it can lead to; () when the state stays as it was


def _t(what: str, who: Who, from_states: frozenset[State] | set[State], *to: State) -> Transition:
    return Transition(what, who, frozenset(from_states), to)


UNDECIDED, ACTIVE, ANY = UNDECIDED_STATES, ACTIVE_STATES, ANY_STATE
CLOSED, WITHDRAWN = State.CLOSED, State.WITHDRAWN
REVIEWER, CHALLENGER, INVOLVED = Who.REVIEWER, Who.CHALLENGER, Who.INVOLVED
ROLE_HOLDER, TIME = Who.ROLE_HOLDER, Who.TIME_LIMIT

#                     what                      who          from                to
ACCEPT              = _t("Accept",               REVIEWER,    {OPEN},             ACCEPTED)
REVIEWER_ESCALATE   = _t("Escalate",             REVIEWER,    {OPEN, ACCEPTED},   OPEN)  # the next stage
RECORD_OUTCOME      = _t("RecordOutcome",        REVIEWER,    {OPEN, ACCEPTED},   PROPOSED, JOINT)  # [1]
DELEGATE            = _t("Delegate",             REVIEWER,    {OPEN, ACCEPTED})
JOINT_ANSWER        = _t("JointAgreementAnswer", ROLE_HOLDER, {JOINT},            PROPOSED, ACCEPTED)  # [2]
UPDATE_RAG          = _t("UpdateRag",            ROLE_HOLDER, UNDECIDED)          # re-times the open stage
BOOK_DISCUSSION     = _t("BookDiscussion",       ROLE_HOLDER, ACTIVE)             # the parties, by phone or face to face
ACCEPT_OUTCOME      = _t("AcceptOutcome",        CHALLENGER,  {PROPOSED},         CLOSED)
CHALLENGER_ESCALATE = _t("Escalate",             CHALLENGER,  {PROPOSED},         OPEN)  # still disagrees
WITHDRAW            = _t("Withdraw",             CHALLENGER,  ACTIVE,             WITHDRAWN)
MARK_URGENT         = _t("MarkUrgent",           CHALLENGER,  UNDECIDED)          # hours; the next level is told
SEND_STAGE3_FORM    = _t("SendStage3Form",       CHALLENGER,  ANY)                # from Stage 3 (stage3_reached)
SET_CP              = _t("SetCpOrLookedAfter",   INVOLVED,    ANY)
ADD_LESSON          = _t("AddLesson",            INVOLVED,    ANY)
TELL_CSAP           = _t("TellCsapNonInvolvement", INVOLVED,  ANY)                # urgent challenges only
STAGE_TIME_LIMIT    = _t("stage time limit",     TIME,        UNDECIDED,          OPEN)  # breached at the last
ANSWER_TIME_LIMIT   = _t("answer time limit",    TIME,        {PROPOSED},         CLOSED)  # the outcome stands
# [1] awaiting joint agreement when the outcome ends a Child & Family assessment (Lancashire)
# [2] outcome proposed once every joint-agreement role agreed; accepted again (with its owner) on a refusal

TRANSITIONS: tuple[Transition, ...] = (
    ACCEPT, REVIEWER_ESCALATE, RECORD_OUTCOME, DELEGATE, JOINT_ANSWER, UPDATE_RAG, BOOK_DISCUSSION, ACCEPT_OUTCOME,
    CHALLENGER_ESCALATE, WITHDRAW, MARK_URGENT, SEND_STAGE3_FORM, SET_CP, ADD_LESSON, TELL_CSAP,
    STAGE_TIME_LIMIT, ANSWER_TIME_LIMIT,
)

_BY_COMMAND: dict[type[ChallengeCommand], Transition] = {
    Accept: ACCEPT, RecordOutcome: RECORD_OUTCOME, Delegate: DELEGATE, JointAgreementAnswer: JOINT_ANSWER,
    UpdateRag: UPDATE_RAG, BookDiscussion: BOOK_DISCUSSION, AcceptOutcome: ACCEPT_OUTCOME, Withdraw: WITHDRAW, MarkUrgent: MARK_URGENT,
    SendStage3Form: SEND_STAGE3_FORM, SetCpOrLookedAfter: SET_CP, AddLesson: ADD_LESSON,
    TellCsapNonInvolvement: TELL_CSAP,
}


def rule_for(challenge: Challenge, cmd: ChallengeCommand) -> Transition:
    """The row a person's command falls under. Escalate is the challenger's once an outcome is
    proposed to them, the reviewer's otherwise."""
    if isinstance(cmd, Escalate):
        challenger_turn = cmd.actor_id == challenge.challenger_id and challenge.outcome is not None
        return CHALLENGER_ESCALATE if challenger_turn else REVIEWER_ESCALATE
    rule = _BY_COMMAND.get(type(cmd))
    if rule is None:
        raise TypeError(f"{type(cmd).__name__} has no row in bot.transitions.TRANSITIONS")
    return rule


def check_state(challenge: Challenge, rule: Transition) -> None:
    """Refuse a command the challenge's state does not allow, saying what state it is in."""
    if challenge.state not in rule.from_states:
        raise InvalidCommand(texts.BAD_STATE.format(reference=challenge.reference,
                                                    state=challenge.state.value.replace("_", " ")))
