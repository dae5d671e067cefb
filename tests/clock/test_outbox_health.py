"""Failed and stuck messages are visible: /healthz says "degraded" (still 200, so a load
balancer keeps the replica), /metrics counts them; `mashbot outbox retry` clears them."""

from __future__ import annotations

from datetime import timedelta

import aiohttp

from adapters import bootstrap
from storage.database import Database
from tests.clock.support import import_roster, settings
from tests.clock.test_dispatcher import nudge, queue
from tests.clock.test_scheduler_app import get, serving


async def _fail_first(database: Database) -> None:
    async with database.uow() as uow:
        await uow.outbox.mark_failed(1, "gave up after 9 attempt(s): SMTP 451 (SMTPDataError)", None)
        await uow.commit()


async def test_healthz_and_metrics_count_failed_and_stuck_messages(database_url: str) -> None:
    service = bootstrap.build(settings(database_url))
    await import_roster(service.database)
    now = bootstrap.utc_now()
    await queue(service.database, nudge("team-manager"), at=now - timedelta(hours=2))  # will fail
    await queue(service.database, nudge("senior-manager"), at=now - timedelta(minutes=20))  # stuck
    await queue(service.database, nudge("senior-manager"), at=now - timedelta(minutes=1))  # just queued
    await _fail_first(service.database)
    async with serving(service) as (base, _app), aiohttp.ClientSession() as http:
        status, body = await get(http, f"{base}/healthz")
        assert status == 200
        assert body["status"] == "degraded" and body["outbox"] == {"failed": 1, "stuck": 1}
        assert body["database"] == "ok"
        status, text = await get(http, f"{base}/metrics")
        assert "mashbot_outbox_failed 1.0" in text and "mashbot_outbox_stuck 1.0" in text
        async with service.database.uow() as uow:  # what `mashbot outbox retry --all-failed` does
            from storage.outbox_admin import retry

            assert await retry(uow.session, bootstrap.utc_now()) == [1]
            await uow.commit()
        status, body = await get(http, f"{base}/healthz")
        assert status == 200 and body["outbox"] == {"failed": 0, "stuck": 1}


async def test_a_healthy_outbox_is_ok(database_url: str) -> None:
    service = bootstrap.build(settings(database_url))
    await import_roster(service.database)
    async with serving(service) as (base, _app), aiohttp.ClientSession() as http:
        status, body = await get(http, f"{base}/healthz")
        assert status == 200 and body["status"] == "ok" and body["outbox"] == {"failed": 0, "stuck": 0}
