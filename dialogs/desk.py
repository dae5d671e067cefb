"""The front desk: what every channel (Slack, Teams, the console, email links) asks of mashbot.

A channel parses what came in (a signed button, a typed command, a submitted form), asks the
desk, and renders the answer; the rules of the procedure stay in bot/ and the edge rules --
who may see a challenge, what a press does, the raise-or-complaint branch -- live here once.
The desk works only through ports (bot.ports, dialogs.ports) and is given the clock.

    desk = Desk(core, read, clock)          # core: bot.handlers.Mashbot; read: () -> DeskReads
    await desk.roster() -> Roster
    await desk.card(viewer, reference) -> CardView | None
        The card `viewer` holds, as it now stands (None: no such challenge). No visibility
        rule: the card itself shows each reader only what they need (bot/views).
    await desk.lookup(viewer, reference) -> Looked
        A challenge looked up by its reference: the card and timeline, or NotFound with
        texts.NOT_FOUND -- for an unknown reference and for one the viewer may not see alike.
    await desk.inbox(viewer, *, active_only=False) -> list[CardView]
        What the viewer raised, holds or must agree to, most pressing first.
    await desk.press(viewer, payload, answers=None, channel=None) -> Pressed
        A pressed button (payload: decoded from the channel's signed value) and, when its
        form was filled in, the answers. `answers=None`: only the button -- a press that
        needs input answers with the form to show (Pressed.form) and changes nothing.
        `channel` ("web", "email", …) is recorded on the audit events the press writes.
    await desk.raise_challenge(viewer, answers) -> Raised
        The submitted intake ({field id: text, or a toggle's bool}): validated, then raised
        -- or sent down the complaints route; refused per field (Raised.errors).
    UPDATES_CARD_IN_PLACE / updates_card_in_place(kind)
        Which messages replace the card a person was sent, in every channel.

`viewer` is the roster Person the channel matched (the desk does not know channel ids).
A channel decodes its signed button into `Payload(reference, action, version, for_id)`
(`Payload.of(cards.actions.verify(token, secret))`), the same for Slack, Teams, the console
and email links.

The one visibility rule (`may_see`): the people involved (challenger, reviewers, approvers,
deciders, the last to act), anyone above in the ladder for the challenge's area, and the
digest readers of that area. Everyone else is told it does not exist.

A press takes at most three units of work: one read here, and the core's write (its own
early read is skipped, the same refusals having just run on this read); the card shown
after it is built once, from the change itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot import texts, views
from bot.buttons import ActionView, challenger_actions, may_act_as_reviewer, reviewer_actions
from bot.calendar import calendar_of
from bot.challenge import Challenge, Event
from bot.commands import RaiseChallenge
from bot.errors import AlreadyActioned, InvalidCommand, MashbotError, NotFound
from bot.handlers import Mashbot, check_version, may_act
from bot.roster import Person, Roster
from bot.timeline import TimelineEntry, timeline
from dialogs.intake import Value, refill, to_command, validate_for_policy
from dialogs.ports import DeskReads

# Messages telling someone there is nothing left for them to do (the pool's "taken by", the
# old reviewer's "escalated"): every channel replaces the card they were sent with it, in
# place, instead of posting another card. Everything else comes as a new message.
UPDATES_CARD_IN_PLACE = frozenset({"taken", "escalated_away"})


def updates_card_in_place(kind: str) -> bool:
    """Whether a message of this kind replaces the recipient's card of the challenge in place."""
    return kind in UPDATES_CARD_IN_PLACE


@dataclass(frozen=True)
class Payload:
    """A pressed button, whatever the channel: the challenge, the action, the version the
    card showed and the person it was made for. Each channel decodes its signed value into
    this (cards.actions.verify gives the fields)."""

    reference: str
    action: str
    version: int
    for_id: str

    @classmethod
    def of(cls, signed: object) -> Payload:
        """From a verified cards.actions.ActionPayload (or anything with its fields)."""
        return cls(reference=str(getattr(signed, "reference")), action=str(getattr(signed, "verb")),
                   version=int(getattr(signed, "version")), for_id=str(getattr(signed, "for_id")))


