"""A rehearsal: the real use cases run inside one transaction that is always rolled back.

Every unit of work handed out by `Rehearsal.uow` is a savepoint of that one outer
transaction, so a use case that commits several batches (the tick) sees its own earlier
batches and stops as it would for real; when the rehearsal ends, everything is undone.
Before the end, `planned()` reads what the rehearsal wrote (moved stages, queued messages).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from storage import tables as t
from storage.database import Database
from storage.unit_of_work import SqlUnitOfWork


@dataclass(frozen=True)
class StageMove:
    """A challenge the rehearsal changed: its stage and state before and after."""

    reference: str
    stage_before: int
    stage_after: int
    state_before: str
    state_after: str
    breached_before: bool
    breached_after: bool


@dataclass(frozen=True)
class PlannedMessage:
    """A message the rehearsal queued: what kind, to whom, by which channel — never its body."""

    kind: str
    recipient: str
    channel: str
    reference: str | None


@dataclass(frozen=True)
class Plan:
    moves: list[StageMove]
    messages: list[PlannedMessage]


class Rehearsal:
    def __init__(self, database: Database, connection: AsyncConnection) -> None:
        self._database = database
        self._connection = connection
        # Each session joins the outer transaction through a savepoint: its commit releases
        # the savepoint, its rollback undoes only its own work, and nothing reaches the disk.
        self._sessions = async_sessionmaker(bind=connection, expire_on_commit=False, class_=AsyncSession,
                                            join_transaction_mode="create_savepoint")
        self._before: dict[str, tuple[int, str, bool]] = {}
        self._outbox_from = 0

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._sessions, self._database.dialect, self._database.roster_cache)

    async def remember(self, now: datetime) -> None:
        """Note the state of every challenge the tick at `now` may touch, and where the outbox ends."""
        c = t.challenges.c
        rows = await self._connection.execute(
            select(c.reference, c.stage, c.state, c.breached).where(c.wake_at.is_not(None), c.wake_at <= now))
        self._before = {r.reference: (r.stage, r.state, bool(r.breached)) for r in rows}
        self._outbox_from = int(await self._connection.scalar(select(func.max(t.outbox.c.id))) or 0)

    async def planned(self) -> Plan:
        """What the rehearsal changed since `remember`: stage moves and queued messages."""
        c = t.challenges.c
        moves: list[StageMove] = []
        if self._before:
            rows = await self._connection.execute(
                select(c.reference, c.stage, c.state, c.breached).where(c.reference.in_(list(self._before))))
            for r in sorted(rows, key=lambda r: r.reference):
                stage, state, breached = self._before[r.reference]
                if (stage, state, breached) != (r.stage, r.state, bool(r.breached)):
                    moves.append(StageMove(r.reference, stage, r.stage, state, r.state, breached, bool(r.breached)))
        o = t.outbox.c
        rows = await self._connection.execute(
            select(o.kind, o.recipient, o.channel, o.reference).where(o.id > self._outbox_from).order_by(o.id))
        messages = [PlannedMessage(r.kind, r.recipient, r.channel, r.reference) for r in rows]
        return Plan(moves, messages)


@asynccontextmanager
async def rehearse(database: Database) -> AsyncIterator[Rehearsal]:
    """A rehearsal on `database`; whatever happens inside is rolled back when it ends."""
    async with database.engine.connect() as connection:
        transaction = await connection.begin()
        try:
            yield Rehearsal(database, connection)
        finally:
            await transaction.rollback()
