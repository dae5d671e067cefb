"""In-memory fakes of the core's ports (cosmicpython style): no database, same behaviour."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from types import TracebackType

from bot.challenge import Challenge, Event, Message
from bot.roster import Roster


class FakeStore:
    """What the fakes share across units of work: the 'database'."""

    def __init__(self, roster: Roster) -> None:
        self.roster = roster
        self.challenges: dict[str, str] = {}  # reference -> JSON, so nothing leaks by aliasing
        self.events: list[Event] = []
        self.outbox: list[Message] = []
        self.tallies: dict[tuple[str, str, date], int] = {}
        self.commits = 0

    def challenge(self, reference: str) -> Challenge:
        return Challenge.model_validate_json(self.challenges[reference])

    def sent(self, kind: str | None = None, to: str | None = None) -> list[Message]:
        return [m for m in self.outbox if (kind is None or m.kind == kind) and (to is None or m.to == to)]

    def kinds(self, reference: str) -> list[str]:
        return [e.kind for e in self.events if e.reference == reference]


class FakeUnitOfWork:
    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self._challenges: dict[str, str] = {}
        self._events: list[Event] = []
        self._outbox: list[Message] = []
        self._tallies: dict[tuple[str, str, date], int] = {}
        self.challenges = self
        self.events = _Events(self)
        self.outbox = _Outbox(self)
        self.tallies = _Tallies(self)
        self.people = _People(store)

    async def __aenter__(self) -> FakeUnitOfWork:
        self._challenges = dict(self.store.challenges)
        self._tallies = dict(self.store.tallies)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        self._events.clear()
        self._outbox.clear()

    async def commit(self) -> None:
        self.store.challenges = dict(self._challenges)
        self.store.events.extend(self._events)
        self.store.outbox.extend(self._outbox)
        self.store.tallies = dict(self._tallies)
        self.store.commits += 1
        self._events.clear()
        self._outbox.clear()

    # ChallengeRepository
    async def get(self, reference: str) -> Challenge | None:
        raw = self._challenges.get(reference)
        return Challenge.model_validate_json(raw) if raw else None

    async def add(self, challenge: Challenge) -> None:
        assert challenge.reference not in self._challenges
        self._challenges[challenge.reference] = challenge.model_dump_json()

    async def update(self, challenge: Challenge, expected_version: int) -> bool:
        current = Challenge.model_validate_json(self._challenges[challenge.reference])
        if current.version != expected_version:
            return False
        self._challenges[challenge.reference] = challenge.model_dump_json()
        return True

    async def save_claimed(self, challenges: Sequence[Challenge]) -> None:
        for challenge in challenges:
            self._challenges[challenge.reference] = challenge.model_dump_json()

    async def due(self, now: datetime, limit: int) -> list[Challenge]:
        found = [Challenge.model_validate_json(raw) for raw in self._challenges.values()]
        due = [c for c in found if c.wake_at is not None and c.wake_at <= now]
        return sorted(due, key=lambda c: c.wake_at or now)[:limit]

    async def listing(self, *, active_only: bool = True, person_id: str | None = None,
                      awaiting_joint: bool = False) -> list[Challenge]:
        found = [Challenge.model_validate_json(raw) for raw in self._challenges.values()]
        return [c for c in found if (c.is_active or not active_only)]


class _Events:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def append(self, events: Sequence[Event]) -> None:
        self.uow._events.extend(events)

    async def for_challenge(self, reference: str) -> list[Event]:
        return [e for e in self.uow.store.events if e.reference == reference]


class _Outbox:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def add(self, messages: Sequence[Message], now: datetime) -> None:
        self.uow._outbox.extend(messages)

    async def unreachable(self, reference: str) -> list[str]:
        return []

    async def last_external_id(self, reference: str, recipient: str) -> str | None:
        return None


class _Tallies:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def increment(self, key: str, area: str, day: date) -> None:
        self.uow._tallies[(key, area, day)] = self.uow._tallies.get((key, area, day), 0) + 1


class _People:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def roster(self) -> Roster:
        return self.store.roster