class Tone(StrEnum):
    DONE = "done"  # it was applied
    STALE = "stale"  # already actioned: nothing changed, and nothing needs doing
    REFUSED = "refused"  # not allowed, not valid, not found: nothing changed


@dataclass(frozen=True)
class Pressed:
    """What a press came to: what to tell the presser, the card to show them now, whether
    anything was committed (the outbox may have rows to send), and when refused for an
    input, which one (`field`; `invalid`: the answers were refused, so the form stays open).
    `form`: the action needs input first -- show its form."""

    reply: str
    card: views.CardView | None
    committed: bool = False
    tone: Tone = Tone.DONE
    field: str | None = None
    form: ActionView | None = None
    challenge: Challenge | None = None  # as it now stands (None: not found)
    invalid: bool = False


@dataclass(frozen=True)
class Looked:
    card: views.CardView
    timeline: list[TimelineEntry]


@dataclass(frozen=True)
class Raised:
    """A submitted intake: raised (challenge), redirected as a complaint (no challenge,
    committed), or refused (errors per field, or `form_error` about the whole form)."""

    reply: str
    challenge: Challenge | None = None
    committed: bool = False
    errors: dict[str, str] = field(default_factory=dict)
    form_error: str | None = None
    refilled: dict[str, str] = field(default_factory=dict)  # what a refused form may show again

    @property
    def complaint(self) -> bool:
        return self.committed and self.challenge is None


def may_see(challenge: Challenge, roster: Roster, person: Person) -> bool:
    """Whether `person` may look this challenge up: involved, above in the ladder for its
    area, or a digest reader of its area. The one rule every channel applies."""
    if views.relation(challenge, roster, person.id) is not None or person.id == challenge.last_actor_id:
        return True
    if may_act_as_reviewer(challenge, roster, person.id):
        return True
    return any(person.has_role(role, challenge.area) for role in challenge.policy.notifications.digest)


def actions_of(challenge: Challenge, roster: Roster, viewer_id: str, now: datetime) -> tuple[ActionView, ...]:
    """The buttons the viewer's card has (without building the card)."""
    if viewer_id == challenge.challenger_id:
        return challenger_actions(challenge)
    return reviewer_actions(challenge, roster, viewer_id, now) if roster.get(viewer_id) else ()


@dataclass(frozen=True)
class _Read:
    roster: Roster
    challenge: Challenge | None
    events: list[Event]
    missed: list[str]


