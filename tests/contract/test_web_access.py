"""Emailed links and /web sessions in storage, on SQLite and PostgreSQL: a link is used once
even when two presses race, and a session lives only within its idle and absolute limits."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from storage import web_access
from storage.database import Database

NOW = datetime(2026, 12, 24, 10, 0, tzinfo=UTC)


def _link(token_hash: str = "h1", *, expires: timedelta = timedelta(days=1), purpose: str = "action",
          at: datetime = NOW) -> web_access.StoredLink:
    return web_access.StoredLink(token_hash, purpose, "ava.okafor", "CH-AAAAAA", 3, "accept", at, at + expires,
                                 None, None, None)


async def test_two_racing_presses_of_one_link_use_it_once(database: Database) -> None:
    async with database.uow() as uow:
        await web_access.add_link(uow.session, _link())
        await uow.commit()

    async def press() -> bool:
        async with database.uow() as uow:
            won = await web_access.use_link(uow.session, "h1", by="ava.okafor", now=NOW)
            await uow.commit()
            return won

    results = await asyncio.gather(press(), press(), press())
    assert sorted(results) == [False, False, True]
    async with database.uow(read_only=True) as uow:
        stored = await web_access.get_link(uow.session, "h1")
    assert stored is not None and stored.used_at == NOW and stored.used_by == "ava.okafor"
    assert (stored.reference, stored.version, stored.verb) == ("CH-AAAAAA", 3, "accept")


async def test_an_expired_link_cannot_be_used_and_a_released_one_can_again(database: Database) -> None:
    async with database.uow() as uow:
        await web_access.add_link(uow.session, _link("old", expires=timedelta(minutes=1)))
        await web_access.add_link(uow.session, _link("fresh"))
        await uow.commit()
    later = NOW + timedelta(minutes=2)
    async with database.uow() as uow:
        assert not await web_access.use_link(uow.session, "old", by="ava.okafor", now=later)
        assert await web_access.use_link(uow.session, "fresh", by="ava.okafor", now=later)
        await web_access.release_link(uow.session, "fresh")
        assert await web_access.use_link(uow.session, "fresh", by="ava.okafor", now=later)
        await uow.commit()


async def test_old_rows_are_pruned_and_sign_ins_are_counted_per_person(database: Database) -> None:
    async with database.uow() as uow:
        await web_access.add_link(uow.session, _link("ancient", at=NOW - timedelta(days=90)))
        await web_access.add_link(uow.session, _link("s1", purpose="sign_in"))
        await web_access.add_link(uow.session, _link("s2", purpose="sign_in"))
        await uow.commit()
    async with database.uow(read_only=True) as uow:
        assert await web_access.get_link(uow.session, "ancient") is None
        assert await web_access.sign_ins_since(uow.session, "ava.okafor", NOW - timedelta(minutes=15)) == 2


async def test_a_session_lives_within_its_idle_and_absolute_limits(database: Database) -> None:
    idle = timedelta(minutes=30)
    async with database.uow() as uow:
        await web_access.add_session(uow.session, web_access.StoredSession(
            "s", "ava.okafor", "c", NOW, NOW, NOW + timedelta(hours=8), None))
        await uow.commit()
    at = NOW
    for _ in range(23):  # seen every 20 minutes: alive until the 8 hours are up
        at += timedelta(minutes=20)
        async with database.uow() as uow:
            assert await web_access.live_session(uow.session, "s", now=at, idle=idle) is not None
            await uow.commit()
    async with database.uow() as uow:
        assert await web_access.live_session(uow.session, "s", now=NOW + timedelta(hours=8), idle=idle) is None
        assert await web_access.live_session(uow.session, "s", now=at + timedelta(minutes=31), idle=idle) is None
        await web_access.end_session(uow.session, "s", at)
        assert await web_access.live_session(uow.session, "s", now=at + timedelta(minutes=1), idle=idle) is None
