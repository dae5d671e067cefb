"""Every sentence mashbot says to people, in one place (English).

Messages carry references, stages, areas, due times and staff names. A reviewer's card
also carries the challenge's checked free text (the agency, what is asked for, why) — never
a child's details: free text passes the identifier check before it is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.kinds import MessageKind

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

EMERGENCY_SPEAK_NOW = ("Imminent significant harm: speak directly to your line manager or designated "
                       "safeguarding lead now — they follow the Emergency Resolution Protocol. mashbot has "
                       "told: {names}.")
EMERGENCY_NOBODY = "nobody (no line manager or safeguarding lead is on the roster for this area)"
EMERGENCY_NEEDS_URGENT = ("The Emergency Resolution Protocol is for imminent significant harm: mark the "
                          "challenge urgent and say why.")
NO_EMERGENCY_PROTOCOL = "This policy has no Emergency Resolution Protocol; mark the challenge urgent instead."
PHONE_EDT = "Outside office hours: phone the EDT on {phone}; its mailbox is read only at the start of each shift."
DECISION_MADE = "A decision has been made (the actions decided are not shared, as the policy says)."
# What a challenger told only that a decision was made never receives, and the message kinds
# they get instead of the ones that carry it.
DECISION_DETAIL_KEYS = frozenset({"rationale", "outcome_label", "case_note", "reason", "form"})
DECISION_ONLY_KINDS: dict[str, MessageKind] = {
    MessageKind.OUTCOME_RECORDED: MessageKind.DECISION_MADE,
    MessageKind.OUTCOME_RECORD: MessageKind.DECISION_MADE_RECORD,
    MessageKind.CLOSED: MessageKind.CLOSED_DECISION_ONLY,
    MessageKind.JOINT_REFUSED: MessageKind.JOINT_REFUSED_DECISION_ONLY,
    MessageKind.JOINT_REFUSAL_RECORD: MessageKind.JOINT_REFUSED_DECISION_ONLY,
}

# --- what the ladder answers and refuses (bot/ladder.py, bot/decisions.py, bot/handlers.py) ---

JUST_NOW = "just now"
TIME_LIMIT_ACTOR = "mashbot (time limit)"
NOTHING = "—"
FREE_TEXT_REFUSED = "{label}: {message}"
BAD_CASE_REFERENCE = "Case reference {case_reference!r} is not valid. {hint}"
AREA_MUST_BE = "Area must be one of {areas}."
RAISED_BY_MUST_BE = "This policy accepts challenges raised by: {kinds}."
RAG_MUST_BE = "RAG rating must be one of {ratings}."
URGENT_NEEDS_REASON = "An urgent challenge needs a reason (immediate or life-threatening risk)."
CHALLENGE_NEEDS_REASON = "Please give a short reason for the challenge."
FREE_TEXT_LABELS = {
    "reason_text": "Reason", "requested_outcome": "Requested outcome", "urgent_reason": "Urgent reason",
    "agency": "Agency", "protective_action": "Protective action", "rationale": "Rationale",
    "reason": "Reason", "lesson": "Lesson", "detail": "Detail",
}
URGENT_NOTE = " URGENT: safeguarding response needed."
DUE_OVERDUE = "{when} — overdue"
DUE_TODAY_WORDS = "{when} — due today"
DUE_DAYS_LEFT = "{when} — {left} working day{s} left"
REPLY_RAISED = "Challenge {reference} raised: with {stage} ({names}), due {due}."
ESCALATION_HOW = {
    "timeout": "no outcome within the time limit",
    "reviewer": "escalated by the reviewer",
    "challenger": "the challenger still disagrees",
}
REASON_LINE = " Reason: {reason}."
REPLY_ESCALATED = "{reference} escalated to {stage}."
REPLY_ACCEPTED = "You own {reference} at {stage}. Due {due}."
OUTCOME_MUST_BE = "Outcome must be one of: {outcomes}."
OUTCOME_NEEDS_RATIONALE = "Please give the rationale for the outcome."
DE_ESCALATION_NEEDS_LEVEL = "De-escalation needs the level: {levels}."
LEVEL_MUST_BE = "The level must be {levels}."
REPLY_WAITS_FOR_JOINT = "Recorded. {reference} waits for joint agreement ({names})."
RECORDED_AS = " Recorded as: {record}."
CHOICE_FINAL = "accept it (final stage)"
CHOICE_ACCEPT_OR_ESCALATE = "accept or escalate"
REPLY_OUTCOME = "Outcome recorded for {reference}. {challenger} can {choice} by {answer_due}."
REPLY_CASE_NOTE = " Case note: {case_note}"
REFUSAL_NEEDS_REASON = "Please give the reason for refusing."
REPLY_REFUSED = "Refused. {reference} goes back to {owner}."
REPLY_AGREEMENT_NOTED = "Agreement noted for {reference}; waiting for the other party."
REPLY_CLOSED = "{reference} is closed."
REPLY_WITHDRAWN = "{reference} is withdrawn."
DELEGATE_UNKNOWN = "{person_id!r} is not in the roster; choose a colleague mashbot knows."
DELEGATE_TO_CHALLENGER = "A challenge cannot be delegated to the person who raised it."
DELEGATE_AWAY = "{name} is away; choose someone else."
REPLY_DELEGATED = "{reference} delegated to {name}."
ALREADY_URGENT = "{reference} is already urgent."
REPLY_URGENT = "{reference} is urgent: due {due}."
NO_RAG_RATINGS = "This policy has no RAG ratings to update."
ALREADY_RATED = "{reference} is already rated {rag}."
REPLY_RAG = "{reference} is now {rag}: due {due}."
ALREADY_FLAGGED = "{reference} already has that flag."
REPLY_UPDATED = "{reference} updated."
LESSON_CATEGORY_MUST_BE = "Lesson category must be one of: {categories}."
LESSON_NEEDS_TEXT = "Please describe the lesson."
REPLY_LESSON = "Lesson recorded and sent."
URGENT_ONLY = "This action is for urgent (life-threatening) challenges only."
NON_INVOLVEMENT_DEFAULT = "An agency maintains a position of non-involvement in a life-threatening case."
REPLY_CSAP_TOLD = "The CSAP team has been told."
STAGE3_NOT_REACHED = "{reference} has not reached the stage that sends the Stage 3 form."
UNKNOWN_FAMILY_DETAILS = "Unknown family detail(s): {keys}."
FAMILY_DETAILS_NEEDED = "Please give the family details the CSAP form asks for."
NATURE_OF_DISAGREEMENT = "{decision} — asks for: {asks}"
REPLY_STAGE3_FORM = "The Stage 3 form has been emailed to the CSAP team; mashbot keeps no family details."

# --- what the buttons say and ask (bot/buttons.py) ---

LABEL_REASON_OPTIONAL = "Reason (optional)"
HELP_NO_PERSONAL_DETAILS = "Without personal details."
LABEL_REFUSAL_REASON = "Reason for refusing"
HELP_RATIONALE = "Why — without names or other personal details."
LABEL_LEVEL = "Level to de-escalate to"
HELP_LEVEL = "Needed when the outcome is de-escalated or the assessment cancelled."
LABEL_RECORD_MADE = "Record made on the case system"
LABEL_ASSESSMENT_UNDER_WAY = "Is a Child & Family assessment under way?"
HELP_ASSESSMENT_UNDER_WAY = "Needed for a de-escalation: ending an assessment needs the joint agreement of the "
CHOICE_ASSESSMENT_ENDS = "Yes: the de-escalation ends it"
LABEL_LESSON_KIND = "Kind of lesson"
BUTTON_FLAG_CP = "Child has a CP plan / is looked after"
HELP_FLAG_CP = "The IRO is told."
BUTTON_TELL_CSAP = "Tell CSAP: agency non-involvement"
LABEL_CSAP_DETAIL = "What to tell the CSAP team (optional)"
HELP_TELL_CSAP = "For a life-threatening case where an agency holds a position of non-involvement."
SUBMIT_TELL_CSAP = "Tell CSAP"
BUTTON_ADD_LESSON = "Add lesson learned"
SUBMIT_LESSON = "Send lesson"
LABEL_DELEGATE_TO = "Delegate to"
HELP_ACCEPT = "Take ownership of this stage."
BUTTON_RECORD_OUTCOME = "Record outcome"
BUTTON_UPDATE_RAG = "Update RAG rating"
LABEL_NEW_RAG = "New RAG rating"
HELP_NEW_RAG = "The open stage is re-timed from its start."
LABEL_MEETING_DATE = "Stage 3 meeting / discussion date"
BUTTON_ACCEPT_OUTCOME = "Accept outcome"
HELP_ACCEPT_OUTCOME = "Closes the challenge."
BUTTON_MARK_URGENT = "Mark urgent"
LABEL_URGENT_REASON = "Why it is urgent"
HELP_URGENT_REASON = "The immediate or life-threatening risk, without personal details."
HELP_MARK_URGENT = "The time limit becomes hours and the next level is told at once."
BUTTON_STAGE3_FORM = "Send the Stage 3 form to CSAP"
SUBMIT_STAGE3_FORM = "Email to CSAP"
HELP_STAGE3_FORM = "The family details are emailed to the CSAP team and not kept by mashbot."
BUTTON_ESCALATE = "Escalate"
BUTTON_DELEGATE = "Delegate"
BUTTON_ACCEPT = "Accept"
BUTTON_AGREE = "Agree"
BUTTON_REFUSE = "Refuse"
BUTTON_WITHDRAW = "Withdraw"
SUBMIT_UPDATE = "Update"
LABEL_OUTCOME = "Outcome"
LABEL_RATIONALE = "Rationale"
LABEL_REASON = "Reason"
LABEL_LESSON = "Lesson"
CHOICE_NO = "No"
BUTTON_ESCALATE_TO = "Escalate to {stage}"
HELP_ESCALATE = "It goes to the {stage}."
HELP_ESCALATE_OUTCOME = "You still disagree: it goes to the {stage}."
CHOICE_LEVEL = "Level {level}"
UNKNOWN_ACTION = "Unknown action {verb!r}."

# what a required input of a button says when it is left empty, by (verb, input id)
MISSING: dict[tuple[str, str], str] = {
    ("escalate", "reason"): "Give the reason for escalating.",
    ("record_outcome", "outcome"): "Choose the outcome.",
    ("record_outcome", "rationale"): "Give the rationale for the outcome.",
    ("delegate", "to"): "Choose who to delegate to.",
    ("joint_refuse", "reason"): "Give the reason for refusing.",
    ("mark_urgent", "reason"): "Say why this is urgent: what is the immediate risk?",
    ("update_rag", "rag"): "Choose the new RAG rating.",
    ("mark_urgent", "protective_action"): "Say what immediate protective action has been taken.",
    ("book_discussion", "when"): "Give the discussion's date and time (YYYY-MM-DD HH:MM).",
}
LABEL_LESSON_SCOPE = "Is there a lesson to learn?"
HELP_LESSON_KIND = "Needed when there is a lesson."
BUTTON_AGREE_OUTCOME = "Agree with the proposed outcome"
SUBMIT_AGREE = "Agree"
BUTTON_DISAGREE = "Disagree"
LABEL_DISAGREE_REASON = "Why you disagree"
HELP_DISAGREE = "The outcome goes back to the reviewer with your reason."
BUTTON_BOOK_DISCUSSION = "Book a discussion"
LABEL_DISCUSSION_WHEN = "Date and time (YYYY-MM-DD HH:MM)"
HELP_DISCUSSION_WHEN = "The time you agreed, in UK time."
LABEL_DISCUSSION_HOW = "How"
LABEL_DISCUSSION_LENGTH = "Length"
DISCUSSION_MINUTES = "{minutes} minutes"
HELP_BOOK_DISCUSSION = "Everyone taking part is emailed a calendar invitation."
SUBMIT_BOOK = "Book"
LESSON_SCOPE_NEEDED = "Say whether there is a lesson, and whether it is single- or multi-agency."
DISCUSSION_WHEN_FORMAT = "Give the discussion's date and time as {format}, e.g. 2027-01-06 14:30."
DISCUSSION_IN_THE_PAST = "The discussion's time has passed; choose a time to come."
DISCUSSION_TOO_FAR = "Choose a time within the next 60 days: the stage's limit is much shorter."
DISCUSSION_HOW_MUST_BE = "Choose how you will talk: {choices}."
DISCUSSION_LENGTH_MUST_BE = "Choose how long: {choices} minutes."
TIMELINE_COUNTERPART = "counterpart: {names}"
TIMELINE_TO_PEOPLE = "to {names}"
TIMELINE_DISCUSSION = "{how} at {when}"
TIMELINE_DISCUSSION_DEFAULT = "discussion"
TIMELINE_VIA = "via {channel}"
PROTECTIVE_ACTION_LABEL = "Immediate protective action taken"
PROTECTIVE_ACTION_HELP = ("What has been done to reduce the risk of harm whilst the dispute is ongoing, "
                          "without personal details.")

# --- where a challenge stands, on its card (bot/views.py) ---

STATE_LABELS: dict[str, str] = {
    "open": "Waiting to be accepted",
    "accepted": "Accepted",
    "awaiting_joint_agreement": "Waiting for joint agreement",
    "outcome_proposed": "Outcome recorded",
    "closed": "Closed",
    "withdrawn": "Withdrawn",
}
URGENCY_LABELS: dict[str, str] = {
    "breached": "Breached",
    "overdue": "Overdue",
    "timed_out": "Timed out",
    "urgent": "Urgent",
    "due_today": "Due today",
    "normal": "On time",
    "done": "Finished",
}
PLURAL = "{n} {word}{s}"
WORKING_DAY = "working day"
DAY = "day"
DURATION_DAYS_HOURS = " {hours} h"
DURATION_HOURS_MINUTES = "{hours} h {minutes} min"
DURATION_HOURS = "{hours} h"
DURATION_MINUTES = "{minutes} min"
DUE_PREFIX = "due"
ANSWER_DUE_PREFIX = "answer due"
DUE_WORDS = "{prefix} {detail}"
DETAIL_BREACHED = "{when} — breached, {overdue}"
DETAIL_OVERDUE = "{when} — {overdue}"
DETAIL_LEFT = "{when} — {left} left"
DETAIL_DUE_TODAY = "{when} — due today"
STATUS_OPEN = "Waiting for the {stage} to accept: {names}."
OR = " or "
STATUS_DELEGATED = "With {owner}: delegated by {by} at {at}."
STATUS_TAKEN_AT = "Taken by {owner} at {at}."
STATUS_TAKEN = "Taken by {owner}."
STATUS_JOINT_ROLE = "{role}: {answer}"
STATUS_JOINT_AGREED = "agreed ({name})"
STATUS_JOINT_WAITING = "waiting"
STATUS_JOINT = "Waiting for joint agreement — {parts}."
YOU = "you"
CHOICE_ACCEPT_IT_OR_ESCALATE = "accept it or escalate"
CHOICE_ACCEPT_IT_FINAL = "accept it (this is the final stage)"
STATUS_OUTCOME = "Outcome recorded by {by} at {at}; waiting for {who} to {choice} by {answer}."
STATUS_WITHDRAWN = "Withdrawn by {by} at {when}."
STATUS_CLOSED_UNANSWERED = "Closed at {when}: the outcome stood (no answer within the stage window)."
STATUS_CLOSED = "Closed at {when}: outcome accepted by {by}."
OUTCOME_LEVEL = " (to level {level})"
OUTCOME_TEXT = "{label}{level} — {rationale}"
PAST_OUTCOME = "{label} — {rationale} ({by})"
PAST_HOW_REASON = "{how}: {reason}"
PAST_HOW = "{how}."
FACT_REFERENCE = "Reference"
FACT_CASE_REFERENCE = "Case reference"
FACT_AREA = "Area"
FACT_STAGE = "Stage"
FACT_STAGE_VALUE = "{stage} ({position}; limit {limit})"
FACT_DECISION = "Decision challenged"
FACT_RAISED_BY = "Raised by"
FACT_RAISED_BY_VALUE = "{name} at {at}"
FACT_URGENT = "Urgent"
FACT_URGENT_VALUE = "Yes — a speedy response is needed"
FACT_PROTECTIVE_ACTION = "Protective action taken"
FACT_EDT = "Emergency Duty Team"
FACT_CP = "Child protection plan / looked after"
YES = "Yes"
NOTE_WAITING_FOR_JOINT = "Waiting for the joint agreement of others; nothing is needed from you."
NOTE_WAITING_FOR = "Waiting for {name}; nothing is needed from you."
TITLE_REVIEWER = "Challenge {reference} — {stage}"
TITLE_URGENT = "URGENT: {title}"
TITLE_CHALLENGER = "Your challenge {reference} — {stage}"

# --- the daily digest (bot/digest.py) ---

DIGEST_TITLE = "mashbot daily digest"
DIGEST_SUBJECT = "Professional challenges: daily digest for {day}"
DIGEST_SECTION_OVERDUE = "Overdue"
DIGEST_SECTION_DUE_TODAY = "Due today ({day})"
DIGEST_SECTION_DUE_SOON = "Due within hours (clock-hour limits)"
DIGEST_SECTION_TIMED_OUT = "Timed out while with you since {since}"
DIGEST_SECTION_DUE_TOMORROW = "Due tomorrow ({day})"
DIGEST_SECTION_DUE_NEXT = "Due by the next working day ({day})"
DIGEST_SECTION_URGENT = "Urgent"
DIGEST_SECTION_RAISED = "Raised since {since}"
DIGEST_SECTION_RESOLVED = "Resolved since {since}"
DIGEST_SECTION_BY_STAGE = "Open by stage"
DIGEST_SECTION_BY_AREA = "Open by area"
DIGEST_NOTHING = "none"
DIGEST_ALL_AREAS = "all areas"
DIGEST_COVERING = "covering for {names}"
DIGEST_NOTHING_OPEN = "No open challenges in your areas, and none raised or resolved since {since}."
DIGEST_RESOLVED_WITHDRAWN = "withdrawn"
DIGEST_SECTION_UNDELIVERED = "{count} message{s} could not be delivered"
DIGEST_UNDELIVERED_LINE = "{kind} to {name} by {channel}{about}, queued {queued}"
DIGEST_UNDELIVERED_HINT = "The administrator can see why and send them again: mashbot outbox list --failed"
DIGEST_BADGE_BREACHED = "Breached"
DIGEST_BADGE_URGENT = "Urgent"
DIGEST_ABOUT = " about {reference}"
DIGEST_TIMED_OUT_NOTE = "your {stages} stage ran out; now at {stage}"
DIGEST_LINE_OVERDUE = "overdue since {due}; with {reviewers}"
DIGEST_LINE_SOON = "due in {left} ({due}); with {reviewers}"
DIGEST_LINE_DUE = "due {due}; with {reviewers}"
DIGEST_LINE_RAISED = "raised by {challenger}; with {reviewers}"
DIGEST_LINE_NOTE = "{note}; with {reviewers}"
DIGEST_LINE_RESOLVED = "{note}; raised by {challenger}"

# --- who reviews a stage (bot/reviewers.py) and the timeline (bot/timeline.py) ---

SKIPPED_CHALLENGER = "{stage}: skipped, its only reviewer raised the challenge"
SKIPPED_NOBODY = "{stage}: no reviewer available (away, no delegate)"
SKIPPED_SAME_PERSON = "{stage}: skipped, same person as the previous stage"
NO_REVIEWER = ("No one can review {stage} or above for area {area}. "
               "Ask the mashbot administrator to check the roster (mashbot roster check).")
TIMELINE_TIMED_OUT = "timed out {at}"
TIMELINE_NUDGES: dict[str, str] = {
    "nudge": "reminder", "due_today": "due-today reminder", "overdue": "overdue reminder",
}
TIMELINE_FROM = "from {stage}"
TIMELINE_URGENT = "urgent"
TIMELINE_TO = "to {name}"
TIMELINE_REASON = "reason: {reason}"
TIMELINE_OUTCOME = "{outcome} — {rationale}"
TIMELINE_LEVEL = "level {level}"
TIMELINE_NUDGED = "{nudge} to {names}"
TIMELINE_REVIEWER = "reviewer: {names}"
TIMELINE_WAITING_FOR_OTHER = "waiting for the other party"
TIMELINE_DUE = "{label} {when}"

# --- the /challenge intake (dialogs/intake.py) ---

INTAKE_TITLE = "Raise a challenge"
INTAKE_SUBMIT_LABEL = "Raise challenge"
INTAKE_NEVER_A_NAME = "Use the reference only — never the child's name."

INTAKE_LABELS = {
    "case_reference": "Case reference",
    "area": "Area",
    "raised_by": "Raised by",
    "agency": "Your agency and team",
    "decision_challenged": "Decision you are challenging",
    "requested_outcome": "Outcome you are asking for",
    "reason_category": "Reason",
    "reason_text": "Why you disagree",
    "urgent": "Urgent: immediate or life-threatening risk",
    "urgent_reason": "Why it is urgent",
    "protective_action": "Immediate protective action taken",
    "emergency_protocol": "Imminent significant harm: needs the Emergency Resolution Protocol",
    "cp_or_looked_after": "The child has a child protection plan or is looked after",
}
INTAKE_HELP = {
    "area": "The MASH area that made the decision.",
    "agency": "For example: Police — Public Protection Unit.",
    "decision_challenged": "The MASH decision (level of need) you disagree with.",
    "requested_outcome": "What you are asking for, for example a Child and Family assessment.",
    "reason_category": "A concern about practice (timeliness, attitude) is a complaint, not a challenge.",
    "reason_text": "Briefly, without names, dates of birth, addresses or other personal details.",
    "urgent": "The next manager is told at once and the time limit is counted in hours.",
    "urgent_reason": "The immediate risk, without personal details.",
    "protective_action": "What has been done to reduce the risk of harm whilst the dispute is ongoing.",
    "emergency_protocol": ("A child protection concern needing immediate action: speak to your line manager or "
                           "designated safeguarding lead at once; mashbot tells them too."),
    "cp_or_looked_after": "The IRO is told where the policy asks for it.",
}
INTAKE_RAISED_BY_LABELS = {
    "professional": "A professional or partner agency",
    "parent": "A parent",
    "carer": "A carer",
    "network": "A member of the child's network",
    "child": "The child or young person (raised on their behalf)",
}
INTAKE_OTHER_OUTCOME_LABEL = "Other outcome"
INTAKE_RAG_LABEL = "RAG rating of the contact"
INTAKE_RAG_HELP = "The time limits follow the contact's RAG rating."

INTAKE_ERRORS = {
    "case_reference": "Enter the case reference.",
    "area": "Choose the area: {choices}.",
    "raised_by": "Choose who is raising the challenge.",
    "agency": "Enter your agency and team.",
    "decision_challenged": "Choose the decision you are challenging.",
    "requested_outcome": "Say what outcome you are asking for.",
    "reason_category": "Choose the reason for the challenge.",
    "reason_text": "Say briefly why you disagree.",
    "urgent_reason": "Say why this is urgent: what is the immediate risk?",
    "protective_action": "Say what immediate protective action has been taken whilst the dispute is ongoing.",
    "rag": "Choose the contact's RAG rating: {choices}.",
}
INTAKE_NOT_A_REFERENCE = "That is not a case reference."
INTAKE_LOOKS_LIKE_A_NAME = "This looks like a name. " + INTAKE_NEVER_A_NAME
INTAKE_LOOKS_PERSONAL = "This looks like a personal detail ({kind}), not a case reference. " + INTAKE_NEVER_A_NAME
INTAKE_TOO_LONG = "Keep this to {limit} characters — it has {count}."
INTAKE_NOT_YES_OR_NO = "Answer yes or no."

# --- Slack's words around the view models (cards/slack.py) ---

SLACK_CLOSE = "Close"
SLACK_CANCEL = "Cancel"
SLACK_YES = "Yes"
SLACK_SUPERSEDED = "Out of date: the latest card for {reference} is further down this conversation."
SLACK_COMPLAINT_HEADING = "This is a complaint, not a challenge"
SLACK_COMPLAINT_SUBMIT = "Use complaints route"
SLACK_CASE_NOTE_HEADING = "Case-note wording to copy"
SLACK_CASE_NOTE_PREVIEW = "When a joint decision ends an assessment, the case note will read:"
SLACK_OUTCOME_HEADING = "Outcome"
SLACK_LIST_TITLES = {"needs": "Waiting for you", "mine": "Raised by you", "following": "Following"}
SLACK_NOTHING_OPEN = "You have no open challenges and nothing is waiting for you."
SLACK_TIMELINE_HEADING = "Timeline"

# --- Teams' words around the view models (cards/adaptive.py) ---

TEAMS_OTHER_ACTIONS = "Other actions"
TEAMS_CHOOSE = "Choose…"
TEAMS_REQUIRED = "Required."
TEAMS_SHORTENED = "Shortened to fit a Teams card: {count} more line(s) not shown."
TEAMS_FIX_ANSWERS = "Please fix the answers marked below."
TEAMS_OUTCOME = "Outcome: {outcome}"
TEAMS_CASE_NOTE = "Case note: {case_note}"
TEAMS_REFRESH = "Refresh"

# --- Slack's words beyond the cards: the command, help, notices, modal titles ---

SLACK_COMMAND = "/challenge"

SLACK_HELP = (
    "*mashbot — professional challenges*\n"
    "• `/challenge` — raise a challenge to a MASH decision (a short form opens)\n"
    "• `/challenge list` — your open challenges and those waiting for you\n"
    "• `/challenge status CH-7K2M9Q` — where one challenge stands, with its timeline\n"
    "• `/challenge help` — this message\n"
    "Cards with buttons come to you here as direct messages from mashbot. Use the case reference "
    "only — never a child's name."
)
SLACK_NOT_UNDERSTOOD = "I did not understand `{text}`.\n\n" + SLACK_HELP
SLACK_STATUS_NEEDS_REFERENCE = "Give the challenge reference: `/challenge status CH-7K2M9Q`."
SLACK_UNKNOWN_PERSON = (
    "mashbot does not know you yet, so it cannot act for you. Ask {who} to add you to the roster "
    "(`mashbot roster import`) with your work email or your Slack user id `{user_id}`."
)
SLACK_DEFAULT_ADMIN = "the mashbot administrator"
SLACK_BAD_BUTTON = "This button was not made by this mashbot (or it has been altered); nothing was changed."
SLACK_FORM_FAILED = "Slack could not open the form just now (it may be busy). Please try again."
SLACK_BUSY = "Slack is busy just now, so mashbot could not check who you are. Please try again in a minute."
SLACK_RAISED_TITLE = "Challenge raised"
SLACK_COMPLAINT_TITLE = "Complaints procedure"
SLACK_NOT_DONE_TITLE = "Nothing changed"
SLACK_DONE_TITLE = "Done"
SLACK_CHECKING_TITLE = "One moment"
SLACK_CHECKING = ("mashbot is checking with Slack who you are, then it raises your challenge. Its reference "
            "will show here; you can close this window — the challenge is not lost.")
SLACK_CHECKING_AGAIN = ("mashbot is still checking with Slack who you are. Please press the button on the card "
                  "again in a moment; nothing was changed.")
SLACK_ALREADY_SUBMITTED_TITLE = "Already submitted"
SLACK_ALREADY_SUBMITTED = ("This form was already submitted and mashbot is raising the challenge now (once). Its "
                     "reference will come to you as a direct message.")

# --- Teams' words beyond the cards: commands, help, notices ---

TEAMS_COMMANDS: tuple[tuple[str, str], ...] = (
    ("challenge", "Raise a professional challenge to a MASH decision"),
    ("list", "Your challenges: raised, held or waiting for you"),
    ("status", "status CH-XXXXXX: where one challenge stands"),
    ("help", "What mashbot does and how to use it"),
)

TEAMS_HELP_TITLE = "mashbot — professional challenges"
TEAMS_HELP_LINES = (
    "I run the MASH professional challenge (dispute resolution) procedure.",
    "",
    "Commands",
    "  challenge (or /challenge) — raise a challenge to a MASH decision",
    "  list — your challenges: ones you raised, hold or must agree to",
    "  status CH-XXXXXX — where one challenge stands, with its buttons",
    "  help — this message",
    "",
    ("Cards come to this chat when a challenge needs you; press their buttons to act. "
     "Use case references only — never a child's name."),
)
TEAMS_WELCOME = "Hello — I am mashbot. Type challenge to raise a professional challenge, or help."
TEAMS_NOT_UNDERSTOOD = "I did not understand that (I never repeat what was typed, in case it held personal details)."
TEAMS_PERSONAL_ONLY = ("mashbot works in a personal (1:1) chat only, so that no case details reach a "
                 "channel or group. Open a chat with mashbot and type help.")
TEAMS_STATUS_USAGE = "Give the challenge's reference: status CH-XXXXXX."
TEAMS_LIST_TITLE = "Your challenges ({count})"
TEAMS_LIST_EMPTY = "You have no challenges: none raised by you, held by you or waiting for you."
TEAMS_LIST_HINT = "Type status and a reference to open one, for example status {reference}."
TEAMS_INTAKE_INTRO = "Answer the questions below. Use the case reference only — never the child's name."
TEAMS_COMPLAINT_TITLE = "This is a complaint, not a challenge"
TEAMS_REASON_NEXT = "Next"
TEAMS_COMPLAINT_SUBMIT = "Use the complaints route"
TEAMS_INTAKE_ALREADY_SENT = "This form was already sent; it raises one challenge. Type challenge for a new form."
TEAMS_BAD_CARD = "This card could not be checked (it may be from an older mashbot). Type list to get fresh cards."
TEAMS_UNKNOWN_CHALLENGE = "That challenge is no longer held by mashbot."
TEAMS_NOTICE_TITLE = "mashbot"

# --- the /web page's own words: action links, sign-in ---

WEB_LINK_DAMAGED = ("This link is damaged or was changed, so it does nothing. Open it again from the email (the whole "
                    "link), or sign in to see the challenge.")
WEB_LINK_UNKNOWN = "mashbot does not know this link (it may be very old). Sign in to see the challenge."
WEB_LINK_EXPIRED = "This link has expired — sign in to see the challenge."
WEB_LINK_USED = "This link was already used: already actioned by {name} at {at}."
WEB_LINK_FOR_SOMEONE_ELSE = ("This link is for {name}; you are signed in as {you}. Only {name} can use it — nothing was "
                             "changed. If it was forwarded to you, ask them to act, or sign out first if you are {name}.")
WEB_LINK_FOR_ANOTHER_BROWSER = ("This link is for {name}, but this browser was last signed in to mashbot by {you}, so "
                                "nothing was changed. If it was forwarded to you, ask {name} to act. If you are {name}, "
                                "sign in first, then open the link again.")
WEB_LINK_NO_LONGER = "This can no longer be done from this link: {why} Sign in to see the challenge as it stands."
WEB_MAIL_LINKS_INTRO = "To act without chat, open one of these links. Each works once, for you only, until {until}:"
WEB_MAIL_SIGN_IN_LINE = "Or sign in to see the challenge: {url}"
WEB_CHECK_EMAIL = ("If {address} is on the roster, a sign-in link is on its way to it. The link works once, within "
                   "15 minutes. Nothing arrived? Check the address, wait a minute and look in junk mail.")
WEB_SESSION_ENDED = "You are not signed in (or your session ended after 30 minutes idle or 8 hours). Sign in again."

# --- the local console's own words (adapters/console) ---

CONSOLE_ROSTER_GROUPS = {"MASH": "MASH / CSSH", "locality": "Locality", "partner": "Partner agencies"}
CONSOLE_NEEDS_YOU = "Needs you"
CONSOLE_WAITING_ON_OTHERS = "Waiting on others"
CONSOLE_FINISHED = "Finished"
CONSOLE_CROSS_SITE = "Cross-site form posts are refused."
CONSOLE_CHOOSE_PERSON = "Choose a person from the roster."
CONSOLE_ACTING_AS = "You are acting as {name}."
CONSOLE_CHOOSE_WHO_FIRST = "Choose who you are first (acting as)."
CONSOLE_NO_VERSION = "This button has no version; reload the page."
CONSOLE_CLOCK_OFF = "The demo clock is off (it runs only with MASHBOT_DEMO=1)."
CONSOLE_CHOOSE_CLOCK_STEP = "Choose how far to move the clock."
CONSOLE_CLOCK_MOVED = ("Clock moved {label} to {when}. Tick: {changed} challenge(s) changed{references}, "
                       "{events} event(s), {messages} message(s) queued.")

# --- labels: roles, Stage 3 family details, lessons, the report's counts ---

ROLE_LABELS: dict[str, str] = {
    "practitioner": "Practitioner",
    "practice_manager": "MASH/CSSH Practice Manager",
    "mash_team_manager": "MASH/CSSH Team Manager",
    "mash_senior_manager": "MASH/CSSH Senior Manager",
    "head_of_service_mash": "Head of Service MASH",
    "strategic_head_of_service": "Strategic Head of Service / Director",
    "mash_county_manager": "MASH County Manager",
    "front_door_service_manager": "Front Door Service Manager",
    "assistant_director": "Assistant Director",
    "locality_team_manager": "Locality Team Manager",
    "locality_practice_manager": "Locality Practice Manager",
    "locality_senior_manager": "Locality Senior Manager",
    "locality_head_of_service": "Head of Service (locality)",
    "senior_manager": "Senior Manager",
    "csap_mailbox": "CSAP team mailbox",
    "iro_mailbox": "IRO / CPRU mailbox",
    "edt_mailbox": "Emergency Duty Team",
    "lscp_business_manager": "LSCP business manager",
    "line_manager": "Line manager",
    "designated_safeguarding_lead": "Designated safeguarding lead",
}
FAMILY_FIELD_LABELS = {
    "family_names": "Family members (first name and surname)",
    "dates_of_birth": "Dates of birth",
    "parents": "Parents",
    "children": "Children",
    "family_address": "Family address",
}
LESSON_SCOPE_LABELS = {
    "multi_agency": "Yes — a multi-agency lesson (sent on for multi-agency learning)",
    "single_agency": "Yes — a single-agency lesson (recorded, not sent on)",
    "none": "No lesson to learn",
}
LESSON_CATEGORY_LABELS = {
    "training_need": "Training need",
    "commissioning_need": "Commissioning need",
    "practice_guidance": "Practice guidance",
}
REPORT_NOTICE_LABELS: dict[str, str] = {
    MessageKind.IRO_NOTICE: "IRO notices (child protection plan / looked after)",
    MessageKind.CSAP_FORM: "CSAP Stage 3 monitoring forms",
    MessageKind.STAGE3_FORM: "CSAP Stage 3 forms completed (family details by email)",
    MessageKind.CSAP_NON_INVOLVEMENT: "CSAP told of non-involvement (life-threatening)",
    MessageKind.EDT_NOTICE: "EDT notices (urgent, out of hours)",
}
REPORT_ESCALATION_LABELS: dict[str, str] = {
    "timeout": "Auto-escalated (time limit ran out)",
    "reviewer": "Escalated by the reviewer",
    "challenger": "Escalated by the challenger (still disagreed)",
}
REPORT_URGENT_LABELS: dict[str, str] = {
    "at_raise": "Urgent when raised",
    "later": "Marked urgent later",
    "no": "Not urgent",
}
REPORT_STATUS_LABELS: dict[str, str] = {"withdrawn": "Withdrawn", "open": "Still open"}
REPORT_NOT_GIVEN = "Not given"

# --- the quarterly report (bot/report.py) ---

REPORT_TITLES: dict[str, str] = {
    "summary": "Summary",
    "agency": "Agency raising",
    "area": "Area receiving",
    "stage_reached": "Highest stage reached",
    "level": "Level of need challenged",
    "reason": "Reason for the challenge",
    "outcome": "Outcome",
    "challenger_type": "Challenger type",
    "urgent": "Urgent safeguarding path",
    "escalations": "Escalations",
    "notices": "Notices sent under the policy",
    "complaints": "Complaints redirected, by area",
    "lessons": "Lessons learned raised",
}
REPORT_NOTES: dict[str, str] = {
    "agency": "The organisation part of the agency and team given at intake.",
    "outcome": "Closed challenges by the outcome that stood; open ones may still change.",
    "complaints": "Concerns about practice sent to the complaints route; only a count is kept.",
}
REPORT_ROWS: dict[str, str] = {
    "challenges_raised": "Challenges raised",
    "closed_the_challenger_accepted_the_outco": "Closed: the challenger accepted the outcome",
    "closed_no_answer_the_outcome_stood": "Closed: no answer, the outcome stood",
    "withdrawn": "Withdrawn",
    "still_open": "Still open",
    "resolved_at_the_first_stage": "Resolved at the first stage",
    "urgent_path_used": "Urgent path used",
    "auto_escalations": "Auto-escalations",
    "breached_at_the_final_stage": "Breached at the final stage",
    "complaints_redirected_not_challenges": "Complaints redirected (not challenges)",
    "lessons_learned_raised": "Lessons learned raised",
    "within_the_limit": "Within the limit",
    "late_incl_auto_escalated_and_breached": "Late (incl. auto-escalated and breached)",
    "median_working_days": "Median working days",
}
REPORT_CLOSED_NO_OUTCOME = "Closed (no outcome recorded)"
REPORT_OTHER_DECISION = "Other decision"
REPORT_TIMELINESS = "Timeliness: {stage}"
REPORT_HEADING = "MASH professional challenges — quarterly report"
REPORT_PERIOD = "Period: challenges raised {start} to {end}, as they stood at {when}"
REPORT_POLICY = "Policy: {title}"
REPORT_PURGED = "{count} of these challenges were purged under the retention period; their counts are kept."
REPORT_LESSONS = "Lessons learned"
REPORT_NO_LESSONS = "none raised"
REPORT_TEXT_REMOVED = "(text removed under the retention period)"

# --- personal identifiers found in free text (bot/identifiers.py) ---

IDENTIFIER_FOUND = "{article} {kind}: '{shown}'{where}"
IDENTIFIER_AT_WORD = " (at word {word})"
IDENTIFIER_LIST = "{items} and {last}"
IDENTIFIER_MORE = "{count} more identifier{s}"
IDENTIFIER_MESSAGE = "This looks like {items}. {remove}"
IDENTIFIER_REMOVE_ONE = "Please remove it — mashbot must not hold personal details; use the case reference instead."
IDENTIFIER_REMOVE_MANY = "Please remove them — mashbot must not hold personal details; use the case reference instead."

# --- what the administrator reads: policy packs, rosters, the audit key ---

LIMIT_WORKING_DAYS = "{n} working day{s}"
LIMIT_WORKING_HOURS = "{n} working hour{s}"
LIMIT_HOURS = "{n} hour{s}"
POLICY_WHOLE_DAYS = "working_days must be a whole number"
POLICY_CLOSES_BEFORE_OPENS = "closes ({closes:%H:%M}) must be after opens ({opens:%H:%M})"
POLICY_VERSION_NOT_STATED = "not stated"
POLICY_SOURCE_EXPIRED = "the source document expired on {day:%d %B %Y}"
POLICY_NO_REVIEW_DATE = "the source document gives no review date; ask its owner whether it is current"
POLICY_REVIEW_PASSED = ("the source document's review date {day:%d %B %Y} has passed; "
                        "check with its owner that the pack still matches the current procedure")
POLICY_CASE_REFERENCE_HINT = "A case reference is up to 4 letters then 4 to 12 digits, e.g. LCS123456"
POLICY_UNKNOWN_WEEKDAYS = "unknown weekday(s) {unknown}; use {known}"
POLICY_NO_OFFICE_HOURS = "at least one weekday needs office hours"
POLICY_UNKNOWN_AREAS = "unknown area(s) {unknown}; known areas: {known}"
POLICY_AREAS_ONCE = "list each area once, at least one"
POLICY_BAD_PATTERN = "not a valid regular expression: {error}"
POLICY_UNKNOWN_OUTCOMES = "unknown outcome(s) {unknown}; known: {known}"
POLICY_UNKNOWN_CHALLENGER_TYPES = "unknown challenger type(s) {unknown}; known: {known}"
POLICY_OUTCOME_NOT_IN_PACK = "outcome {outcome!r} is not one of this pack's outcomes"
POLICY_UNKNOWN_ZONE = "unknown time zone {zone!r}"
POLICY_NO_SOURCE = "the pack does not say which document it comes from (add `source`)"
ROSTER_AWAY_BACKWARDS = "away end {end} is before its start {start}"
ROSTER_UNKNOWN_AREAS = "unknown area(s) {unknown}; areas are {known}"
ROSTER_UNKNOWN_DELEGATE = "{person}: delegate {delegate!r} is not in the roster"
ROSTER_OWN_DELEGATE = "{person}: cannot be their own delegate"
ROSTER_FOR_AREA = " for area {area}"
ROSTER_ROLE_UNCOVERED = "no one holds role {role}{where}"
UNKNOWN_ROLE = "unknown role {role!r}; known roles: {known}"
AUDIT_KEY_TOO_SHORT = ("MASHBOT_AUDIT_KEY is too short: use at least {chars} random characters "
                       "(for example the output of `openssl rand -hex 32`)")

NOT_KEPT = "[not kept: sent by email only]"  # what a sent message keeps of its personal details

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
    "book_discussion": "Book a discussion",
}

# Before the help of a field shown only after another answer (bot.fields.shown_when_words).
SHOWN_WHEN = "Only when {label} is “{value}”. "
SHOWN_WHEN_TICKED = "Only when “{label}” is ticked. "

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
    "counterpart_involved": "counterpart sent the stage card",
    "other_organisation_advised": "other organisation advised of the escalation",
    "csap_senior_notice": "CSAP told: senior officers involved",
    "csap_form_resent": "Stage 3 form re-sent to CSAP with the outcome",
    "discussion_booked": "discussion booked",
    "lesson_asked": "reviewer asked for lessons learned",
    "lesson_none": "no lesson to learn",
    "emergency_protocol": "Emergency Resolution Protocol: line manager / safeguarding lead told",
    "nudged": "nudged",
}

# The CSAP Stage 3 Monitoring Information form's fields (Appendix 1), as the form words them.
FORM_LABELS: dict[str, str] = {
    "date_of_referral": "Date of referral",
    "name_of_referrer": "Name of referrer",
    "job_title": "Job title",
    "email": "Address / email address",
    "family": "Family details",
    "agencies_involved": "Agencies involved",
    "nature_of_disagreement": "Issues of concern / nature of disagreement",
    "stages_1_and_2": "Dates and outcome of Stages 1 and 2",
    "stage_3_meeting": "Stage 3 meeting / discussion date",
    "senior_officers": "Names of senior officers involved at Stage 3",
    "outcome": "Outcome",
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
                       "Decided by {decider_name} at {at}.{parties_line} {record_location}{record_made}"),
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
    "counterpart_stage": ("Challenge {reference} at {stage_name}: you are the counterpart",
                          "A professional challenge {reference} ({area}) is at {stage_name} with "
                          "{reviewer_names}. You are its {counterpart_role}. {joint_line} Due {due}."),
    "counterpart_agreement_request": ("Your agreement is needed: challenge {reference}",
                                      "{decider_name} proposes: {outcome_label}. Rationale: {rationale} At "
                                      "{stage_name} you decide together: agree with the proposed outcome, or "
                                      "disagree with a reason (it then goes back to {decider_name})."),
    "escalation_advice": ("Advance notice: challenge {reference} is escalated to {stage_name}",
                          "{reference} ({area}, case reference {case_reference}) is being escalated from "
                          "{from_stage} to {stage_name} ({escalated_by}). As the procedure asks, the agency "
                          "that escalates an issue to such a high level in another organisation advises "
                          "that organisation of its intention to do so: this is that notice."),
    "csap_senior_notice": ("CSAP: senior officers involved in challenge {reference}",
                           "Senior officers ({stage_name}) have become involved in resolving a disagreement "
                           "between agencies about the safeguarding needs of an individual child: {reference} "
                           "({area}, case reference {case_reference}). The CSAP Team is made aware of this, "
                           "as the procedure asks, to help monitor interagency safeguarding activity."),
    "csap_form_outcome": ("Stage 3 Monitoring Information, with its outcome: challenge {reference}",
                          "The Stage 3 Monitoring Information form for {reference} ({area}, case reference "
                          "{case_reference}), sent again now that {stage_name} has an outcome."),
    "discussion_invitation": ("Discussion booked: challenge {reference}, {starts}",
                              "{booked_by} booked a discussion of {reference} ({area}, {stage_name}): "
                              "{starts}, {minutes} minutes, {how_label}. The calendar invitation is "
                              "attached. {record_location}"),
    "emergency_protocol": ("Emergency Resolution Protocol: challenge {reference}",
                           "{challenger_name} raised {reference} ({area}, case reference {case_reference}): a "
                           "child protection concern that needs immediate action, with a likelihood of imminent "
                           "significant harm. Speak to them now and follow the Emergency Resolution Protocol. "
                           "The urgent ladder runs as well: {stage_name}, due {due}."),
    "lesson_question": ("Lessons learned: challenge {reference} is closed",
                        "{reference} ({area}) is closed. Is there a lesson to learn from it, and is it a "
                        "single-agency or a multi-agency lesson? Only multi-agency lessons are sent to the "
                        "LSCP Business Manager. Use Add lesson learned on the card."),
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
