"""Who is who between the roster and Slack, and where each person's DM is.

A person is matched by the `slack_user_id` the roster gives, else by email: roster → Slack
with `users.lookupByEmail` (to DM someone), Slack → roster with `users.info`'s email (someone
the roster has no Slack id for presses a button or types /challenge). Matches and DM channel
ids are kept in the `conversation_refs` table (channel "slack") and read from it each time,
so what one replica learns every other replica knows, and a restart asks Slack again only
about people it never met. Only the misses are remembered in memory, as hints: "not on
Slack" for an hour (meanwhile that person's messages go by email), a Slack user with no
roster match for five minutes.
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

from adapters.slack.web_errors import error_of
from bot.roster import Person, Roster
from storage.database import Database

log = logging.getLogger("mashbot.slack")
CHANNEL = "slack"
NOT_FOUND_ERRORS = frozenset({"users_not_found", "user_not_found"})


class NotOnSlack(Exception):
    """The person has no Slack account that mashbot can find (by id or email)."""


def _stored(ref: str | None) -> dict[str, str]:
    """A stored Slack reference: {"user": Slack user id, "dm": DM channel id} (either may be absent)."""
    try:
        data = json.loads(ref) if ref else {}
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if k in ("user", "dm") and isinstance(v, str) and v}


@dataclass
class Directory:
    database: Database
    web: AsyncWebClient
    clock: Callable[[], Any]  # the service's now (stored with each match)
    forget_missing_after: float = 3600.0
    monotonic: Callable[[], float] = time.monotonic
    _missing: dict[str, float] = field(default_factory=dict)  # person id -> when Slack said "not found"
    _strangers: dict[str, float] = field(default_factory=dict)  # Slack user id -> when no roster match
    forget_strangers_after: float = 300.0

    # -- what is known without asking Slack ---------------------------------------------------
    def reaches(self, person: Person) -> bool:
        """True unless Slack said lately that it does not know this person."""
        if person.slack_user_id:
            return True
        since = self._missing.get(person.id)
        return since is None or self.monotonic() - since > self.forget_missing_after

    async def _ref(self, person_id: str) -> dict[str, str]:
        async with self.database.uow(read_only=True) as uow:
            return _stored(await uow.conversations.get(person_id, CHANNEL))

    async def known(self, user: str, roster: Roster) -> Person | None:
        """The roster person behind a Slack user id, from the roster or a stored match only."""
        person = roster.by_slack_id(user)
        if person is not None:
            return person
        async with self.database.uow(read_only=True) as uow:
            person_id = await uow.conversations.person_for_user(CHANNEL, user, lambda ref: _stored(ref).get("user"))
        return roster.get(person_id)

    def stranger(self, user: str) -> bool:
        """Slack told this replica lately that the user matches nobody on the roster."""
        since = self._strangers.get(user)
        return since is not None and self.monotonic() - since < self.forget_strangers_after

    async def _remember(self, person_id: str, user: str, dm: str | None = None) -> None:
        self._missing.pop(person_id, None)
        known = await self._ref(person_id)
        ref = json.dumps({"user": user, "dm": dm or (known.get("dm") if known.get("user") == user else None)})
        async with self.database.uow() as uow:
            await uow.conversations.put(person_id, CHANNEL, ref, self.clock())
            await uow.commit()

    # -- Slack -> roster ----------------------------------------------------------------------
    async def person_for(self, user: str, roster: Roster) -> Person | None:
        """The roster person behind a Slack user id (None: mashbot does not know them)."""
        person = await self.known(user, roster)
        if person is not None or self.stranger(user):
            return person
        try:
            found: Any = await self.web.users_info(user=user)
        except SlackApiError as exc:
            if error_of(exc) not in NOT_FOUND_ERRORS:
                raise  # Slack is busy or failing: not the same as "unknown"
            found = {}
        profile = ((found.get("user") or {}).get("profile") or {}) if isinstance(found.get("user"), dict) else {}
        email = profile.get("email") if isinstance(profile, dict) else None
        person = roster.by_email(email) if isinstance(email, str) and email else None
        if person is None:
            self._strangers[user] = self.monotonic()
            return None
        await self._remember(person.id, user)
        return person

    # -- roster -> Slack ----------------------------------------------------------------------
    async def user_for(self, person: Person) -> str:
        """The person's Slack user id: from the roster, a stored match, or users.lookupByEmail."""
        if person.slack_user_id:
            return person.slack_user_id
        stored = (await self._ref(person.id)).get("user")
        if stored:
            return stored
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
        """The id of mashbot's DM with the person (conversations.open once, then stored)."""
        user = await self.user_for(person)
        stored = await self._ref(person.id)
        if stored.get("dm") and stored.get("user", user) == user:
            return stored["dm"]
        opened = await self.web.conversations_open(users=user)
        dm = str(opened["channel"]["id"])
        await self._remember(person.id, user, dm)
        return dm
