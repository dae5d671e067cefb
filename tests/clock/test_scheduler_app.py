"""The scheduler inside the aiohttp app: a real tick on a tiny interval, /healthz, /metrics,
a clean stop that lets a running tick finish."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from adapters import bootstrap
from adapters.scheduler import Clockwork, build_dispatcher
from adapters.web import CLOCKWORK, create_app
from bot.commands import RaiseChallenge
from bot.handlers import TickReport
from storage.database import Database
from storage.marks import last_tick
from tests.clock.support import core, import_roster, settings

TICK = "0.2"
WAIT = 10.0  # upper bound for any poll; the polls return as soon as the condition holds


@asynccontextmanager
async def serving(service: bootstrap.Service) -> AsyncIterator[tuple[str, web.Application]]:
    app = create_app(service, scheduler=True)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}", app
    finally:
        await runner.cleanup()


async def poll(fetch: Callable[[], Awaitable[Any]], done: Callable[[Any], bool]) -> Any:
    deadline = time.monotonic() + WAIT
    while True:
        value = await fetch()
        if done(value) or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.05)


async def get(session: aiohttp.ClientSession, url: str) -> tuple[int, Any]:
    async with session.get(url) as response:
        body = await (response.json() if response.content_type == "application/json" else response.text())
        return response.status, body


async def raise_overdue(database_url: str) -> str:
    """A challenge raised ten days ago (real clock), long past its first limit."""
    database = Database(database_url)
    try:
        await import_roster(database)
        result = await core(database).raise_challenge(RaiseChallenge(
            actor_id="practitioner", case_reference="LCS123456", area="East", decision_challenged="Level 2",
            requested_outcome="Level 3", reason_category="level_of_need", reason_text="Fictional reason."),
            bootstrap.utc_now() - timedelta(days=10))
        assert result.challenge is not None
        return result.challenge.reference
    finally:
        await database.dispose()


async def test_a_tick_runs_in_the_app_and_healthz_and_metrics_report_it(database_url: str) -> None:
    reference = await raise_overdue(database_url)
    service = bootstrap.build(settings(database_url, MASHBOT_TICK_SECONDS=TICK))
    async with serving(service) as (base, app), aiohttp.ClientSession() as http:
        status, body = await poll(lambda: get(http, f"{base}/healthz"), lambda r: r[1].get("last_tick"))
        assert status == 200 and body["scheduler"] == "running"
        # the raise's messages have waited ten days with nothing to send them: degraded, still 200
        assert body["status"] == "degraded" and body["outbox"]["stuck"] >= 1
        assert datetime.fromisoformat(body["last_tick"]) <= bootstrap.utc_now()
        async with service.database.uow(read_only=True) as uow:
            kinds = [e.kind for e in await uow.events.for_challenge(reference)]
        assert "escalated_timeout" in kinds  # the scheduler's tick applied the overdue limit
        async with service.database.uow(read_only=True) as uow:
            assert await last_tick(uow.session) is not None  # other processes can see it too
        status, text = await get(http, f"{base}/metrics")
        assert status == 200
        assert 'mashbot_challenges{state="open"} 1.0' in text
        assert "mashbot_challenges_overdue" in text and "mashbot_outbox_backlog" in text
        assert 'mashbot_ticks_total{result="ok"}' in text
        count = next(line for line in text.splitlines() if line.startswith("mashbot_tick_duration_seconds_count"))
        assert float(count.split()[-1]) >= 1
        assert "LCS123456" not in text and "Fictional" not in text
        clockwork = app[CLOCKWORK]
    assert clockwork.scheduler is None  # stopped with the app
    leftovers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
    assert not [t for t in leftovers if "job" in repr(t.get_coro())]


PARAMETERS = "LCS123456" + "-" + "pw-8f3kq"  # built, so the raise line itself lacks it


class StuckTick:
    """A core whose tick always fails (say the database rejects the sweep)."""

    async def tick(self, now: datetime, batch: int = 200) -> TickReport:
        raise RuntimeError(f"statement failed: [parameters: {PARAMETERS}]")


async def test_healthz_is_503_when_the_tick_is_late(database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    service = bootstrap.build(settings(database_url, MASHBOT_TICK_SECONDS="0.1"))
    service.mashbot = StuckTick()  # type: ignore[assignment]
    async with serving(service) as (base, _), aiohttp.ClientSession() as http:
        status, body = await poll(lambda: get(http, f"{base}/healthz"), lambda r: r[0] == 503)
    assert status == 503 and body["status"] == "unhealthy"
    assert body["tick"] == "tick late (last error: RuntimeError)" and body["database"] == "ok"
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("mashbot"))
    assert "tick failed: RuntimeError" in ours
    assert "LCS123456" not in ours and "pw-8f3kq" not in ours


class SlowTick:
    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.finished = False
        self.cancelled = False

    async def tick(self, now: datetime, batch: int = 200) -> TickReport:
        self.started.set()
        try:
            await asyncio.sleep(0.3)
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        self.finished = True
        return TickReport()


async def test_stopping_the_app_lets_a_running_tick_finish(database_url: str) -> None:
    service = bootstrap.build(settings(database_url, MASHBOT_TICK_SECONDS="5"))
    slow = SlowTick()
    service.mashbot = slow  # type: ignore[assignment]
    async with serving(service):
        await asyncio.wait_for(slow.started.wait(), WAIT)  # the tick at start-up
    assert slow.finished and not slow.cancelled


class Ticking:
    def __init__(self) -> None:
        self.calls = 0

    async def tick(self, now: datetime, batch: int = 200) -> TickReport:
        self.calls += 1
        return TickReport()


async def test_health_follows_the_last_successful_tick(database_url: str) -> None:
    service = bootstrap.build(settings(database_url))
    service.mashbot = Ticking()  # type: ignore[assignment]
    now = [1000.0]
    clockwork = Clockwork(service, build_dispatcher(service), tick_seconds=30, monotonic=lambda: now[0])
    try:
        assert clockwork.health().detail == "scheduler not running"
        clockwork.start()
        clockwork.scheduler.pause()  # type: ignore[union-attr]  # drive the jobs by hand
        assert clockwork.health().ok and clockwork.health().detail == "starting"
        now[0] += 91
        assert not clockwork.health().ok and clockwork.health().detail == "tick late"
        await clockwork.tick()
        assert clockwork.health().ok and clockwork.health().last_tick is not None
        now[0] += 89
        assert clockwork.health().ok
        now[0] += 2
        assert not clockwork.health().ok
    finally:
        await clockwork.stop()
        await service.close()


async def test_a_second_tick_while_one_runs_is_skipped(database_url: str) -> None:
    service = bootstrap.build(settings(database_url))
    slow = SlowTick()
    service.mashbot = slow  # type: ignore[assignment]
    clockwork = Clockwork(service, build_dispatcher(service))
    try:
        first = asyncio.create_task(clockwork.tick())
        await slow.started.wait()
        assert await clockwork.tick() is None
        assert isinstance(await first, TickReport)
    finally:
        await service.close()
