"""The unit of work: one session, one transaction; rolled back unless committed."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

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
from storage.snapshots import SnapshotStore


class SqlUnitOfWork:
    """bot.ports.UnitOfWork on SQLAlchemy.

    Entering begins the transaction at once (on SQLite that takes the single write lock,
    so two workers never claim the same due rows); leaving rolls back anything not committed.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], dialect: str, roster_cache: RosterCache,
                 execution_options: Mapping[str, Any] | None = None,
                 snapshots: SnapshotStore | None = None) -> None:
        self.session = sessions()
        self._execution_options = dict(execution_options or {})
        # Only a writing unit of work locks the challenge rows it reads.
        self.challenges = SqlChallenges(self.session, lock_rows=not self._execution_options, snapshots=snapshots)
        self.events = SqlEventLog(self.session)
        self.outbox = SqlOutbox(self.session)
        self.tallies = SqlTallies(self.session, dialect)
        self.people = SqlPeople(self.session, roster_cache)
        self.conversations = SqlConversationRefs(self.session, dialect)
        self.marks = SqlSchedulerMarks(self.session, dialect)

    async def __aenter__(self) -> SqlUnitOfWork:
        try:
            await self.session.connection(execution_options=self._execution_options or None)
        except BaseException:
            await self.session.close()
            raise
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        try:
            await self.session.rollback()
        finally:
            await self.session.close()

    async def commit(self) -> None:
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()
