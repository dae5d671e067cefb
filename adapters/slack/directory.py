"""Who is who between the roster and Slack, and where each person's DM is.

A person is matched by the `slack_user_id` the roster gives, else by email: roster → Slack
with `users.lookupByEmail` (to DM someone), Slack → roster with `users.info`'s email (someone
the roster has no Slack id for presses a button or types /challenge). Matches and DM channel
ids are kept in memory and in the `conversation_refs` table (channel "slack"), so a restart
asks Slack again only about people it never met. "Not on Slack" is remembered for an hour
(meanwhile that person's messages go by email), a Slack user with no roster match for five
minutes.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select

from adapters.slack.web_errors import error_of
from bot.roster import Person, Roster
from storage import tables as t
from storage.database import Database

log = logging.getLogger("mashbot.slack")
CHANNEL = "slack"
NOT_FOUND_ERRORS = frozenset({"users_not_found", "user_not_found"})


class NotOnSlack(Exception):
    """The person has no Slack account that mashbot can find (by id or email)."""


@dataclass
class Directory:
    database: Database
    web: AsyncWebClient
    clock: Callable[[], Any]  # the service's now (stored with each match)
    forget_missing_after: float = 3600.0
    monotonic: Callable[[], float] = time.monotonic
    _user_of: dict[str, str] = field(default_factory=dict)  # person id -> Slack user id
    _person_of: dict[str, str] = field(default_factory=dict)  # Slack user id -> person id
    _dm_of: dict[str, str] = field(default_factory=dict)  # person id -> DM channel id
    _missing: dict[str, float] = field(default_factory=dict)  # person id -> when Slack said "not found"
    _strangers: dict[str, float] = field(default_factory=dict)  # Slack user id -> when no roster match
    forget_strangers_after: float = 300.0
    _loaded: bool = False

    # -- what is known without asking Slack ---------------------------------------------------
    def reaches(self, person: Person) -> bool:
        """True unless Slack said lately that it does not know this person."""
        if person.slack_user_id or person.id in self._user_of:
            return True
        since = self._missing.get(person.id)
        return since is None or self.monotonic() - since > self.forget_missing_after

    async def _load(self) -> None:
        if self._loaded:
            return
        c = t.conversation_refs.c
        async with self.database.uow(read_only=True) as uow:
            rows = (await uow.session.execute(select(c.person_id, c.ref).where(c.channel == CHANNEL))).all()
        for person_id, ref in rows:
            try:
                data = json.loads(ref)
            except ValueError:
                continue
            if data.get("user"):
                self._user_of[person_id] = data["user"]
                self._person_of[data["user"]] = person_id
            if data.get("dm"):
                self._dm_of[person_id] = data["dm"]
        self._loaded = True

    async def _remember(self, person_id: str, user: str, dm: str | None = None) -> None:
        self._user_of[person_id], self._person_of[user] = user, person_id
        self._missing.pop(person_id, None)
        if dm:
            self._dm_of[person_id] = dm
        ref = json.dumps({"user": user, "dm": dm or self._dm_of.get(person_id)})
        async with self.database.uow() as uow:
            await uow.conversations.put(person_id, CHANNEL, ref, self.clock())
            await uow.commit()

    # -- Slack -> roster ----------------------------------------------------------------------
    async def person_for(self, user: str, roster: Roster) -> Person | None:
        """The roster person behind a Slack user id (None: mashbot does not know them)."""
        person = roster.by_slack_id(user)
        if person is not None:
            return person
        await self._load()
        person = roster.get(self._person_of.get(user))
        if person is not None:
            return person
        since = self._strangers.get(user)
        if since is not None and self.monotonic() - since < self.forget_strangers_after:
            return None
        try:
            found = await self.web.users_info(user=user)
        except SlackApiError as exc:
            if error_of(exc) not in NOT_FOUND_ERRORS:
                raise  # Slack is busy or failing: not the same as "unknown"
            found = {}
        email = ((found.get("user") or {}).get("profile") or {}).get("email")
        person = roster.by_email(email) if isinstance(email, str) and email else None
        if person is None:
            self._strangers[user] = self.monotonic()
            return None
        await self._remember(person.id, user)
        return person

    # -- roster -> Slack ----------------------------------------------------------------------
    async def user_for(self, person: Person) -> str:
        """The person's Slack user id: from the roster, the cache, or users.lookupByEmail."""
        if person.slack_user_id:
            return person.slack_user_id
        await self._load()
        if person.id in self._user_of:
            return self._user_of[person.id]
        try:
            found = await self.web.users_lookupByEmail(email=str(person.email))
        except SlackApiError as exc:
            if error_of(exc) in NOT_FOUND_ERRORS:
                self._missing[person.id] = self.monotonic()
                raise NotOnSlack(person.id) from None
            raise
        user = str(found["user"]["id"])
        await self._remember(person.id, user)
        return user

    async def dm_for(self, person: Person) -> str:
        """The id of mashbot's DM with the person (conversations.open once, then remembered)."""
        await self._load()
        user = await self.user_for(person)
        if person.id in self._dm_of and self._user_of.get(person.id, user) == user:
            return self._dm_of[person.id]
        opened = await self.web.conversations_open(users=user)
        dm = str(opened["channel"]["id"])
        await self._remember(person.id, user, dm)
        return dm
