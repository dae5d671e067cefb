"""Sends outbox rows as Slack DMs and keeps the cards already sent up to date.

Each person has one *live* card per challenge: the last DM card mashbot sent them about it,
recorded as the outbox row's external id `slack:<channel>:<ts>`. A new message about the
challenge posts a fresh card (what happened, then the card with the buttons this person
has now) and turns the previous live card into a short "out of date" note without buttons.
A "taken" message, and a `slack_card` row (queued by CardSync after any state change),
instead update the live card in place with `chat.update`.

Cards are rendered when sent, from the challenge as it is then, so a retried row never
shows an old state; stale buttons are harmless anyway (payloads carry the version).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.bootstrap import Service
from adapters.dispatcher import SendFailed
from adapters.slack.directory import Directory, NotOnSlack
from adapters.slack.web_errors import error_of, retry_after_of, status_of
from bot import texts, views
from bot.challenge import Challenge, Event, Message
from bot.roster import Person, Roster
from cards import slack as blocks
from dialogs.desk import UPDATES_CARD_IN_PLACE
from storage.database import Database

log = logging.getLogger("mashbot.slack")

PREFIX = "slack:"
CARD_KIND = "slack_card"  # a Slack-only outbox row: refresh a person's live card in place
IN_PLACE = UPDATES_CARD_IN_PLACE | {CARD_KIND}  # and a refresh row, which is nothing else
PERMANENT_ERRORS = frozenset({"invalid_blocks", "invalid_arguments", "msg_too_long", "no_text", "cannot_dm_bot",
                              "user_not_found", "users_not_found", "user_disabled", "invalid_blocks_format"})
GONE_ERRORS = frozenset({"message_not_found", "cant_update_message", "channel_not_found", "edit_window_closed"})


def external_id(channel: str, ts: str) -> str:
    return f"{PREFIX}{channel}:{ts}"


def parse_external_id(value: str) -> tuple[str, str]:
    channel, _, ts = value.removeprefix(PREFIX).partition(":")
    return channel, ts


# -- what was sent (read from the outbox) -----------------------------------------------------

async def live_card(database: Database, reference: str, person_id: str) -> str | None:
    """The person's live Slack card about a challenge: the last Slack id recorded for them."""
    async with database.uow(read_only=True) as uow:
        return await uow.live_cards.live_card(reference, person_id, PREFIX)


@dataclass
class CardSync:
    """After a state change, queue a `slack_card` row for every live card that no message
    about this change will replace — through the outbox, so a failed update is retried."""

    database: Database
    service: Service
    max_remembered: int = 10_000
    _synced: dict[str, int] = field(default_factory=dict)  # reference -> version already queued

    async def after_send(self, message: Message) -> None:
        """Any message sent about a challenge (email, Teams, Slack) means it changed: refresh
        the Slack cards that message did not replace."""
        if message.reference is None or message.kind == CARD_KIND:
            return
        async with self.database.uow(read_only=True) as uow:
            challenge = await uow.challenges.get(message.reference)
        if challenge is not None:  # the recipient's own card was just sent
            await self.queue(challenge.reference, challenge.version, skip=(message.to,))

    async def queue(self, reference: str, version: int, *, force: bool = False, skip: tuple[str, ...] = ()) -> int:
        """Queue the refreshes for `version` of a challenge (once per version unless forced)."""
        if self._synced.get(reference, 0) >= version and not force:
            return 0
        if len(self._synced) > self.max_remembered:
            self._synced.clear()
        self._synced[reference] = max(version, self._synced.get(reference, 0))
        # One unit of work for reading who holds a live card and queuing their refreshes: the
        # refresh rows follow the change's sent messages as closely as they can.
        async with self.database.uow() as uow:
            holders = set(await uow.live_cards.holders(reference, PREFIX))
            pending = set(await uow.live_cards.pending_chat(reference))
            targets = sorted(holders - pending - set(skip))
            if targets:
                challenge = await uow.challenges.get(reference)
                roster = await uow.people.roster()
                # A pool member who did not take it keeps the "Taken by …" card they were sent.
                targets = [p for p in targets if challenge is None or views.follows(challenge, roster, p)]
            if not targets:
                return 0
            await uow.outbox.add([Message(kind=CARD_KIND, to=p, reference=reference) for p in targets],
                                 self.service.now())
            await uow.commit()
        return len(targets)


