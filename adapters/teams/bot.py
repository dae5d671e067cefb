"""One Teams turn: a typed message, a card press, or an install / conversation update.

Conversation references are saved whenever a known person writes, presses, installs the app
or opens the chat, so proactive cards can reach them; removing the app forgets the reference
(they get email from then on). Only 1:1 chats are served: cards never reach a channel.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botbuilder.core import CardFactory, InvokeResponse, MessageFactory, TurnContext
from botbuilder.schema import Activity, ActivityTypes

from adapters.bootstrap import Service
from adapters.teams import card_actions, chat, people
from bot import texts
from bot.roster import Person
from cards import adaptive

log = logging.getLogger("mashbot.teams")

CARD_ACTION = "adaptiveCard/action"


def card_activity(card: adaptive.Card) -> Activity:
    problems = adaptive.problems(card)
    if problems:  # a renderer bug: still sent, but loudly
        log.error("teams: card breaks Adaptive Card rules: %s", "; ".join(problems))
    activity: Activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
    return activity


def text_activity(text: str) -> Activity:
    activity: Activity = MessageFactory.text(text)
    return activity


@dataclass
class TeamsBot:
    """botbuilder's Bot: `on_turn` is all the adapter calls."""

    service: Service
    secret: bytes
    committed: Callable[[], None] = lambda: None  # a change was saved: send the outbox now

    async def on_turn(self, context: TurnContext) -> None:
        kind = context.activity.type
        if kind == ActivityTypes.message:
            await self._message(context)
        elif kind == ActivityTypes.invoke:
            await self._invoke(context)
        elif kind == ActivityTypes.conversation_update:
            await self._conversation_update(context)
        elif kind == ActivityTypes.installation_update:
            await self._installation_update(context)

    async def _person(self, context: TurnContext, *, save: bool = True) -> Person | None:
        async with self.service.database.uow(read_only=True) as uow:
            roster = await uow.people.roster()
        person = await people.who_is(context, self.service.database, roster)
        if person is not None and save:
            await people.remember(self.service.database, person, context.activity, self.service.now())
        return person

    async def _message(self, context: TurnContext) -> None:
        activity = context.activity
        if not people.is_personal(activity):
            await context.send_activity(text_activity(texts.TEAMS_PERSONAL_ONLY))
            return
        person = await self._person(context)
        if person is None:
            await context.send_activity(text_activity(texts.UNKNOWN_PERSON))
            return
        teams_user = activity.from_property.id
        for card in await chat.answer(self.service, self.secret, person, activity.text, teams_user):
            await context.send_activity(card_activity(card))

    async def _invoke(self, context: TurnContext) -> None:
        activity = context.activity
        if activity.name != CARD_ACTION:
            # Only card actions are offered; any other invoke is the sender's mistake, not ours.
            await self._respond(context, InvokeResponse(status=400, body={
                "error": f"mashbot answers {CARD_ACTION} invokes only"}))
            return
        person = await self._person(context) if people.is_personal(activity) else None
        who = card_actions.Presser(person, activity.from_property.id if activity.from_property else "")
        answer = await card_actions.on_press(self.service, self.secret, who, activity.value)
        await self._respond(context, InvokeResponse(status=200, body=answer.body))
        if answer.committed:
            self.committed()

    @staticmethod
    async def _respond(context: TurnContext, response: InvokeResponse) -> None:
        await context.send_activity(Activity(type=ActivityTypes.invoke_response, value=response))

    async def _conversation_update(self, context: TurnContext) -> None:
        activity = context.activity
        if not people.is_personal(activity):
            return
        person = await self._person(context)
        bot_id = activity.recipient.id if activity.recipient else None
        if any(member.id == bot_id for member in activity.members_added or ()):
            await context.send_activity(text_activity(texts.TEAMS_WELCOME if person else texts.UNKNOWN_PERSON))

    async def _installation_update(self, context: TurnContext) -> None:
        action = str(context.activity.action or "")
        if action.startswith("remove"):
            person = await self._person(context, save=False)
            if person is not None:
                await people.forget(self.service.database, person)
            return
        if action.startswith("add") and people.is_personal(context.activity):
            await self._person(context)


def describe(activity: Any) -> str:
    """An activity's type and name for logs (never its text)."""
    kind = getattr(activity, "type", None)
    name = getattr(activity, "name", None)
    return f"{getattr(kind, 'value', kind)}{'/' + name if name else ''}"
