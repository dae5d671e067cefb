"""Ports: what the core needs from the outside world, as typing.Protocol.

The storage package implements them with SQLAlchemy; tests use in-memory fakes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from types import TracebackType
from typing import Protocol

from bot.challenge import Challenge, Event, Message
from bot.roster import Roster


class ChallengeRepository(Protocol):
    async def get(self, reference: str) -> Challenge | None: ...

    async def add(self, challenge: Challenge) -> None: ...

    async def update(self, challenge: Challenge, expected_version: int) -> bool:
        """Save if the stored version is still `expected_version`; False when someone else won."""

    async def save_claimed(self, challenges: Sequence[Challenge]) -> None:
        """Save challenges claimed by `due` in this same unit of work (no version check)."""

    async def due(self, now: datetime, limit: int) -> list[Challenge]:
        """Active challenges whose wake time is at or before `now`, oldest first, claimed for
        this unit of work (other workers skip them)."""

    async def listing(self, *, active_only: bool = True, person_id: str | None = None,
                      awaiting_joint: bool = False) -> list[Challenge]:
        """Challenges, oldest first; with `person_id` only those naming that person (raised,
        held, decided, counterpart) and, with `awaiting_joint`, every one awaiting joint
        agreement (its approvers are role holders, known from the roster only)."""


class EventLog(Protocol):
    async def append(self, events: Sequence[Event]) -> None: ...

    async def for_challenge(self, reference: str) -> list[Event]: ...


class Outbox(Protocol):
    async def add(self, messages: Sequence[Message], now: datetime) -> None: ...


class Tallies(Protocol):
    async def increment(self, key: str, area: str, day: date) -> None: ...


class People(Protocol):
    async def roster(self) -> Roster: ...


class UnitOfWork(Protocol):
    # Read-only properties, so implementations may hold narrower (richer) repository types.
    @property
    def challenges(self) -> ChallengeRepository: ...

    @property
    def events(self) -> EventLog: ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def tallies(self) -> Tallies: ...

    @property
    def people(self) -> People: ...

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None: ...

    async def commit(self) -> None: ...
