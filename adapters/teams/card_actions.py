"""Action.Execute presses (`adaptiveCard/action` invokes): the intake submit, a challenge
action, or Teams refreshing a card. Each answers with an invoke body: the updated card,
a short message Teams shows (the card stays), or an error.

Every press is checked the same way: the token is ours (signature), it was rendered for
this person (a forwarded card is refused in the words every channel uses), and the front
desk (dialogs/desk.py) refuses a stale or repeated press with "Already actioned by … at …"
— shown on the refreshed card it returns.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from adapters.bootstrap import Service
from bot import texts, views
from bot.roster import Person
from cards import adaptive
from cards.actions import ActionPayload, BadAction, verify
from dialogs.desk import Payload, Tone
from dialogs.intake import (
    COMPLAINT,
    COMPLAINT_FIELDS,
    TOGGLE_ON,
    IntakeForm,
    form_for_policy,
    refill,
    validate_for_policy,
)

log = logging.getLogger("mashbot.teams")

MESSAGE_TYPE = "application/vnd.microsoft.activity.message"
ERROR_TYPE = "application/vnd.microsoft.error"
INTAKE_MARK = "teams-intake"  # scheduler_marks name: each intake form is submitted once
REASON = "reason_category"

Body = dict[str, Any]


def card_body(card: adaptive.Card) -> Body:
    return {"statusCode": 200, "type": adaptive.CONTENT_TYPE, "value": card}


def message_body(text: str) -> Body:
    return {"statusCode": 200, "type": MESSAGE_TYPE, "value": text}


def error_body(status: int, code: str, message: str) -> Body:
    return {"statusCode": status, "type": ERROR_TYPE, "value": {"code": code, "message": message}}


@dataclass(frozen=True)
class Answer:
    body: Body
    committed: bool = False  # something was saved: the outbox may have rows to send now


@dataclass(frozen=True)
class Presser:
    person: Person | None
    teams_user: str


async def on_press(service: Service, secret: bytes, who: Presser, value: Any) -> Answer:
    try:
        press = adaptive.read_action(value)
        payload = verify(press.token, secret)
        if payload.verb != press.verb:
            raise BadAction("verb does not match its token")
    except BadAction as exc:
        log.info("teams: card action refused (%s)", exc)
        return Answer(error_body(400, "BadRequest", texts.TEAMS_BAD_CARD))
    person = who.person
    if person is None:
        return Answer(message_body(texts.UNKNOWN_PERSON))
    if payload.for_id != person.id:
        roster = await service.desk.roster()
        return Answer(message_body(texts.FORWARDED.format(names=roster.name_of(payload.for_id))))
    if press.verb == adaptive.INTAKE:
        return await _intake(service, secret, person, payload, press.inputs, who.teams_user)
    if press.verb == adaptive.REFRESH:
        return await _current(service, secret, person, payload.reference, who.teams_user)
    return await _act(service, secret, person, payload, press, who.teams_user)


async def _current(service: Service, secret: bytes, person: Person, reference: str, teams_user: str,
                   notice: str | None = None, colour: str = "good",
                   values: Mapping[str, str] | None = None) -> Answer:
    view = await service.desk.card(person, reference)
    if view is None:
        return Answer(message_body(texts.TEAMS_UNKNOWN_CHALLENGE))
    return Answer(_card(view, secret, teams_user, notice, colour, values))


def _card(view: views.CardView, secret: bytes, teams_user: str, notice: str | None = None, colour: str = "good",
          values: Mapping[str, str] | None = None) -> Body:
    return card_body(adaptive.challenge_card(view, secret=secret, refresh_for=teams_user, notice=notice,
                                             notice_colour=colour, values=values))


COLOURS = {Tone.DONE: "good", Tone.STALE: "warning", Tone.REFUSED: "attention"}


async def _act(service: Service, secret: bytes, person: Person, payload: ActionPayload,
               press: adaptive.Press, teams_user: str) -> Answer:
    """One round trip: the desk applies the press and builds the card it now shows."""
    pressed = await service.desk.press(person, Payload.of(payload), press.inputs)
    if pressed.card is None:
        return Answer(message_body(texts.TEAMS_UNKNOWN_CHALLENGE if pressed.challenge is None else pressed.reply))
    keep: dict[str, str] = {}
    if pressed.tone is Tone.REFUSED:
        # Refilled to fix, except an answer holding a personal detail (not echoed back).
        safe = refill(press.inputs, dict.fromkeys(press.inputs, pressed.reply))
        keep = {adaptive.input_id(press.verb, k): v for k, v in safe.items() if isinstance(v, str)}
    return Answer(_card(pressed.card, secret, teams_user, pressed.reply, COLOURS[pressed.tone], keep),
                  pressed.committed)


def _intake_card(service: Service, secret: bytes, person: Person, values: Mapping[str, str],
                 errors: Mapping[str, str], form_error: str | None = None) -> adaptive.Card:
    shown = {k: v for k, v in refill(values, errors).items() if isinstance(v, str)}
    return adaptive.intake_card(_form(service, person), secret=secret, for_id=person.id, toggle_on=TOGGLE_ON,
                                values=shown, errors=errors, form_error=form_error, intro=texts.TEAMS_INTAKE_INTRO,
                                nonce=new_nonce())


def _form(service: Service, person: Person) -> IntakeForm:
    return form_for_policy(service.policy, default_area=person.areas[0] if len(person.areas) == 1 else None)


def new_nonce(step: str = "IN-") -> str:
    return step + secrets.token_urlsafe(9)


# Adaptive Cards 1.5 in Teams cannot react to a choice, so the reason comes first, on a card
# of its own: a complaint then gets the complaints route before anything else is typed.
REASON_STEP = "IR-"


def reason_card(service: Service, secret: bytes, person: Person) -> adaptive.Card:
    """The /challenge form's first step: the reason only."""
    form = _form(service, person)
    first = replace(form, fields=(form.field(REASON),), submit_label=texts.TEAMS_REASON_NEXT)
    return adaptive.intake_card(first, secret=secret, for_id=person.id, toggle_on=TOGGLE_ON,
                                intro=texts.TEAMS_INTAKE_INTRO, nonce=new_nonce(REASON_STEP))


