"""What the administrator (and /healthz, /metrics, the digest) can see of the outbox.

Only a row's envelope is read here -- kind, recipient, channel, attempts, last error,
times -- never its payload, which may hold case details.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import tables as t

# A message still pending this long after it was queued counts as stuck: a healthy
# dispatcher sends within seconds, and retries of a short outage finish well within it.
STUCK_AFTER = timedelta(minutes=15)
FAILED = "failed"
PENDING = "pending"


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    created_at: datetime
    kind: str
    recipient: str
    channel: str
    reference: str | None
    status: str
    attempts: int
    next_attempt_at: datetime | None
    sent_at: datetime | None
    last_error: str | None


_o = t.outbox.c
_COLUMNS = (_o.id, _o.created_at, _o.kind, _o.recipient, _o.channel, _o.reference, _o.status, _o.attempts,
            _o.next_attempt_at, _o.sent_at, _o.last_error)


async def entries(session: AsyncSession, *, status: str | None = None, limit: int = 200) -> list[OutboxEntry]:
    """The newest rows first (all statuses, or one)."""
    query = select(*_COLUMNS).order_by(_o.id.desc()).limit(limit)
    if status:
        query = query.where(_o.status == status)
    return [OutboxEntry(*row) for row in await session.execute(query)]


async def entry(session: AsyncSession, item_id: int) -> OutboxEntry | None:
    row = (await session.execute(select(*_COLUMNS).where(_o.id == item_id))).first()
    return OutboxEntry(*row) if row else None


async def retry(session: AsyncSession, now: datetime, *, item_id: int | None = None) -> list[int]:
    """Put failed rows (one, or all) back to be sent now, with a fresh retry window."""
    query = select(_o.id).where(_o.status == FAILED)
    if item_id is not None:
        query = query.where(_o.id == item_id)
    ids = list(await session.scalars(query.order_by(_o.id)))
    if ids:
        # created_at restarts the dispatcher's give-up window, or one more failure would
        # end the retried row at once.
        await session.execute(update(t.outbox).where(_o.id.in_(ids), _o.status == FAILED)
                              .values(status=PENDING, attempts=0, next_attempt_at=now, created_at=now))
    return ids


@dataclass(frozen=True)
class Trouble:
    failed: int
    stuck: int


async def trouble(session: AsyncSession, now: datetime) -> Trouble:
    """Messages given up on, and messages pending for longer than STUCK_AFTER."""
    failed = await session.scalar(select(func.count()).select_from(t.outbox).where(_o.status == FAILED))
    stuck = await session.scalar(select(func.count()).select_from(t.outbox)
                                 .where(_o.status == PENDING, _o.created_at <= now - STUCK_AFTER))
    return Trouble(int(failed or 0), int(stuck or 0))


async def undelivered(session: AsyncSession, since: datetime, limit: int = 50) -> list[OutboxEntry]:
    """Messages given up on since `since`, newest first (the digest's "could not be delivered")."""
    query = (select(*_COLUMNS).where(_o.status == FAILED, _o.created_at >= since)
             .order_by(_o.id.desc()).limit(limit))
    return [OutboxEntry(*row) for row in await session.execute(query)]


class SqlLiveCards:
    """dialogs.ports.LiveCards: which sent chat messages about a challenge are live cards
    (their external ids start with the channel's prefix, e.g. "slack:")."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def live_card(self, reference: str, person_id: str, prefix: str) -> str | None:
        o = t.outbox.c
        return await self._session.scalar(
            select(o.external_id).where(o.reference == reference, o.recipient == person_id, o.status == "sent",
                                        o.external_id.like(prefix + "%")).order_by(o.id.desc()).limit(1))

    async def holders(self, reference: str, prefix: str) -> list[str]:
        o = t.outbox.c
        return list(await self._session.scalars(select(o.recipient).distinct().where(
            o.reference == reference, o.status == "sent", o.external_id.like(prefix + "%"))))

    async def pending_chat(self, reference: str) -> list[str]:
        o = t.outbox.c
        return list(await self._session.scalars(select(o.recipient).distinct().where(
            o.reference == reference, o.status == PENDING, o.channel == "chat")))
