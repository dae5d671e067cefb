"""Every sentence mashbot says to people, in one place (English).

Messages carry references, stages, areas, due times and staff names. A reviewer's card
also carries the challenge's checked free text (the agency, what is asked for, why) — never
a child's details: free text passes the identifier check before it is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ALREADY_ACTIONED = "Already actioned by {name} at {at}."
ALREADY_DONE_BY_YOU = "You already did this at {at}; nothing more is needed."
NOT_YOURS = "This is for {names}."
PROTECTIVE_ACTION_NEEDED = (
    "Protective action: say what immediate action has been taken to reduce the risk of harm "
    "whilst the dispute is ongoing (for example a strategy discussion requested)."
)
OWN_CHALLENGE = "You raised {reference}, so you cannot review it; its reviewers are chosen without you."
ESCALATION_NEEDS_REASON = "Give the reason for escalating: the next stage and the record need it."
FORWARDED = "This card was sent to someone else ({names}); only they can use its buttons."
WITH_OTHERS = "This stage is with {names}; nothing is needed from you."
ONLY_CHALLENGER = "Only the person who raised {reference} ({name}) can do this."
UNKNOWN_PERSON = (
    "mashbot does not know you yet. Ask the mashbot administrator to add you to the roster "
    "(mashbot roster import)."
)
DONE = "Done."
NOT_FOUND = "There is no challenge {reference}. Check the reference (it looks like CH-7K2M9Q)."
FINAL_STAGE = "{reference} is at the final stage ({stage}); its decision is final and cannot be escalated further."
BAD_STATE = "{reference} is {state}; this cannot be done now."
STAGE3_FORM_NO_MAIL = (
    "The Stage 3 form for {reference} cannot be sent: mashbot has no email set up, so the family "
    "details would only wait here. Nothing you typed was kept. Please send the form to the CSAP team "
    "by email yourself, or ask the mashbot administrator to set up email (MASHBOT_SMTP_URL)."
)
DE_ESCALATION_NOTE = (
    "A reflective discussion has been held between MASH and the locality team and, owing to "
    "{rationale}, a joint decision has been made to de-escalate the case to level {level}."
)
ASK_RECORD_MADE = "Say which record was made on the case system: {kinds}."
ASK_ASSESSMENT_UNDER_WAY = (
    "Say whether a Child & Family assessment is under way: a de-escalation that ends one is not "
    "final until the {roles} jointly agree."
)
COMPLAINT_REDIRECT_DEFAULT = (
    "This sounds like a concern about practice rather than a disagreement about a decision. "
    "Please use the complaints procedure."
)

PHONE_EDT = "Outside office hours: phone the EDT on {phone}; its mailbox is read only at the start of each shift."
DECISION_MADE = "A decision has been made (the actions decided are not shared, as the policy says)."
# What a challenger told only that a decision was made never receives, and the message kinds
# they get instead of the ones that carry it.
DECISION_DETAIL_KEYS = frozenset({"rationale", "outcome_label", "case_note", "reason", "form"})
DECISION_ONLY_KINDS = {
    "outcome_recorded": "decision_made",
    "outcome_record": "decision_made_record",
    "closed": "closed_decision_only",
    "joint_refused": "joint_refused_decision_only",
    "joint_refusal_record": "joint_refused_decision_only",
}

# --- the card's words ------------------------------------------------------------------

DUE = "Due"
YOUR_ANSWER_DUE = "Your answer is due"
THEIR_ANSWER_DUE = "{name}'s answer is due"
REVIEWER_ANSWER_DUE = "The reviewer's answer is due"
OVERDUE_BY = "overdue by {amount}"
OVERDUE_TODAY = "overdue by less than a working day"
FACT_AGENCY = "Agency raising it"
FACT_ASKS_FOR = "Asks for"
FACT_REASON = "Reason"
FACT_WHY = "Why they disagree"
FACT_URGENT_REASON = "Why it is urgent"
FACT_EARLIER = "Earlier: {stage}"
FACT_UNREACHABLE = "Could not be reached"
UNREACHABLE = "{names}: no chat and no working email, so mashbot's messages did not reach them. Contact them another way."
NO_OUTCOME = "No outcome recorded."
ESCALATED_HOW = {
    "reviewer": "Escalated by {name} at {at}",
    "challenger": "The challenger ({name}) still disagreed at {at}",
    "timeout": "Timed out at {at} and moved up",
}
NO_LONGER_YOURS = "This stage is with {names}; nothing is needed from you, and this card will not change again."

# Short names of what a button does, for a dialog's title (Slack allows 24 characters there).
ACTION_TITLES: dict[str, str] = {
    "accept": "Accept",
    "escalate": "Escalate",
    "record_outcome": "Record outcome",
    "delegate": "Delegate",
    "accept_outcome": "Accept outcome",
    "escalate_outcome": "Escalate",
    "withdraw": "Withdraw",
    "joint_agree": "Agree",
    "joint_refuse": "Refuse",
    "add_lesson": "Add lesson learned",
    "mark_urgent": "Mark urgent",
    "flag_cp": "CP plan / looked after",
    "tell_csap": "Tell CSAP",
    "send_stage3_form": "Stage 3 form for CSAP",
}

COMPLAINT_ROUTE_HEADING = "This is a complaint, not a challenge"
COMPLAINT_ROUTE_HINT = "Send it with the case reference and the area only: mashbot keeps just a count."

# The reason categories of the intake (dialogs/intake offers them; cards and reports name them).
COMPLAINT_CATEGORY = "complaint"
REASON_LABELS: dict[str, str] = {
    "level_of_need": "Level of need / threshold",
    "information_sharing": "Information not shared / considered",
    "outcome": "Outcome or next steps",
    "risk": "Risk not recognised",
    "other": "Other",
    COMPLAINT_CATEGORY: "A concern about practice (timeliness, attitude) — this is a complaint",
}


def sentence(text: str) -> str:
    """Free text as one sentence: trimmed, ending in a single full stop (or its own ?/!)."""
    text = text.strip()
    if not text or text[-1] in ".?!…":
        return text
    return text + "."


EVENT_LABELS: dict[str, str] = {
    "raised": "raised",
    "accepted": "accepted",
    "escalated": "escalated",
    "escalated_timeout": "escalated (timeout)",
    "stage_skipped": "stage skipped",
    "outcome_recorded": "outcome recorded",
    "joint_agreed": "joint agreement given",
    "case_note_requested": "case note sent to the locality Practice Manager",
    "joint_refused": "joint agreement refused",
    "outcome_accepted": "outcome accepted — closed",
    "closed_unanswered": "closed (outcome stood, no answer in the stage window)",
    "withdrawn": "withdrawn",
    "delegated": "delegated",
    "marked_urgent": "marked urgent",
    "cp_flag_set": "child protection plan / looked after flagged",
    "rag_updated": "RAG rating updated (stage re-timed)",
    "lesson_added": "lesson learned added",
    "csap_told": "CSAP told (non-involvement)",
    "stage3_form_sent": "Stage 3 form sent to CSAP",
    "breached": "breached (final stage overdue)",
    "nudged": "nudged",
}

OUTCOME_LABELS: dict[str, str] = {
    "decision_revised": "Decision revised (the challenger's view accepted)",
    "decision_upheld": "Decision upheld",
    "de_escalated": "De-escalated",
    "assessment_cancelled": "Assessment cancelled (needs joint agreement)",
    "new_decision": "New decision made",
}

# kind -> (subject, body). Bodies are formatted with the message's data.
MESSAGES: dict[str, tuple[str, str]] = {
    "web_sign_in": ("Your mashbot sign-in link",
                    "Open this link to sign in to mashbot: {url} It works once, within {minutes} minutes. "
                    "If you did not ask to sign in, ignore this email: nobody can sign in without it."),
    "raised": ("Challenge {reference} raised",
               "Your challenge {reference} ({area}) is with the {stage_name}: {reviewer_names}. "
               "Due {due}."),
    "review_requested": ("Challenge {reference} needs a {stage_name}",
                         "A professional challenge {reference} ({area}) needs review at {stage_name}. "
                         "Due {due}.{urgent_note} Please Accept or Escalate."),
    "heads_up": ("Urgent challenge {reference}: heads-up",
                 "An urgent challenge {reference} ({area}) is at {stage_name}. A speedy response is "
                 "needed to safeguard the child's welfare; you will be contacted if there is none "
                 "by {due}."),
    "taken": ("Challenge {reference} taken",
              "Taken by {owner_name} at {at}."),
    "accepted": ("Challenge {reference} accepted",
                 "{owner_name} has accepted your challenge {reference} at {stage_name}. Due {due}."),
    "escalated": ("Challenge {reference} escalated to {stage_name}",
                  "{reference} moved from {from_stage} to {stage_name} ({how}). Reviewer(s): "
                  "{reviewer_names}. Due {due}."),
    "escalated_away": ("Challenge {reference} escalated",
                       "{reference} has moved from {from_stage} to {stage_name} ({how}); no action "
                       "is needed from you."),
    "nudge": ("Reminder: challenge {reference}",
              "{reference} ({area}) is waiting for you at {stage_name}. Due {due}."),
    "due_today": ("Due today: challenge {reference}",
                  "{reference} ({area}) at {stage_name} is due today, {due}."),
    "overdue": ("Overdue: challenge {reference}",
                "{reference} ({area}) at {stage_name} is overdue since {due}; it has breached the "
                "policy's limits."),
    "breached": ("Breach: challenge {reference} is overdue at the final stage",
                 "{reference} ({area}) at {stage_name} passed its due time {due} with no outcome."),
    "outcome_recorded": ("Outcome for challenge {reference}",
                         "{decider_name} recorded: {outcome_label}. Rationale: {rationale} "
                         "{answer_choice}"),
    "outcome_record": ("Record of challenge {reference}: {outcome_label}",
                       "Stage: {stage_name}. Outcome: {outcome_label}. Rationale: {rationale} "
                       "Decided by {decider_name} at {at}. {record_location}{record_made}"),
    "decision_made": ("Decision made on challenge {reference}",
                      "A decision has been made on {reference} at {stage_name}. As the policy says, the "
                      "actions the MASH decided are not shared. Accept it, or escalate if you still "
                      "disagree, by {answer_due}."),
    "decision_made_record": ("Record of challenge {reference}: a decision was made",
                             "Stage: {stage_name}. A decision was made by {decider_name} at {at}; the "
                             "actions decided are not shared, as the policy says. {record_location}"),
    "closed_decision_only": ("Challenge {reference} closed",
                             "{reference} is closed: a decision was made."),
    "joint_refused_decision_only": ("Challenge {reference} continues",
                                    "{reference} continues at {stage_name} with {owner_name}."),
    "joint_agreement_request": ("Joint agreement needed: challenge {reference}",
                                "{decider_name} proposes: {outcome_label}. Rationale: {rationale}. It "
                                "ends a Child & Family assessment, so it is not final until the MASH "
                                "County Manager and the locality Senior Manager both agree."),
    "case_note_request": ("Case note to add: challenge {reference}",
                          "The joint decision on {reference} ({area}) ends the Child & Family "
                          "assessment. Please add this case note to the child's record: {case_note}"),
    "joint_refused": ("Joint agreement refused: challenge {reference}",
                      "{actor_name} refused the proposed outcome: {reason} The stage continues "
                      "with {owner_name}."),
    "escalation_record": ("Record of challenge {reference}: escalated to {stage_name}",
                          "{reference} moved from {from_stage} to {stage_name} ({how}).{reason_line} "
                          "Reviewer(s): {reviewer_names}. Due {due}. {record_location}"),
    "joint_refusal_record": ("Record of challenge {reference}: joint agreement refused",
                             "{actor_name} refused the proposed outcome: {reason}. The stage continues "
                             "with {owner_name}. {record_location}"),
    "withdrawal_record": ("Record of challenge {reference}: withdrawn",
                          "{actor_name} withdrew {reference}.{reason_line} {record_location}"),
    "closed": ("Challenge {reference} closed",
               "{reference} is closed: {outcome_label}."),
    "withdrawn": ("Challenge {reference} withdrawn",
                  "{actor_name} withdrew {reference}. No further action is needed."),
    "delegated": ("Challenge {reference} delegated to you",
                  "{actor_name} delegated {reference} ({area}, {stage_name}) to you. Due {due}."),
    "csap_form": ("Stage 3 Monitoring Information: challenge {reference}",
                  "Stage 3 reached for {reference} (case reference {case_reference}). Monitoring form "
                  "pre-filled from the audit trail."),
    "stage3_form": ("Stage 3 Monitoring Information form: challenge {reference}",
                    "The completed Stage 3 Monitoring Information form for {reference} ({area}, case "
                    "reference {case_reference}). "
                    "mashbot does not keep the family details."),
    "family_details_request": ("Stage 3 form: family details needed for {reference}",
                               "{reference} reached Stage 3. Please send the family details for the "
                               "CSAP Stage 3 Monitoring Information form; they are emailed to CSAP and "
                               "not kept by mashbot."),
    "iro_notice": ("IRO notice: challenge {reference}",
                   "A professional challenge {reference} ({area}) concerns a child with a child "
                   "protection plan or who is looked after. Case reference: {case_reference}. "
                   "Stage: {stage_name}."),
    "edt_notice": ("EDT notice: urgent challenge {reference} out of hours",
                   "An urgent challenge {reference} ({area}, case reference {case_reference}) was "
                   "raised outside office hours."),
    "edt_escalated_notice": ("EDT notice: urgent challenge {reference} escalated out of hours",
                             "An urgent challenge {reference} ({area}, case reference {case_reference}) "
                             "moved from {from_stage} to {stage_name} outside office hours. Reviewer(s): "
                             "{reviewer_names}. Due {due}."),
    "rag_updated": ("Challenge {reference}: RAG rating now {to_rag}",
                    "The RAG rating of {reference} changed from {from_rag} to {to_rag}; {stage_name} is "
                    "now due {due}."),
    "lesson_learned": ("Lesson learned from challenge {reference}",
                       "{category_label}: {text}"),
    "csap_non_involvement": ("CSAP: non-involvement in a life-threatening case ({reference})",
                             "Case reference: {case_reference}. {detail}"),
}


ANSWER_CHOICE = "Accept the outcome, or escalate if you still disagree, by {answer_due}."
ANSWER_FINAL = ("This is the final stage, so it cannot be escalated: accept the outcome by {answer_due} "
                "(it stands then in any case).")
_SENTENCES = ("rationale", "reason")  # free text that ends a sentence in a message


def render(kind: str, data: Mapping[str, Any]) -> tuple[str, str]:
    """Subject and body for a message kind, filled from its data."""
    subject, body = MESSAGES[kind]
    values = _Defaulting(data)
    for key in _SENTENCES:
        if isinstance(values.get(key), str):
            values[key] = sentence(values[key])
    if "answer_choice" not in values:
        final = values.get("final_stage") is True
        values["answer_choice"] = (ANSWER_FINAL if final else ANSWER_CHOICE).format_map(values)
    return subject.format_map(values), body.format_map(values)


class _Defaulting(dict[str, Any]):
    """Missing keys render as empty text rather than failing a send."""

    def __missing__(self, key: str) -> str:
        return ""
