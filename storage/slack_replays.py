"""What the Slack edge has already accepted, in `slack_replays`, shared by every replica.

A key is claimed with one INSERT … ON CONFLICT statement, so of two replicas racing on the
same key exactly one wins; a key whose row has expired can be claimed again. Each claim also
prunes expired rows, so the table holds only the last few minutes.
"""

from __future__ import annotations

from datetime import datetime

from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import tables as t
from storage.repositories import _rowcount, _upsert


async def claim(session: AsyncSession, dialect: str, key: str, *, now: datetime, expires_at: datetime) -> bool:
    """Record `key` until `expires_at`; True only for the first claim while it is unexpired."""
    r = t.slack_replays
    await session.execute(delete(r).where(r.c.expires_at < now))
    stmt = _upsert(dialect, r).values(key=key, expires_at=expires_at, result=None)
    stmt = stmt.on_conflict_do_update(index_elements=["key"], set_={"expires_at": expires_at, "result": None},
                                      where=r.c.expires_at < now)
    return _rowcount(await session.execute(stmt)) == 1


async def result_of(session: AsyncSession, key: str) -> str | None:
    """What the first claimer recorded for `key` (None: nothing yet, or no such key)."""
    c = t.slack_replays.c
    return await session.scalar(select(c.result).where(c.key == key))


async def record_result(session: AsyncSession, key: str, result: str) -> None:
    c = t.slack_replays.c
    await session.execute(update(t.slack_replays).where(c.key == key).values(result=result))


async def release(session: AsyncSession, key: str) -> None:
    """Give a claim up (the work it guarded did not happen), so the next attempt may run."""
    await session.execute(delete(t.slack_replays).where(t.slack_replays.c.key == key))


@dataclass(frozen=True)
class SqlSlackReplays:
    """The `dialogs.ports.SlackReplays` port over one unit of work's session."""

    session: AsyncSession
    dialect: str

    async def claim(self, key: str, *, now: datetime, expires_at: datetime) -> bool:
        return await claim(self.session, self.dialect, key, now=now, expires_at=expires_at)

    async def result_of(self, key: str) -> str | None:
        return await result_of(self.session, key)

    async def record_result(self, key: str, result: str) -> None:
        await record_result(self.session, key, result)

    async def release(self, key: str) -> None:
        await release(self.session, key)
