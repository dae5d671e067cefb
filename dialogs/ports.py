"""What the front desk and the channels read and keep outside the core, as typing.Protocol.

storage/ implements them (SQLAlchemy); a channel holds one of these and never a session,
so no channel imports storage.tables or SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol

from bot.ports import ChallengeRepository, EventLog, People


class OutboxLookups(Protocol):
    """What was sent about a challenge, read from the outbox."""

    async def unreachable(self, reference: str) -> list[str]:
        """People mashbot could not reach about the challenge at all (their cards name them)."""

    async def last_external_id(self, reference: str, recipient: str) -> str | None:
        """The channel id of the last message sent to `recipient` about the challenge."""


class DeskReads(Protocol):
    """A read-only unit of work: what the desk loads to answer a person."""

    @property
    def people(self) -> People: ...

    @property
    def challenges(self) -> ChallengeRepository: ...

    @property
    def events(self) -> EventLog: ...

    @property
    def outbox(self) -> OutboxLookups: ...

    async def __aenter__(self) -> DeskReads: ...

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None: ...


class Conversations(Protocol):
    """Where a channel reaches a person: one stored reference per person and channel."""

    async def get(self, person_id: str, channel: str) -> str | None: ...

    async def put(self, person_id: str, channel: str, ref: str, now: datetime) -> None: ...

    async def forget(self, person_id: str, channel: str) -> bool:
        """Drop the reference (the app was removed); True when there was one."""

    async def newest(self, channel: str) -> str | None:
        """The most recently saved reference on the channel (any person)."""

    async def person_for_user(self, channel: str, user_id: str, user_of: UserOf) -> str | None:
        """The roster person id whose stored reference is for chat user `user_id`."""


class UserOf(Protocol):
    def __call__(self, ref: str) -> str | None: ...


class Marks(Protocol):
    """Once-only marks: the first claim of (name, key) wins, on any replica."""

    async def claim(self, name: str, key: str, now: datetime) -> bool: ...


class SlackReplays(Protocol):
    """What the Slack edge has already accepted (signatures, submitted forms), shared by every replica."""

    async def claim(self, key: str, *, now: datetime, expires_at: datetime) -> bool:
        """Hold `key` until `expires_at`; True only for the first claim while it is unexpired."""

    async def result_of(self, key: str) -> str | None:
        """What the first claimer recorded for `key` (None: nothing yet, or no such key)."""

    async def record_result(self, key: str, result: str) -> None: ...

    async def release(self, key: str) -> None:
        """Give a claim up (the work it guarded did not happen), so the next attempt may run."""


class LiveCards(Protocol):
    """Which chat messages about a challenge are live cards, from the outbox."""

    async def live_card(self, reference: str, person_id: str, prefix: str) -> str | None:
        """The person's last sent message id starting with `prefix` (their live card), or None."""

    async def holders(self, reference: str, prefix: str) -> Sequence[str]:
        """People holding a sent card (id starting with `prefix`) about the challenge."""

    async def pending_chat(self, reference: str) -> Sequence[str]:
        """People with a chat message about the challenge still waiting to be sent."""