def _next_step(service: Service, secret: bytes, person: Person, reason: str) -> adaptive.Card:
    """After the reason: the complaints route (its words, and only what a count needs), or
    the rest of the form with the reason kept."""
    form = _form(service, person)
    if reason != COMPLAINT:
        return adaptive.intake_card(form, secret=secret, for_id=person.id, toggle_on=TOGGLE_ON,
                                    values={REASON: reason}, intro=texts.TEAMS_INTAKE_INTRO, nonce=new_nonce())
    route = replace(form, fields=tuple(f for f in form.fields if f.id in COMPLAINT_FIELDS),
                    submit_label=texts.TEAMS_COMPLAINT_SUBMIT)
    words = service.policy.complaint_text or texts.COMPLAINT_REDIRECT_DEFAULT
    return adaptive.intake_card(route, secret=secret, for_id=person.id, toggle_on=TOGGLE_ON,
                                values={REASON: COMPLAINT}, intro=f"{texts.COMPLAINT_ROUTE_HEADING}. {words} "
                                f"{texts.COMPLAINT_ROUTE_HINT}", nonce=new_nonce())


def _only_the_reason(values: Mapping[str, str]) -> str | None:
    """The reason, when it is all the first step's press carried."""
    given = {k: v for k, v in values.items() if isinstance(v, str) and v.strip()}
    return given.get(REASON) if set(given) <= {REASON} else None


async def _intake(service: Service, secret: bytes, person: Person, payload: ActionPayload,
                  values: Mapping[str, str], teams_user: str) -> Answer:
    """The /challenge form came back: the same validation as every channel (dialogs/intake)."""
    if payload.reference.startswith(REASON_STEP):
        reason = _only_the_reason(values)
        if reason is not None or not any(isinstance(v, str) and v.strip() for v in values.values()):
            if not reason:
                return Answer(card_body(reason_card(service, secret, person)))
            return Answer(card_body(_next_step(service, secret, person, reason)))
    result = validate_for_policy(values, service.policy)
    if result.answers is None:
        return Answer(card_body(_intake_card(service, secret, person, values, result.errors)))
    now = service.now()
    if payload.reference:  # each form is raised once, however often it is pressed
        if not await service.marks.claim(INTAKE_MARK, payload.reference, now):
            return await _already_raised(service, secret, person, teams_user)
    raised = await service.desk.raise_challenge(person, values)
    if not raised.committed:
        return Answer(card_body(_intake_card(service, secret, person, values, raised.errors, raised.form_error)))
    if raised.challenge is None:  # a complaint: counted, not recorded
        return Answer(card_body(adaptive.message_card(texts.TEAMS_COMPLAINT_TITLE, [raised.reply])), True)
    answer = await _current(service, secret, person, raised.challenge.reference, teams_user, raised.reply)
    return Answer(answer.body, True)


async def _already_raised(service: Service, secret: bytes, person: Person, teams_user: str) -> Answer:
    async with service.database.uow(read_only=True) as uow:
        mine = await uow.challenges.listing(active_only=False, person_id=person.id)
    raised = sorted((c for c in mine if c.challenger_id == person.id), key=lambda c: c.raised_at)
    if not raised:
        return Answer(message_body(texts.TEAMS_INTAKE_ALREADY_SENT))
    return await _current(service, secret, person, raised[-1].reference, teams_user, texts.TEAMS_INTAKE_ALREADY_SENT,
                          "warning")
