"""The one way the signed-in page and the emailed links act: a press and a raise.

Both go through here so the channel they came from is audited (`web` or `email`) and the same
stale/double rules as the chat buttons apply. Today this calls the core through the card's
own action table (bot.views); it is the one place to switch to the front desk.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adapters import bootstrap
from bot import views
from bot.challenge import Challenge
from bot.commands import RaiseChallenge
from bot.errors import AlreadyActioned, InvalidCommand, MashbotError
from bot.timeline import timeline as audit_timeline
from bot.views import ActionView, InputKind
from dialogs.intake import IntakeResult, to_command, validate_for_policy

WEB = "web"
EMAIL = "email"


@dataclass(frozen=True)
class Pressed:
    """What a press did: what the person is told, whether it changed anything, and for a
    refused answer the input it is about (the form is shown again with the answers kept)."""

    reply: str
    committed: bool
    level: str = "success"  # success, warning (already actioned), error
    field: str | None = None
    challenge: Challenge | None = None


def check_inputs(action: ActionView, values: Mapping[str, str]) -> dict[str, str]:
    """The checks the chat forms make before the core sees an answer: a choice is one of
    the choices, a text is within its length. The core checks required answers and personal
    details (bot.identifiers) for every channel alike."""
    errors: dict[str, str] = {}
    for field in action.inputs:
        value = (values.get(field.id) or "").strip()
        if field.kind is InputKind.CHOICE and value and value not in {c.value for c in field.choices}:
            errors[field.id] = f"Choose one of the options for “{field.label}”."
        elif field.max_length is not None and len(value) > field.max_length:
            errors[field.id] = f"Keep this to {field.max_length} characters — it has {len(value)}."
    return errors


async def press(service: bootstrap.Service, person_id: str, verb: str, reference: str, version: int,
                values: Mapping[str, str], *, channel: str) -> Pressed:
    """Apply one card action as `person_id`, audited with `channel`."""
    try:
        command = views.action_command(verb, actor_id=person_id, reference=reference, version=version,
                                       values=values)
        result = await service.mashbot.handle(command, service.now(), channel=channel)
    except InvalidCommand as exc:
        return Pressed(str(exc), False, "error", _input_for(verb, str(exc), values))
    except AlreadyActioned as exc:
        return Pressed(str(exc), False, "warning")
    except MashbotError as exc:
        return Pressed(str(exc), False, "error")
    return Pressed(result.reply or "Done.", True, challenge=result.challenge)


async def raise_challenge(service: bootstrap.Service, person_id: str, values: Mapping[str, str], *,
                          channel: str) -> tuple[IntakeResult, Pressed | None]:
    """Validate the shared intake form and raise (or redirect a complaint) as `person_id`."""
    result = validate_for_policy(values, service.policy)
    if result.answers is None:
        return result, None
    command = to_command(result.answers, person_id)
    try:
        if isinstance(command, RaiseChallenge):
            outcome = await service.mashbot.raise_challenge(command, service.now(), channel=channel)
        else:
            outcome = await service.mashbot.redirect_complaint(command, service.now())
    except MashbotError as exc:
        return result, Pressed(str(exc), False, "error")
    return result, Pressed(outcome.reply, True, challenge=outcome.challenge)


def _input_for(verb: str, message: str, values: Mapping[str, str]) -> str:
    """The input a refusal is about: the one it names as missing, else the free text entered."""
    for (missing_verb, name), words in views.MISSING.items():
        if missing_verb == verb and words == message:
            return name
    typed = [k for k in ("reason", "rationale", "text", "detail") if (values.get(k) or "").strip()]
    return typed[0] if typed else "reason"


async def inbox(service: bootstrap.Service, person_id: str) -> list[views.CardView]:
    """The person's cards: what they raised, hold or must agree to (the first 50)."""
    from adapters.console import paging

    async with service.database.uow(read_only=True) as uow:
        roster = await uow.people.roster()
    _page, cards = await paging.inbox_page(service, paging.page_of({}, len(service.policy.stages)), roster,
                                           person_id)
    return cards


@dataclass(frozen=True)
class Looked:
    challenge: Challenge
    card: views.CardView
    timeline: list[Any]


async def look(service: bootstrap.Service, person_id: str, reference: str) -> Looked | None:
    """A challenge as this person's card shows it, with its timeline when they are involved;
    None when there is no such challenge or it is nothing to do with them."""
    async with service.database.uow(read_only=True) as uow:
        roster = await uow.people.roster()
        challenge = await uow.challenges.get(reference)
        if challenge is None or not views.relation(challenge, roster, person_id):
            return None
        events = await uow.events.for_challenge(reference)
        missed = await uow.outbox.unreachable(reference)
    card = views.card_for(challenge, roster, person_id, service.now(), events, missed)
    return Looked(challenge, card, audit_timeline(challenge, events, roster))
