"""Emailed links and /web sessions in `action_links` and `web_sessions`, shared by every replica.

A link is used with one UPDATE … WHERE used_at IS NULL, so of two presses racing on the same
link exactly one wins. Rows past their expiry are pruned as new ones are written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import tables as t
from storage.repositories import _rowcount

# Used and expired rows are kept a while, so a late press still hears "already used by … at …".
KEPT_AFTER_EXPIRY = timedelta(days=30)


@dataclass(frozen=True)
class StoredLink:
    token_hash: str
    purpose: str
    person_id: str
    reference: str | None
    version: int | None
    verb: str | None
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    used_by: str | None
    result: str | None


@dataclass(frozen=True)
class StoredSession:
    id_hash: str
    person_id: str
    csrf: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ended_at: datetime | None


async def add_link(session: AsyncSession, link: StoredLink) -> None:
    links = t.action_links
    await session.execute(delete(links).where(links.c.expires_at < link.created_at - KEPT_AFTER_EXPIRY))
    await session.execute(insert(links).values(
        token_hash=link.token_hash, purpose=link.purpose, person_id=link.person_id, reference=link.reference,
        version=link.version, verb=link.verb, created_at=link.created_at, expires_at=link.expires_at,
        used_at=None, used_by=None, result=None))


async def get_link(session: AsyncSession, token_hash: str) -> StoredLink | None:
    row = (await session.execute(select(t.action_links).where(t.action_links.c.token_hash == token_hash))).first()
    return StoredLink(**row._mapping) if row is not None else None


async def use_link(session: AsyncSession, token_hash: str, *, by: str, now: datetime) -> bool:
    """Mark an unused, unexpired link used; True only for the one call that did."""
    c = t.action_links.c
    result = await session.execute(update(t.action_links).where(
        c.token_hash == token_hash, c.used_at.is_(None), c.expires_at > now).values(used_at=now, used_by=by))
    return _rowcount(result) == 1


async def release_link(session: AsyncSession, token_hash: str) -> None:
    """Give a use back (what it guarded did not happen: the person must correct their answers)."""
    c = t.action_links.c
    await session.execute(update(t.action_links).where(c.token_hash == token_hash).values(used_at=None, used_by=None))


async def record_result(session: AsyncSession, token_hash: str, result: str) -> None:
    c = t.action_links.c
    await session.execute(update(t.action_links).where(c.token_hash == token_hash).values(result=result[:500]))


async def sign_ins_since(session: AsyncSession, person_id: str, since: datetime) -> int:
    """Sign-in links made for a person since `since` (the per-address limit all replicas share)."""
    c = t.action_links.c
    found = await session.scalar(select(func.count()).select_from(t.action_links).where(
        c.person_id == person_id, c.purpose == "sign_in", c.created_at >= since))
    return int(found or 0)


# --- sessions -----------------------------------------------------------------------------


async def add_session(session: AsyncSession, stored: StoredSession) -> None:
    s = t.web_sessions
    await session.execute(delete(s).where(s.c.expires_at < stored.created_at - KEPT_AFTER_EXPIRY))
    await session.execute(insert(s).values(
        id_hash=stored.id_hash, person_id=stored.person_id, csrf=stored.csrf, created_at=stored.created_at,
        last_seen_at=stored.last_seen_at, expires_at=stored.expires_at, ended_at=None))


async def live_session(session: AsyncSession, id_hash: str, *, now: datetime, idle: timedelta) -> StoredSession | None:
    """The session if it has not ended, is within its absolute limit and was seen within `idle`;
    it is then marked seen now."""
    s = t.web_sessions
    row = (await session.execute(select(s).where(and_(
        s.c.id_hash == id_hash, s.c.ended_at.is_(None), s.c.expires_at > now,
        s.c.last_seen_at > now - idle)))).first()
    if row is None:
        return None
    await session.execute(update(s).where(s.c.id_hash == id_hash).values(last_seen_at=now))
    return StoredSession(**row._mapping)


async def end_session(session: AsyncSession, id_hash: str, now: datetime) -> None:
    s = t.web_sessions
    await session.execute(update(s).where(s.c.id_hash == id_hash, s.c.ended_at.is_(None)).values(ended_at=now))
