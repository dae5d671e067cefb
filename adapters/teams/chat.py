"""The typed commands of a personal chat: /challenge, challenge, help, list, status REF.

Each returns the cards to reply with (JSON dicts; bot.py wraps them in activities).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from adapters.bootstrap import Service
from bot import texts
from adapters.teams.card_actions import reason_card
from bot import views
from bot.errors import NotFound
from bot.roster import Person
from cards import adaptive

_MENTION = re.compile(r"<at>.*?</at>", re.IGNORECASE | re.DOTALL)
_REFERENCE = re.compile(r"^[A-Za-z]{2}-[A-Za-z0-9]{4,12}$")
MAX_ACTION_CARDS = 5  # `list` also sends the cards that need the person, at most this many


@dataclass(frozen=True)
class Typed:
    command: str
    argument: str


def parse(text: str | None) -> Typed:
    """'/challenge', 'Challenge', '<at>mashbot</at> status ch-7k2m9q' → command and argument."""
    words = _MENTION.sub(" ", text or "").strip().split(None, 1)
    if not words:
        return Typed("help", "")
    return Typed(words[0].lstrip("/").lower(), words[1].strip() if len(words) > 1 else "")


def help_card(notice: str | None = None) -> adaptive.Card:
    return adaptive.message_card(texts.TEAMS_HELP_TITLE, texts.TEAMS_HELP_LINES, notice=notice, notice_colour="warning")


def intake(service: Service, secret: bytes, person: Person) -> adaptive.Card:
    """`/challenge`: the form's first step (the reason); the rest follows on the same card."""
    return reason_card(service, secret, person)


async def status(service: Service, secret: bytes, person: Person, argument: str,
                 teams_user: str) -> adaptive.Card:
    reference = argument.strip().upper()
    if not _REFERENCE.match(reference):
        return adaptive.message_card(texts.TEAMS_NOTICE_TITLE, [texts.TEAMS_STATUS_USAGE])
    try:
        found = await service.desk.lookup(person, reference)
    except NotFound as exc:  # unknown, or not theirs to see: the same words
        return adaptive.message_card(texts.TEAMS_NOTICE_TITLE, [str(exc)])
    return adaptive.challenge_card(found.card, secret=secret, refresh_for=teams_user)


async def inbox(service: Service, secret: bytes, person: Person, teams_user: str) -> list[adaptive.Card]:
    """A list of the person's challenges, then the cards of those that need them."""
    cards = await service.desk.inbox(person)
    if not cards:
        return [adaptive.message_card(texts.TEAMS_NOTICE_TITLE, [texts.TEAMS_LIST_EMPTY])]
    replies = [adaptive.inbox_card(texts.TEAMS_LIST_TITLE.format(count=len(cards)), cards,
                                   texts.TEAMS_LIST_HINT.format(reference=cards[0].reference))]
    needs = [c for c in cards if c.active and any(a.verb not in views.SHARED_VERBS for a in c.actions)]
    replies += [adaptive.challenge_card(c, secret=secret, refresh_for=teams_user) for c in needs[:MAX_ACTION_CARDS]]
    return replies


async def answer(service: Service, secret: bytes, person: Person, text: str | None,
                 teams_user: str) -> list[adaptive.Card]:
    typed = parse(text)
    match typed.command:
        case "challenge":
            return [intake(service, secret, person)]
        case "list":
            return await inbox(service, secret, person, teams_user)
        case "status":
            return [await status(service, secret, person, typed.argument, teams_user)]
        case "help" | "hi" | "hello":
            return [help_card()]
    return [help_card(texts.TEAMS_NOT_UNDERSTOOD)]
