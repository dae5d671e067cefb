"""A signed Slack request is accepted once, whichever replica gets it and across a restart:
the seen signatures are in the shared database, not in one process's memory."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from storage import slack_replays as replays
from storage import tables as t
from storage.database import Database
from tests.demo import demo_database
from tests.slack.conftest import INTAKE, TARA, Workspace, open_workspace, state_of
from tests.slack.fake_slack import FakeSlack


@pytest.fixture
async def shared_url(database_url: str) -> str:
    """One database (SQLite file or PostgreSQL) with the demo roster, for several replicas."""
    return await demo_database(database_url)


@asynccontextmanager
async def replica(url: str, fake: FakeSlack) -> AsyncIterator[Workspace]:
    workspaces = open_workspace(url, fake)
    ws = await anext(workspaces)
    try:
        yield ws
    finally:
        await workspaces.aclose()


async def intake_body(ws: Workspace) -> str:
    """The signed-to-be body of a filled-in intake form, as Slack posts it on Submit."""
    assert (await ws.command(TARA)).status == 200
    await ws.fake.wait_for(lambda: ws.fake.called("views.open"))
    view = ws.opened_view()
    return urlencode({"payload": json.dumps({
        "type": "view_submission", "user": {"id": TARA, "team_id": "T0TEST"}, "team": {"id": "T0TEST"},
        "api_app_id": "A0TEST", "view": {"id": "V9", "type": "modal", "callback_id": view["callback_id"],
                                         "private_metadata": "", "blocks": view["blocks"],
                                         "state": {"values": state_of(view, INTAKE)}}})})


async def challenges(url: str) -> int:
    database = Database(url)
    try:
        async with database.uow(read_only=True) as uow:
            return int(await uow.session.scalar(select(func.count()).select_from(t.challenges)) or 0)
    finally:
        await database.dispose()


async def test_an_intake_replayed_to_another_replica_or_after_a_restart_is_refused(
        shared_url: str, fake: FakeSlack) -> None:
    ts = str(int(time.time()))
    async with replica(shared_url, fake) as a, replica(shared_url, fake) as b:
        body = await intake_body(a)
        first = await a.post(body, ts=ts)
        assert first.status == 200 and (await first.json())["response_action"] == "update"
        again = await b.post(body, ts=ts)  # the same signed bytes, to the other replica
        assert again.status == 401
    async with replica(shared_url, fake) as restarted:
        assert (await restarted.post(body, ts=ts)).status == 401
    assert await challenges(shared_url) == 1


async def test_two_replicas_racing_on_one_signature_accept_it_once(shared_url: str, fake: FakeSlack) -> None:
    ts = str(int(time.time()))
    async with replica(shared_url, fake) as a, replica(shared_url, fake) as b:
        body = await intake_body(a)
        answers = await asyncio.gather(*(ws.post(body, ts=ts) for ws in (a, b, a, b)))
        assert sorted(r.status for r in answers) == [200, 401, 401, 401]
    assert await challenges(shared_url) == 1


async def test_seen_signatures_are_pruned_once_their_window_has_passed(database: Database) -> None:
    now = datetime(2026, 12, 24, 10, 0, tzinfo=UTC)
    async with database.uow() as uow:
        assert await replays.claim(uow.session, database.dialect, "sig:old", now=now,
                                   expires_at=now + timedelta(minutes=5))
        assert not await replays.claim(uow.session, database.dialect, "sig:old", now=now + timedelta(minutes=4),
                                       expires_at=now + timedelta(minutes=9))
        later = now + timedelta(minutes=6)
        assert await replays.claim(uow.session, database.dialect, "sig:new", now=later,
                                   expires_at=later + timedelta(minutes=5))
        await uow.commit()
    async with database.uow(read_only=True) as uow:
        keys = set(await uow.session.scalars(select(t.slack_replays.c.key)))
    assert keys == {"sig:new"}
