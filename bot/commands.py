"""Commands: what a person (or the clock) asks the ladder to do.

A command on an existing challenge carries the version the actor saw, so a stale or
repeated press is refused rather than applied twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot import texts
from bot.challenge import ChallengerType, Outcome


@dataclass(frozen=True)
class RaiseChallenge:
    actor_id: str
    case_reference: str
    area: str
    decision_challenged: str
    requested_outcome: str
    reason_category: str
    reason_text: str
    agency: str = ""
    raised_by: ChallengerType = ChallengerType.PROFESSIONAL
    urgent: bool = False
    urgent_reason: str | None = None
    protective_action: str | None = None  # what was done at once to reduce the risk (urgent only)
    emergency_protocol: bool = False  # imminent significant harm: the Emergency Resolution Protocol
    cp_or_looked_after: bool = False
    rag: str | None = None


@dataclass(frozen=True)
class RedirectComplaint:
    """A concern about practice is a complaint, not a dispute: only a count is kept."""

    actor_id: str
    area: str


@dataclass(frozen=True)
class ChallengeCommand:
    actor_id: str
    reference: str
    version: int


@dataclass(frozen=True)
class Accept(ChallengeCommand):
    pass


@dataclass(frozen=True)
class Escalate(ChallengeCommand):
    """The reviewer, or the challenger after an outcome, moves the challenge up a stage."""

    reason: str = ""


@dataclass(frozen=True)
class RecordOutcome(ChallengeCommand):
    outcome: Outcome = Outcome.DECISION_UPHELD
    rationale: str = ""
    level: str | None = None
    assessment_under_way: bool | None = None  # asked when a de-escalation may end a C&F assessment
    record_made: str | None = None  # which record the outcome was written to (the pack's record_kinds)


@dataclass(frozen=True)
class JointAgreementAnswer(ChallengeCommand):
    agree: bool = True
    reason: str = ""


@dataclass(frozen=True)
class AcceptOutcome(ChallengeCommand):
    pass


@dataclass(frozen=True)
class Withdraw(ChallengeCommand):
    reason: str = ""


@dataclass(frozen=True)
class Delegate(ChallengeCommand):
    to_id: str = ""
    reason: str = ""


@dataclass(frozen=True)
class MarkUrgent(ChallengeCommand):
    reason: str = ""
    protective_action: str = ""


@dataclass(frozen=True)
class UpdateRag(ChallengeCommand):
    """The MASH Team Manager changes the contact's RAG rating; the open stage is re-timed."""

    rag: str = ""


@dataclass(frozen=True)
class SetCpOrLookedAfter(ChallengeCommand):
    value: bool = True


@dataclass(frozen=True)
class AddLesson(ChallengeCommand):
    category: str = "practice_guidance"  # training_need | commissioning_need | practice_guidance
    text: str = ""
    # LESSON_SCOPES: only a multi-agency lesson is sent on (Solihull: to the LSCP Business Manager)
    scope: str = "multi_agency"


@dataclass(frozen=True)
class TellCsapNonInvolvement(ChallengeCommand):
    """Life-threatening case where an agency holds a position of non-involvement."""

    detail: str = ""


@dataclass(frozen=True)
class SendStage3Form(ChallengeCommand):
    """The challenger completes the Stage 3 Monitoring Information form for CSAP.

    The family details are emailed to the CSAP team and never stored: they travel only in
    the outbox row, which is scrubbed once sent (or given up).
    """

    family: tuple[tuple[str, str], ...] = ()  # (FAMILY_FIELDS key, value)
    meeting_date: str = ""


@dataclass(frozen=True)
class BookDiscussion(ChallengeCommand):
    """A party books the telephone / Teams / face-to-face discussion of the stage."""

    when: str = ""  # local "YYYY-MM-DD HH:MM" in the policy's zone
    how: str = "telephone"  # bot.discussions.HOW
    minutes: int = 30


# Appendix 1 "Family Details" of the Lancashire Stage 3 Monitoring Information form.
FAMILY_FIELDS = texts.FAMILY_FIELD_LABELS

LESSON_SCOPES = texts.LESSON_SCOPE_LABELS
LESSON_CATEGORIES = texts.LESSON_CATEGORY_LABELS
