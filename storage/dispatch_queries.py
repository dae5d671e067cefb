"""Read-only queries the digest, the metrics and the dispatcher need beyond the repositories."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.challenge import ACTIVE_STATES, UNDECIDED_STATES
from storage import tables as t

_ACTIVE = sorted(s.value for s in ACTIVE_STATES)
_UNDECIDED = sorted(s.value for s in UNDECIDED_STATES)


async def challenge_counts(session: AsyncSession) -> dict[str, int]:
    """Challenges per state."""
    c = t.challenges.c
    rows = await session.execute(select(c.state, func.count()).group_by(c.state))
    return {state: int(n) for state, n in rows}


async def overdue_count(session: AsyncSession, now: datetime) -> int:
    """Undecided challenges past their due time, or flagged breached."""
    c = t.challenges.c
    query = select(func.count()).select_from(t.challenges).where(
        c.state.in_(_UNDECIDED), or_(c.breached.is_(True), c.due_at <= now))
    return int(await session.scalar(query) or 0)


async def outbox_waiting(session: AsyncSession) -> int:
    """Pending outbox rows (the backlog), due or not."""
    o = t.outbox.c
    return int(await session.scalar(select(func.count()).select_from(t.outbox).where(o.status == "pending")) or 0)
