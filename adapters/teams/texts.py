"""What mashbot says in Teams beyond bot.texts (English): commands, help and channel notices."""

from __future__ import annotations

COMMANDS: tuple[tuple[str, str], ...] = (
    ("challenge", "Raise a professional challenge to a MASH decision"),
    ("list", "Your challenges: raised, held or waiting for you"),
    ("status", "status CH-XXXXXX: where one challenge stands"),
    ("help", "What mashbot does and how to use it"),
)

HELP_TITLE = "mashbot — professional challenges"
HELP_LINES = (
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
WELCOME = "Hello — I am mashbot. Type challenge to raise a professional challenge, or help."
NOT_UNDERSTOOD = "I did not understand that (I never repeat what was typed, in case it held personal details)."
PERSONAL_ONLY = ("mashbot works in a personal (1:1) chat only, so that no case details reach a "
                 "channel or group. Open a chat with mashbot and type help.")
STATUS_USAGE = "Give the challenge's reference: status CH-XXXXXX."
LIST_TITLE = "Your challenges ({count})"
LIST_EMPTY = "You have no challenges: none raised by you, held by you or waiting for you."
LIST_HINT = "Type status and a reference to open one, for example status {reference}."
INTAKE_INTRO = "Answer the questions below. Use the case reference only — never the child's name."
COMPLAINT_TITLE = "This is a complaint, not a challenge"
INTAKE_ALREADY_SENT = "This form was already sent; it raises one challenge. Type challenge for a new form."
BAD_CARD = "This card could not be checked (it may be from an older mashbot). Type list to get fresh cards."
UNKNOWN_CHALLENGE = "That challenge is no longer held by mashbot."
NOTICE_TITLE = "mashbot"
