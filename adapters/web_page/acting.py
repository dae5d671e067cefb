"""How the signed-in page and the emailed links reach mashbot: through the front desk.

Every press, raise, inbox and look-up goes to dialogs.desk, the one path every channel uses,
so the same stale/double rules and the same visibility rule apply as for the chat buttons;
the channel (`web` or `email`) is given so the audit trail names it. What is left here is
the page's own check of a form's answers before they are sent (a choice must be one offered,
a text within its length), the same checks the chat forms make in the client.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from adapters import bootstrap
from bot.challenge import Challenge
from bot.errors import NotFound
from bot.roster import Person
from bot.timeline import TimelineEntry
from bot.fields import FieldKind
from bot.views import ActionView, CardView
from dialogs.desk import Desk, Payload, Tone

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


@dataclass(frozen=True)
class Raised:
    """A submitted intake: refused per field (`errors`), refused as a whole (`pressed`
    not committed), raised (`pressed.challenge`) or a complaint (committed, no challenge)."""

    errors: dict[str, str] = field(default_factory=dict)
    pressed: Pressed | None = None


@dataclass(frozen=True)
class Looked:
    card: CardView
    timeline: list[TimelineEntry]


def desk_of(service: bootstrap.Service) -> Desk:
    """The service's front desk (the composition root builds one per service)."""
    return service.desk


def check_inputs(action: ActionView, values: Mapping[str, str]) -> dict[str, str]:
    """The checks the chat forms make before the core sees an answer: a choice is one of
    the choices, a text within its length. The core checks required answers and personal
    details (bot.identifiers) for every channel alike."""
    errors: dict[str, str] = {}
    for item in action.inputs:
        value = (values.get(item.id) or "").strip()
        if item.kind is FieldKind.CHOICE and value and value not in {c.value for c in item.choices}:
            errors[item.id] = f"Choose one of the options for “{item.label}”."
        elif item.max_length is not None and len(value) > item.max_length:
            errors[item.id] = f"Keep this to {item.max_length} characters — it has {len(value)}."
    return errors


_LEVELS = {Tone.DONE: "success", Tone.STALE: "warning", Tone.REFUSED: "error"}


async def press(service: bootstrap.Service, person: Person, verb: str, reference: str, version: int,
                values: Mapping[str, str], *, channel: str) -> Pressed:
    """Apply one card action as `person`, audited with `channel`."""
    done = await desk_of(service).press(person, Payload(reference, verb, version, person.id), dict(values),
                                        channel=channel)
    return Pressed(done.reply, done.committed, _LEVELS[done.tone], done.field,
                   done.challenge if done.committed else None)


async def raise_challenge(service: bootstrap.Service, person: Person, values: Mapping[str, str], *,
                          channel: str) -> Raised:
    """The shared intake form, validated and raised (or redirected as a complaint) as `person`."""
    done = await desk_of(service).raise_challenge(person, dict(values), channel=channel)
    if done.errors:
        return Raised(dict(done.errors))
    if not done.committed:
        return Raised(pressed=Pressed(done.form_error or done.reply, False, "error"))
    return Raised(pressed=Pressed(done.reply, True, challenge=done.challenge))


async def inbox(service: bootstrap.Service, person: Person) -> list[CardView]:
    """The person's cards: what they raised, hold or must agree to; most pressing first."""
    return await desk_of(service).inbox(person)


async def look(service: bootstrap.Service, person: Person, reference: str) -> Looked | None:
    """A challenge as this person's card shows it, with its timeline; None when there is no
    such challenge or it is not theirs to see (the desk's one visibility rule)."""
    try:
        found = await desk_of(service).lookup(person, reference)
    except NotFound:
        return None
    return Looked(found.card, found.timeline)
