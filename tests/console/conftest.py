"""Fixtures for the console tests: a migrated SQLite database with the demo roster, and a
service whose clock is pinned to Thu 24 Dec 2026 10:00 London (Christmas, Boxing Day's
substitute and New Year's Day are bank holidays in the next working week)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters import bootstrap
from tests.demo import import_demo_roster
from adapters.settings import Settings
from storage.migrate import upgrade

LONDON = ZoneInfo("Europe/London")
START = datetime(2026, 12, 24, 10, 0, tzinfo=LONDON)
CREDENTIAL_VARS = ("MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")

GOOD_INTAKE = {
    "case_reference": "LCS123456",
    "area": "East",
    "raised_by": "professional",
    "agency": "Police — Public Protection Unit",
    "decision_challenged": "Level 2 – Additional support",
    "requested_outcome": "A Child and Family assessment",
    "reason_category": "level_of_need",
    "reason_text": "Repeated missing episodes were not weighed.",
}


def make_settings(url: str, **extra: Any) -> Settings:
    """Settings for a test: no .env file, the given database, Lancashire, `extra` by env name."""
    return Settings(_env_file=None, MASHBOT_DATABASE_URL=url, MASHBOT_POLICY="lancashire", **extra)


def pin(service: bootstrap.Service, at: datetime) -> None:
    """Make the service's now read `at` (the demo clock's offset, from the real clock)."""
    service.clock_offset = at - bootstrap.utc_now()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No channel credentials, console switch or stray .env from the developer's shell."""
    for name in (*CREDENTIAL_VARS, "MASHBOT_CONSOLE", "MASHBOT_DEMO", "MASHBOT_TEAMS_LOCAL", "MASHBOT_HOST",
                 "MASHBOT_DATABASE_URL", "MASHBOT_POLICY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
async def db_url(tmp_path: Path) -> str:
    """A migrated SQLite database holding the demo roster."""
    url = f"sqlite:///{tmp_path / 'console.db'}"
    await upgrade(url)
    service = bootstrap.build(make_settings(url))
    try:
        await import_demo_roster(service)
    finally:
        await service.close()
    return url


@dataclass
class Console:
    client: TestClient
    service: bootstrap.Service

    async def act_as(self, person_id: str) -> str:
        response = await self.client.post("/act-as", data={"person": person_id, "next": "/"})
        assert response.status == 200, await response.text()
        return await response.text()

    async def raise_challenge(self, **overrides: str) -> str:
        """Raise as the current person; returns the new challenge's reference."""
        response = await self.client.post("/raise", data={**GOOD_INTAKE, **overrides})
        text = await response.text()
        assert response.status == 200, text
        assert response.url.path.startswith("/challenges/CH-"), text
        return response.url.path.rsplit("/", 1)[1]

    async def press(self, reference: str, verb: str, version: int | None = None, **values: str) -> str:
        """Press a card action as the current person; returns the page it lands on."""
        if version is None:
            version = (await self.challenge(reference)).version
        response = await self.client.post(f"/challenges/{reference}/{verb}",
                                          data={"version": str(version), "next": f"/challenges/{reference}",
                                                **values})
        assert response.status == 200, await response.text()
        return await response.text()

    async def challenge(self, reference: str) -> Any:
        async with self.service.database.uow(read_only=True) as uow:
            return await uow.challenges.get(reference)


def build_app(service: bootstrap.Service, host: str = "127.0.0.1") -> web.Application:
    from adapters.web import create_app

    return create_app(service, host=host)


@pytest.fixture
async def console(db_url: str) -> AsyncIterator[Console]:
    """The console app (as `make run` builds it: demo mode on 127.0.0.1) with a test client."""
    service = bootstrap.build(make_settings(db_url, MASHBOT_DEMO="1"))
    pin(service, START)
    async with TestClient(TestServer(build_app(service))) as client:
        yield Console(client, service)
