"""A replica killed (SIGKILL) while it holds claimed outbox rows: another replica sends them
within a minute, and not before the dead one's lease ran out. Two real dispatcher processes
on PostgreSQL: cron's `mashbot tick` stuck on a stalled SMTP server, and `mashbot serve`."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from adapters.dispatcher import DEFAULT_HEARTBEAT, DEFAULT_LEASE, Dispatcher, recovery_bound
from adapters.roster_files import demo_roster_path, load_roster_file
from adapters.scheduler import outbox_lease
from adapters.settings import Settings
from bot.challenge import Channel, Message
from storage import tables as t
from storage.database import Database
from tests.clock.smtp_server import smtp_server
from tests.conftest import empty_postgres

LEASE, HEARTBEAT, TICK = 2.0, 0.4, 1.0
RECIPIENTS = ("ava.okafor", "ben.hartley", "tara.nolan")


def test_the_default_lease_lets_a_survivor_send_within_a_minute() -> None:
    settings = Settings(_env_file=None)
    assert (settings.outbox_lease_seconds, settings.outbox_heartbeat_seconds) == (DEFAULT_LEASE, DEFAULT_HEARTBEAT)
    assert recovery_bound(settings.outbox_lease_seconds, settings.tick_seconds) <= 60
    # several heartbeats fit in a lease, so one slow renewal does not let a live claim lapse
    assert DEFAULT_LEASE >= 3 * DEFAULT_HEARTBEAT
    assert Dispatcher(database=None).lease == DEFAULT_LEASE  # type: ignore[arg-type]


def test_a_heartbeat_too_long_for_its_lease_is_shortened() -> None:
    settings = Settings(_env_file=None, MASHBOT_OUTBOX_LEASE_SECONDS=6, MASHBOT_OUTBOX_HEARTBEAT_SECONDS=5)
    assert outbox_lease(settings) == {"lease": 6, "heartbeat": 2}


@asynccontextmanager
async def stalled_smtp() -> AsyncIterator[list[int]]:
    """Accepts connections and never greets: a send hangs there (until its timeout)."""
    connections: list[int] = []
    writers: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        writers.append(writer)
        await reader.read()  # until the client goes away

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    connections.append(server.sockets[0].getsockname()[1])  # [port, 1, 1, ...]
    try:
        yield connections
    finally:
        for w in writers:
            w.close()
        server.close()


def _env(database_url: str, smtp_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "MICROSOFT_", "MASHBOT_")) and k.lower() not in ("http_proxy", "https_proxy")}
    env.update(MASHBOT_DATABASE_URL=database_url, MASHBOT_SMTP_URL=smtp_url, MASHBOT_POLICY="lancashire",
               MASHBOT_OUTBOX_LEASE_SECONDS=str(LEASE), MASHBOT_OUTBOX_HEARTBEAT_SECONDS=str(HEARTBEAT),
               MASHBOT_TICK_SECONDS=str(TICK), MASHBOT_CONSOLE="0", PYTHONUNBUFFERED="1",
               MASHBOT_AUDIT_KEY="replica-crash-test-audit-key")
    return env


async def _statuses(database: Database) -> list[tuple[str, int]]:
    async with database.uow(read_only=True) as uow:
        o = t.outbox.c
        return [(r.status, r.attempts) for r in await uow.session.execute(
            select(o.status, o.attempts).where(o.kind == "nudge").order_by(o.id))]


async def _wait_for(check: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await check():  # type: ignore[operator]
            return True
        await asyncio.sleep(0.2)
    return False


@pytest.mark.postgres
async def test_a_killed_replicas_claimed_messages_are_sent_by_another_within_a_minute(
        postgres_database: str, tmp_path: Path) -> None:
    await empty_postgres(postgres_database)
    database = Database(postgres_database)
    async with database.uow() as uow:
        await uow.people.replace(load_roster_file(demo_roster_path()), source="demo")
        await uow.outbox.add([Message(kind="nudge", to=who, reference="CH-00001", channel=Channel.EMAIL,
                                      data={"reference": "CH-00001", "area": "East", "stage_name": "Team Manager",
                                            "due": "Tue 5 Jan"}) for who in RECIPIENTS], datetime.now(UTC))
        await uow.commit()
    procs: list[asyncio.subprocess.Process] = []
    try:
        async with stalled_smtp() as stalled, smtp_server() as inbox:
            stuck_url = f"smtp://127.0.0.1:{stalled[0]}?timeout=120"
            # Replica A: cron's tick, whose dispatcher claims the three rows and hangs on the SMTP server.
            a = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "adapters.cli", "tick", cwd=tmp_path, env=_env(postgres_database, stuck_url),
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
            procs.append(a)

            async def a_holds_them() -> bool:
                return len(stalled) > 1 and await _statuses(database) == [("pending", 1)] * 3

            assert await _wait_for(a_holds_them, 60), await _statuses(database)
            # Replica B: a server ticking every second, with a working SMTP server.
            b = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "adapters.cli", "serve", "--port", "0", cwd=tmp_path,
                env=_env(postgres_database, inbox.url),
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
            procs.append(b)
            # While A lives, its heartbeat keeps the rows its own, lease after lease.
            await asyncio.sleep(4 * LEASE + 3)  # B is up and dispatching well before this ends
            assert await _statuses(database) == [("pending", 1)] * 3
            assert inbox.received == []

            a.send_signal(signal.SIGKILL)
            killed = time.monotonic()
            await a.wait()

            async def all_sent() -> bool:
                return await _statuses(database) == [("sent", 2)] * 3

            assert await _wait_for(all_sent, 60), await _statuses(database)
            took = time.monotonic() - killed
            assert took < 60
            print(f"recovered {len(RECIPIENTS)} messages {took:.1f}s after SIGKILL (lease {LEASE}s, tick {TICK}s)")
            assert took < recovery_bound(LEASE, TICK) + 5  # the lease, the survivor's next run, the sends
            assert sorted(rcpt for e in inbox.received for rcpt in e.rcpt_tos) == sorted(_emails(RECIPIENTS))
    finally:
        for p in procs:
            if p.returncode is None:
                p.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(p.wait(), 20)
                except TimeoutError:
                    p.kill()
                    await p.wait()
        await database.dispose()


def _emails(ids: tuple[str, ...]) -> list[str]:
    people = {p.id: p for p in load_roster_file(demo_roster_path())}
    return [people[i].email for i in ids]