@dataclass
class Desk:
    core: Mashbot
    read: Callable[[], DeskReads]
    clock: Callable[[], datetime]

    async def _load(self, reference: str, *, events: bool = True) -> _Read:
        async with self.read() as uow:
            roster = await uow.people.roster()
            challenge = await uow.challenges.get(reference)
            found = await uow.events.for_challenge(reference) if challenge and events else []
            missed = await uow.outbox.unreachable(reference) if challenge and events else []
        return _Read(roster, challenge, found, missed)

    async def roster(self) -> Roster:
        async with self.read() as uow:
            return await uow.people.roster()

    # -- reading ----------------------------------------------------------------------------
    async def card(self, viewer: Person, reference: str) -> views.CardView | None:
        got = await self._load(reference)
        if got.challenge is None:
            return None
        return views.card_for(got.challenge, got.roster, viewer.id, self.clock(), got.events, got.missed)

    async def lookup(self, viewer: Person, reference: str) -> Looked:
        reference = reference.strip().upper()
        got = await self._load(reference)
        if got.challenge is None or not may_see(got.challenge, got.roster, viewer):
            raise NotFound(texts.NOT_FOUND.format(reference=reference))
        card = views.card_for(got.challenge, got.roster, viewer.id, self.clock(), got.events, got.missed)
        return Looked(card, timeline(got.challenge, got.events, got.roster))

    async def inbox(self, viewer: Person, *, active_only: bool = False) -> list[views.CardView]:
        """The viewer's challenges (raised, held, to agree to), most pressing first."""
        async with self.read() as uow:
            roster = await uow.people.roster()
            found = await uow.challenges.listing(active_only=active_only, person_id=viewer.id, awaiting_joint=True)
        return views.inbox(found, roster, viewer.id, self.clock())

    # -- a press ----------------------------------------------------------------------------
    async def press(self, viewer: Person, payload: Payload,
                    answers: Mapping[str, str | None] | None = None, *, channel: str | None = None) -> Pressed:
        got = await self._load(payload.reference)
        challenge, roster, now = got.challenge, got.roster, self.clock()
        if challenge is None:
            return Pressed(texts.NOT_FOUND.format(reference=payload.reference), None, tone=Tone.REFUSED)
        if viewer.id != payload.for_id:
            return Pressed(texts.FORWARDED.format(names=roster.name_of(payload.for_id)), None, tone=Tone.REFUSED,
                           challenge=challenge)

        def shown() -> views.CardView:
            return views.card_for(challenge, roster, viewer.id, now, got.events, got.missed)

        try:
            if answers is None:
                check_version(challenge, viewer.id, payload.version, roster,
                              calendar_of(challenge.policy).describe)
                chosen = next((a for a in actions_of(challenge, roster, viewer.id, now)
                               if a.verb == payload.action), None)
                if chosen is None:
                    card = shown()
                    return Pressed(card.note or texts.NOT_YOURS.format(names=card.people), card, tone=Tone.REFUSED,
                                   challenge=challenge)
                if chosen.needs_input:
                    return Pressed("", shown(), form=chosen, challenge=challenge)
            command = views.action_command(payload.action, actor_id=viewer.id, reference=payload.reference,
                                           version=payload.version, values=answers or {})
            may_act(challenge, command, roster)
            result = await self.core.handle(command, now, checked=True, channel=channel)
        except AlreadyActioned as exc:
            return Pressed(str(exc), shown(), tone=Tone.STALE, challenge=challenge)
        except InvalidCommand as exc:
            return Pressed(str(exc), shown(), tone=Tone.REFUSED, field=_field(exc, answers),
                           challenge=challenge, invalid=True)
        except NotFound as exc:
            return Pressed(str(exc), None, tone=Tone.REFUSED)
        except MashbotError as exc:  # NotAllowed, NoReviewer, NotAvailable: said on the card as it stands
            return Pressed(str(exc), shown(), tone=Tone.REFUSED, challenge=challenge)
        after = result.challenge or challenge
        card = views.card_for(after, roster, viewer.id, now, [*got.events, *result.events], got.missed)
        return Pressed(result.reply or texts.DONE, card, committed=True, challenge=after)

    # -- the intake -------------------------------------------------------------------------
    async def raise_challenge(self, viewer: Person, answers: Mapping[str, Value], *,
                              channel: str | None = None) -> Raised:
        """The submitted /challenge form: refused per field, raised, or -- a concern about
        practice -- sent down the complaints route (only a count is kept)."""
        values = dict(answers)
        checked = validate_for_policy(values, self.core.policy)
        if checked.answers is None:
            return Raised("", errors=dict(checked.errors), refilled=_kept(values, checked.errors))
        command = to_command(checked.answers, viewer.id)
        now = self.clock()
        try:
            if isinstance(command, RaiseChallenge):
                result = await self.core.raise_challenge(command, now, channel=channel)
            else:
                result = await self.core.redirect_complaint(command, now)
        except InvalidCommand as exc:
            name = exc.field if exc.field in values else None
            errors = {name: str(exc)} if name else {}
            return Raised(str(exc), errors=errors, form_error=None if name else str(exc),
                          refilled=_kept(values, errors or dict.fromkeys(values, str(exc))))
        except MashbotError as exc:
            return Raised(str(exc), form_error=str(exc), refilled=_kept(values, {}))
        return Raised(result.reply, result.challenge, committed=True)


def _kept(values: Mapping[str, Value], errors: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in refill(values, errors).items() if isinstance(v, str)}


def _field(exc: InvalidCommand, answers: Mapping[str, str | None] | None) -> str | None:
    """The input a refusal belongs to: the one the core named, else the free text entered."""
    if exc.field is not None:
        return exc.field
    typed = [k for k in _FREE_TEXT if (answers or {}).get(k)]
    return typed[0] if typed else None


_FREE_TEXT: Sequence[str] = ("reason", "rationale", "text", "detail")