# -- the sender -------------------------------------------------------------------------------

def failure(exc: Exception) -> SendFailed:
    """A Slack error as the dispatcher's SendFailed: permanent, or retried (after Retry-After)."""
    if isinstance(exc, SlackApiError):
        error = error_of(exc)
        retry_after = retry_after_of(exc) if status_of(exc) == 429 or error == "ratelimited" else None
        return SendFailed(f"Slack {error}", permanent=error in PERMANENT_ERRORS, retry_after=retry_after)
    return SendFailed(f"Slack unreachable ({type(exc).__name__})")


@dataclass
class SlackSender:
    """The dispatcher's chat sender for Slack (adapters.dispatcher.ChatSender)."""

    service: Service
    web: AsyncWebClient
    directory: Directory
    secret: bytes
    sync: CardSync
    channel: str = "slack"

    def reaches(self, person: Person) -> bool:
        return self.directory.reaches(person)

    async def send(self, message: Message, person: Person, *, key: str) -> str | None:
        try:
            return await self._send(message, person)
        except NotOnSlack:
            # Retried at once: the dispatcher then routes it to email (reaches() is now False).
            raise SendFailed("not found on Slack by email; falling back to email", retry_after=0) from None
        except (TimeoutError, SlackApiError, aiohttp.ClientError) as exc:
            raise failure(exc) from None

    async def _load(self, reference: str) -> tuple[Challenge | None, Roster, list[Event], list[str]]:
        async with self.service.database.uow(read_only=True) as uow:
            roster = await uow.people.roster()
            challenge = await uow.challenges.get(reference)
            events = await uow.events.for_challenge(reference) if challenge else []
            missed = await uow.outbox.unreachable(reference) if challenge else []
        return challenge, roster, events, missed

    async def _send(self, message: Message, person: Person) -> str | None:
        subject, body = (texts.render(message.kind, message.data) if message.kind in texts.MESSAGES
                         else (str(message.data.get("subject", "")), str(message.data.get("body", ""))))
        challenge = None
        if message.reference is not None:
            challenge, roster, events, missed = await self._load(message.reference)
        if challenge is None:
            if message.kind == CARD_KIND:
                return None  # purged meanwhile: nothing to refresh
            return await self._post(person, blocks.notice_message(subject, body))
        card = views.card_for(challenge, roster, person.id, self.service.now(), events, missed)
        live = await live_card(self.service.database, challenge.reference, person.id)
        if message.kind in IN_PLACE:
            if live is None and message.kind == CARD_KIND:
                return None
            refreshed = (blocks.card_message(card, self.secret) if message.kind == CARD_KIND
                         else blocks.card_message(card, self.secret, headline=subject, body=body))
            if live is not None and await self.update(live, refreshed):
                return live
        posted = await self._post(person, blocks.card_message(card, self.secret, headline=subject, body=body))
        if live is not None:
            await self.update(live, blocks.superseded_message(card), best_effort=True)
        return posted

    async def _post(self, person: Person, content: dict[str, Any]) -> str:
        channel = await self.directory.dm_for(person)
        posted = await self.web.chat_postMessage(channel=channel, **content)
        return external_id(str(posted["channel"]), str(posted["ts"]))

    async def update(self, live: str, content: dict[str, Any], *, best_effort: bool = False) -> bool:
        """chat.update of a card; False when Slack no longer has it (deleted, too old)."""
        channel, ts = parse_external_id(live)
        try:
            await self.web.chat_update(channel=channel, ts=ts, **content)
        except SlackApiError as exc:
            error = error_of(exc)
            if error in GONE_ERRORS:
                return False
            if not best_effort:
                raise
            log.info("could not mark an older Slack card out of date (%s); its buttons stay but are stale", error)
            return False
        return True
