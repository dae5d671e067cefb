"""What mashbot says in Slack beyond the cards (which come from bot/views.py and bot/texts.py)."""

from __future__ import annotations

COMMAND = "/challenge"

HELP = (
    "*mashbot — professional challenges*\n"
    "• `/challenge` — raise a challenge to a MASH decision (a short form opens)\n"
    "• `/challenge list` — your open challenges and those waiting for you\n"
    "• `/challenge status CH-7K2M9Q` — where one challenge stands, with its timeline\n"
    "• `/challenge help` — this message\n"
    "Cards with buttons come to you here as direct messages from mashbot. Use the case reference "
    "only — never a child's name."
)
NOT_UNDERSTOOD = "I did not understand `{text}`.\n\n" + HELP
STATUS_NEEDS_REFERENCE = "Give the challenge reference: `/challenge status CH-7K2M9Q`."
UNKNOWN_PERSON = (
    "mashbot does not know you yet, so it cannot act for you. Ask {who} to add you to the roster "
    "(`mashbot roster import`) with your work email or your Slack user id `{user_id}`."
)
DEFAULT_ADMIN = "the mashbot administrator"
BAD_BUTTON = "This button was not made by this mashbot (or it has been altered); nothing was changed."
FORM_FAILED = "Slack could not open the form just now (it may be busy). Please try again."
SLACK_BUSY = "Slack is busy just now, so mashbot could not check who you are. Please try again in a minute."
RAISED_TITLE = "Challenge raised"
COMPLAINT_TITLE = "Complaints procedure"
NOT_DONE_TITLE = "Nothing changed"
DONE_TITLE = "Done"
CHECKING_TITLE = "One moment"
CHECKING = ("mashbot is checking with Slack who you are, then it raises your challenge. Its reference "
            "will show here; you can close this window — the challenge is not lost.")
CHECKING_AGAIN = ("mashbot is still checking with Slack who you are. Please press the button on the card "
                  "again in a moment; nothing was changed.")
ALREADY_SUBMITTED_TITLE = "Already submitted"
ALREADY_SUBMITTED = ("This form was already submitted and mashbot is raising the challenge now (once). Its "
                     "reference will come to you as a direct message.")
