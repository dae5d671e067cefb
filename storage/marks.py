"""What the scheduler records in `scheduler_marks`, so no replica does a thing twice and
every replica can see when the last tick succeeded.

Keys: ("digest", "<person id>|<local date>") claimed by insert-unique before a digest is
queued; ("tick", "last_success") overwritten after each successful tick.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import tables as t

if TYPE_CHECKING:
    from storage.unit_of_work import SqlUnitOfWork

DIGEST = "digest"
TICK = "tick"
LAST_SUCCESS = "last_success"


def digest_key(person_id: str, day: date) -> str:
    return f"{person_id}|{day.isoformat()}"


async def last_digests(session: AsyncSession) -> dict[str, datetime]:
    """Each person's latest digest time (their "since" for the next one)."""
    c = t.scheduler_marks.c
    rows = await session.execute(select(c.key, c.done_at).where(c.name == DIGEST))
    latest: dict[str, datetime] = {}
    for key, done_at in rows:
        person_id = key.rpartition("|")[0]
        if person_id and (person_id not in latest or done_at > latest[person_id]):
            latest[person_id] = done_at
    return latest


async def last_tick(session: AsyncSession) -> datetime | None:
    c = t.scheduler_marks.c
    return await session.scalar(select(c.done_at).where(c.name == TICK, c.key == LAST_SUCCESS))


@dataclass(frozen=True)
class CommittedMarks:
    """dialogs.ports.Marks for a channel: each claim is its own committed unit of work, so the
    caller never holds a session and a claim counts even if what follows fails."""

    uow: Callable[[], SqlUnitOfWork]

    async def claim(self, name: str, key: str, now: datetime) -> bool:
        async with self.uow() as uow:
            first = await uow.marks.claim(name, key, now)
            await uow.commit()
        return first
