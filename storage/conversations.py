"""Conversation-reference queries a chat channel needs beyond `SqlConversationRefs` get/put:
who a chat user is (a user matched by email once is known by their chat id afterwards),
forgetting a reference when the app is removed, and the newest reference (where a channel
finds its service address to open a new 1:1 chat)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import tables as t

if TYPE_CHECKING:
    from storage.repositories import SqlConversationRefs


def _json_fragment(value: str) -> str:
    """How `value` appears inside stored JSON (quotes and escapes included)."""
    return json.dumps(value)


async def person_for_chat_user(session: AsyncSession, channel: str, user_id: str,
                               user_of: Callable[[str], str | None]) -> str | None:
    """The roster person id whose stored reference on `channel` is for chat user `user_id`.

    `user_of(ref_text)` returns the chat user id a stored reference is for (the channel's
    own format); the LIKE only narrows the rows, the comparison is exact."""
    c = t.conversation_refs.c
    rows = await session.execute(
        select(c.person_id, c.ref)
        .where(c.channel == channel, c.ref.contains(_json_fragment(user_id), autoescape=True))
        .order_by(c.updated_at.desc()))
    for person_id, ref in rows:
        if user_of(ref) == user_id:
            return str(person_id)
    return None


async def forget(session: AsyncSession, person_id: str, channel: str) -> bool:
    """Drop a person's reference on a channel (the app was removed); True when there was one."""
    c = t.conversation_refs.c
    result = await session.execute(
        delete(t.conversation_refs).where(c.person_id == person_id, c.channel == channel))
    return bool(getattr(result, "rowcount", 0))


async def newest(session: AsyncSession, channel: str) -> str | None:
    """The most recently saved reference on a channel (any person), or None."""
    c = t.conversation_refs.c
    return await session.scalar(
        select(c.ref).where(c.channel == channel).order_by(c.updated_at.desc()).limit(1))


async def people_with_reference(session: AsyncSession, channel: str) -> set[str]:
    """Everyone mashbot can reach on `channel` through a stored reference."""
    c = t.conversation_refs.c
    return set(await session.scalars(select(c.person_id).where(c.channel == channel)))


class SqlConversations:
    """dialogs.ports.Conversations on one session: get/put (SqlConversationRefs) and the queries above."""

    def __init__(self, refs: SqlConversationRefs, session: AsyncSession) -> None:
        self._refs, self._session = refs, session

    async def get(self, person_id: str, channel: str) -> str | None:
        return await self._refs.get(person_id, channel)

    async def put(self, person_id: str, channel: str, ref: str, now: datetime) -> None:
        await self._refs.put(person_id, channel, ref, now)

    async def forget(self, person_id: str, channel: str) -> bool:
        return await forget(self._session, person_id, channel)

    async def newest(self, channel: str) -> str | None:
        return await newest(self._session, channel)

    async def person_for_user(self, channel: str, user_id: str, user_of: Callable[[str], str | None]) -> str | None:
        return await person_for_chat_user(self._session, channel, user_id, user_of)
