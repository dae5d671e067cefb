"""The digest use case's ports (dialogs/digest.py) on the database: its reads in one
read-only snapshot, and each recipient's once-a-day claim with its outbox row in one
writing transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime

from bot.challenge import Message
from bot.digest import FailedMessage
from bot.roster import Roster
from bot.summary import Listed
from storage import summaries
from storage.database import Database
from storage.marks import DIGEST, digest_key, last_digests
from storage.outbox_admin import undelivered
from storage.snapshots import SnapshotStore
from storage.unit_of_work import SqlUnitOfWork


class SqlDigestReader:
    """dialogs.digest.DigestReader inside a caller's (read-only) unit of work."""

    def __init__(self, uow: SqlUnitOfWork, snapshots: SnapshotStore) -> None:
        self._uow = uow
        self._snapshots = snapshots

    async def roster(self) -> Roster:
        return await self._uow.people.roster()

    async def last_digests(self) -> dict[str, datetime]:
        return await last_digests(self._uow.session)

    async def challenges(self, since: datetime, readers: Collection[str]) -> Sequence[Listed]:
        return await summaries.for_digest(self._uow.session, self._snapshots, since, readers)

    async def undelivered(self, since: datetime) -> list[FailedMessage]:
        return [FailedMessage(e.kind, e.recipient, e.channel, e.reference, e.created_at)
                for e in await undelivered(self._uow.session, since)]


class SqlDigestWriter:
    """dialogs.digest.DigestWriter inside a caller's writing unit of work."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    async def claim(self, person_id: str, day: date, now: datetime) -> bool:
        return await self._uow.marks.claim(DIGEST, digest_key(person_id, day), now)

    async def queue(self, messages: Sequence[Message], now: datetime) -> None:
        await self._uow.outbox.add(messages, now)

    async def commit(self) -> None:
        await self._uow.commit()


class SqlDigestStore:
    """dialogs.digest.DigestStore on a Database."""

    def __init__(self, database: Database) -> None:
        self._database = database

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[SqlDigestReader]:
        async with self._database.uow(read_only=True) as uow:
            yield SqlDigestReader(uow, self._database.snapshots)

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[SqlDigestWriter]:
        async with self._database.uow() as uow:
            yield SqlDigestWriter(uow)
