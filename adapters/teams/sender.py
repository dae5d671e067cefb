"""The outbox dispatcher's Teams sender: proactive cards through stored conversation references.

What a row becomes:
- about a challenge: that challenge's card as it stands *now* for the recipient (buttons
  signed for them, at the current version), headed by the message's sentence;
- `taken` / `escalated_away` (pool members and old reviewers, nothing left to do): the card
  sent to them before is updated in place ("Taken by … at …"), found through the outbox
  row's stored external id; a new card when there is none;
- the digest, and anything else: a card of its words.

A person with no stored reference is reached by opening a 1:1 chat when the roster has their
Entra id and the app is installed for them; otherwise `NotReachable`, and the dispatcher
emails them instead. The external id returned is `teams:<activity id>`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import ChannelAccount, ConversationParameters, ConversationReference
from msrest.exceptions import ClientRequestError, HttpOperationError

from adapters.dispatcher import NotReachable, SendFailed
from adapters.local_modes import url_is_loopback
from adapters.teams import people
from adapters.teams.bot import card_activity
from bot import texts
from bot.challenge import Message
from bot.kinds import MessageKind
from bot.roster import Person
from cards import adaptive
from dialogs.desk import Desk, updates_card_in_place
from storage.database import Database

log = logging.getLogger("mashbot.teams")

PREFIX = "teams:"
GONE = frozenset({403, 404})  # the user removed or blocked the app, or the chat is gone


@dataclass
class TeamsSender:
    """adapters.dispatcher.ChatSender for Teams."""

    adapter: CloudAdapter
    app_id: str
    database: Database
    secret: bytes
    clock: Callable[[], datetime]
    desk: Desk
    channel: str = "teams"
    # Unauthenticated (MASHBOT_TEAMS_LOCAL): nothing leaves this machine, whatever was stored.
    loopback_only: bool = False

    def reaches(self, person: Person) -> bool:
        """Known only at send time (a stored reference); `send` says NotReachable otherwise."""
        return True

    async def send(self, message: Message, person: Person, *, key: str) -> str | None:
        stored = await self._stored(person)
        if stored is None:
            return await self._open_chat(message, person)
        reference, _tenant = people.load_reference(stored)
        self._check_local(reference)
        card = await self._card(message, person, reference.user.id if reference.user else None)
        previous = await self._previous(message, person)
        try:
            return PREFIX + await self._deliver(reference, card, previous)
        except HttpOperationError as exc:
            status = _status(exc)
            if status in GONE:
                await self._forget(person)
            raise _failure(exc, status) from exc
        except (ClientRequestError, OSError, TimeoutError) as exc:
            raise SendFailed(f"Teams connector unreachable ({type(exc).__name__})") from exc

    # -- where ----------------------------------------------------------------------------------
    async def _stored(self, person: Person) -> str | None:
        async with self.database.uow(read_only=True) as uow:
            return await uow.conversations.get(person.id, people.CHANNEL)

    async def _previous(self, message: Message, person: Person) -> str | None:
        if not updates_card_in_place(message.kind) or not message.reference:
            return None
        async with self.database.uow(read_only=True) as uow:
            found = await uow.outbox.last_external_id(message.reference, person.id)
        return found[len(PREFIX):] if found and found.startswith(PREFIX) else None

    async def _forget(self, person: Person) -> None:
        async with self.database.uow() as uow:
            await uow.conversations.forget(person.id, people.CHANNEL)
            await uow.commit()

    # -- what -----------------------------------------------------------------------------------
    async def _card(self, message: Message, person: Person, teams_user: str | None) -> adaptive.Card:
        if message.kind == MessageKind.DIGEST:
            data = message.data
            return adaptive.message_card(str(data.get("subject", "")), str(data.get("body", "")).splitlines())
        sentence = texts.render(message.kind, message.data)[1] if message.kind in texts.MESSAGES else ""
        view = await self.desk.card(person, message.reference) if message.reference else None
        if view is not None:
            return adaptive.challenge_card(view, secret=self.secret, refresh_for=teams_user,
                                           notice=sentence or None, notice_colour="default")
        subject = texts.render(message.kind, message.data)[0] if message.kind in texts.MESSAGES else texts.TEAMS_NOTICE_TITLE
        return adaptive.message_card(subject, [sentence])

    # -- how ------------------------------------------------------------------------------------
    async def _deliver(self, reference: ConversationReference, card: adaptive.Card, previous: str | None) -> str:
        sent: list[str] = []

        async def post(context: TurnContext) -> None:
            if previous is not None:
                update = card_activity(card)
                update.id = previous
                try:
                    await context.update_activity(update)
                    sent.append(previous)
                    return
                except HttpOperationError as exc:
                    if _status(exc) != 404:  # 404: the old message is gone, so post a new one
                        raise
            context.activity.id = None  # otherwise the card is posted as a reply to a random id
            response = await context.send_activity(card_activity(card))
            sent.append(response.id if response and response.id else "")

        await self._continue(reference, post)
        if not sent or not sent[0]:
            raise SendFailed("Teams accepted the card but returned no activity id")
        return sent[0]

    async def _continue(self, reference: ConversationReference,
                        callback: Callable[[TurnContext], Awaitable[None]]) -> None:
        await self.adapter.continue_conversation(reference, callback, self.app_id)

    async def _open_chat(self, message: Message, person: Person) -> str:
        """No reference yet: open a 1:1 chat where Teams allows it (app installed for them)."""
        template = await self._newest()
        if not person.teams_aad_id or template is None:
            raise NotReachable("no Teams conversation with this person")
        reference, tenant = people.load_reference(template)
        self._check_local(reference)
        parameters = ConversationParameters(
            is_group=False, bot=reference.bot, members=[ChannelAccount(id=person.teams_aad_id)],
            tenant_id=tenant, channel_data={"tenant": {"id": tenant}} if tenant else None)
        sent: list[str] = []

        async def post(context: TurnContext) -> None:
            card = await self._card(message, person, None)
            context.activity.id = None
            response = await context.send_activity(card_activity(card))
            sent.append(response.id if response and response.id else "")
            await self._save(person, context, tenant)

        try:
            await self.adapter.create_conversation(self.app_id, post, parameters, reference.channel_id,
                                                   reference.service_url)
        except HttpOperationError as exc:
            raise NotReachable(f"Teams would not open a chat ({_status(exc)})") from exc
        except (ClientRequestError, OSError, TimeoutError) as exc:
            raise SendFailed(f"Teams connector unreachable ({type(exc).__name__})") from exc
        if not sent or not sent[0]:
            raise SendFailed("Teams accepted the card but returned no activity id")
        return PREFIX + sent[0]

    def _check_local(self, reference: ConversationReference) -> None:
        if self.loopback_only and not url_is_loopback(reference.service_url):
            raise NotReachable("local Teams mode sends to a loopback service URL only")

    async def _newest(self) -> str | None:
        async with self.database.uow(read_only=True) as uow:
            return await uow.conversations.newest(people.CHANNEL)

    async def _save(self, person: Person, context: TurnContext, tenant: str | None) -> None:
        activity = context.activity
        if tenant and not people.tenant_of(activity):
            activity.channel_data = {"tenant": {"id": tenant}}
        activity.from_property = activity.from_property or ChannelAccount(id=person.teams_aad_id)
        await people.remember(self.database, person, activity, self.clock())


def _status(exc: HttpOperationError) -> int | None:
    response: Any = getattr(exc, "response", None)
    status = getattr(response, "status", None) or getattr(response, "status_code", None)
    return int(status) if status else None


def _failure(exc: HttpOperationError, status: int | None) -> SendFailed:
    if status == 429:
        response: Any = getattr(exc, "response", None)
        headers = getattr(response, "headers", None) or {}
        try:
            retry_after: float | None = float(headers.get("Retry-After", ""))
        except ValueError:
            retry_after = None
        return SendFailed("Teams throttled the bot (429)", retry_after=retry_after)
    if status is not None and 400 <= status < 500 and status != 401:
        # Gone (403/404) or refused (400): nothing a retry mends; email reaches them instead.
        return NotReachable(f"Teams refused the card ({status})")
    return SendFailed(f"Teams connector error ({status or type(exc).__name__})")
