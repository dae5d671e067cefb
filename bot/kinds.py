"""The kinds of audit events and of outgoing messages.

String enums whose values are the kinds stored in `challenge_events.kind` and `outbox.kind`:
a member equals its string, so stored rows and code comparing with strings keep working.
"""

from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    """What happened to a challenge (one audit-trail entry)."""

    RAISED = "raised"
    ACCEPTED = "accepted"
    ESCALATED = "escalated"
    ESCALATED_TIMEOUT = "escalated_timeout"
    STAGE_SKIPPED = "stage_skipped"
    OUTCOME_RECORDED = "outcome_recorded"
    JOINT_AGREED = "joint_agreed"
    CASE_NOTE_REQUESTED = "case_note_requested"
    JOINT_REFUSED = "joint_refused"
    OUTCOME_ACCEPTED = "outcome_accepted"
    CLOSED_UNANSWERED = "closed_unanswered"
    WITHDRAWN = "withdrawn"
    DELEGATED = "delegated"
    MARKED_URGENT = "marked_urgent"
    CP_FLAG_SET = "cp_flag_set"
    RAG_UPDATED = "rag_updated"
    LESSON_ADDED = "lesson_added"
    CSAP_TOLD = "csap_told"
    STAGE3_FORM_SENT = "stage3_form_sent"
    BREACHED = "breached"
    NUDGED = "nudged"
    CSAP_FORM_RESENT = "csap_form_resent"
    DISCUSSION_BOOKED = "discussion_booked"
    EMERGENCY_PROTOCOL = "emergency_protocol"
    LESSON_NONE = "lesson_none"
    LESSON_ASKED = "lesson_asked"
    CSAP_SENIOR_NOTICE = "csap_senior_notice"
    COUNTERPART_INVOLVED = "counterpart_involved"
    OTHER_ORGANISATION_ADVISED = "other_organisation_advised"


class MessageKind(StrEnum):
    """What a message tells its reader; `bot.texts.MESSAGES` holds the words of each."""

    RAISED = "raised"
    REVIEW_REQUESTED = "review_requested"
    HEADS_UP = "heads_up"
    TAKEN = "taken"
    ACCEPTED = "accepted"
    ESCALATED = "escalated"
    ESCALATED_AWAY = "escalated_away"
    NUDGE = "nudge"
    DUE_TODAY = "due_today"
    OVERDUE = "overdue"
    BREACHED = "breached"
    OUTCOME_RECORDED = "outcome_recorded"
    OUTCOME_RECORD = "outcome_record"
    DECISION_MADE = "decision_made"
    DECISION_MADE_RECORD = "decision_made_record"
    CLOSED_DECISION_ONLY = "closed_decision_only"
    JOINT_REFUSED_DECISION_ONLY = "joint_refused_decision_only"
    JOINT_AGREEMENT_REQUEST = "joint_agreement_request"
    CASE_NOTE_REQUEST = "case_note_request"
    JOINT_REFUSED = "joint_refused"
    ESCALATION_RECORD = "escalation_record"
    JOINT_REFUSAL_RECORD = "joint_refusal_record"
    WITHDRAWAL_RECORD = "withdrawal_record"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    DELEGATED = "delegated"
    CSAP_FORM = "csap_form"
    STAGE3_FORM = "stage3_form"
    FAMILY_DETAILS_REQUEST = "family_details_request"
    IRO_NOTICE = "iro_notice"
    EDT_NOTICE = "edt_notice"
    EDT_ESCALATED_NOTICE = "edt_escalated_notice"
    RAG_UPDATED = "rag_updated"
    LESSON_LEARNED = "lesson_learned"
    CSAP_NON_INVOLVEMENT = "csap_non_involvement"
    CSAP_FORM_OUTCOME = "csap_form_outcome"
    DISCUSSION_INVITATION = "discussion_invitation"
    EMERGENCY_PROTOCOL = "emergency_protocol"
    LESSON_QUESTION = "lesson_question"
    CSAP_SENIOR_NOTICE = "csap_senior_notice"
    COUNTERPART_STAGE = "counterpart_stage"
    ESCALATION_ADVICE = "escalation_advice"
    COUNTERPART_AGREEMENT_REQUEST = "counterpart_agreement_request"
    WEB_SIGN_IN = "web_sign_in"  # the /web sign-in link, sent at once and never stored
    DIGEST = "digest"  # the daily digest (bot.digest), not about one challenge
