"""The unit of work: one session, one transaction; rolled back unless committed."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.audit import DEVELOPMENT_KEY, AuditKey
from storage.seals import AuditSealer
from storage.repositories import (
    RosterCache,
    SqlChallenges,
    SqlConversationRefs,
    SqlEventLog,
    SqlOutbox,
    SqlPeople,
    SqlSchedulerMarks,
    SqlTallies,
)
from storage.conversations import SqlConversations
from storage.slack_replays import SqlSlackReplays
from storage.outbox_admin import SqlLiveCards
from storage.snapshots import SnapshotStore


class WriterTurns(Protocol):
    def turn(self) -> AbstractAsyncContextManager[None]: ...


class SqlUnitOfWork:
    """bot.ports.UnitOfWork on SQLAlchemy.

    Entering begins the transaction at once (on SQLite that takes the single write lock,
    so two workers never claim the same due rows); leaving rolls back anything not committed.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], dialect: str, roster_cache: RosterCache,
                 execution_options: Mapping[str, Any] | None = None,
                 audit_key: AuditKey = DEVELOPMENT_KEY,
                 snapshots: SnapshotStore | None = None, writers: WriterTurns | None = None) -> None:
        self.session = sessions()
        self._writers = writers
        self._turn: AbstractAsyncContextManager[None] | None = None
        self._execution_options = dict(execution_options or {})
        self.audit_key = audit_key
        self.sealer = AuditSealer(self.session, audit_key)
        # Only a writing unit of work locks the challenge rows it reads.
        self.challenges = SqlChallenges(self.session, lock_rows=not self._execution_options, sealer=self.sealer,
                                        snapshots=snapshots)
        self.events = SqlEventLog(self.session, self.sealer)
        self.outbox = SqlOutbox(self.session)
        self.tallies = SqlTallies(self.session, dialect)
        self.people = SqlPeople(self.session, roster_cache)
        self.conversations = SqlConversations(SqlConversationRefs(self.session, dialect), self.session)
        self.live_cards = SqlLiveCards(self.session)
        self.marks = SqlSchedulerMarks(self.session, dialect)
        self.slack_replays = SqlSlackReplays(self.session, dialect)

    async def __aenter__(self) -> SqlUnitOfWork:
        try:
            if self._writers is not None:
                self._turn = self._writers.turn()
                await self._turn.__aenter__()
            await self.session.connection(execution_options=self._execution_options or None)
        except BaseException:
            await self._close()
            raise
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        try:
            await self.session.rollback()
        finally:
            await self._close()

    async def _close(self) -> None:
        try:
            await self.session.close()
        finally:
            turn, self._turn = self._turn, None
            if turn is not None:
                await turn.__aexit__(None, None, None)

    async def commit(self) -> None:
        await self.sealer.flush()  # the rows written, sealed with their latest events' links
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()
