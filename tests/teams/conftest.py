"""Fixtures for the Teams channel tests: a migrated SQLite database with the demo roster, the
app as `mashbot serve` builds it in local mode (MASHBOT_TEAMS_LOCAL=1: unauthenticated, loopback), a fake connector
for the service URL, and a dispatcher that sends through Teams (email as the fallback).

Time is pinned to Thu 24 Dec 2026 10:00 London."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters import bootstrap
from tests.demo import demo_database
from adapters.dispatcher import Dispatcher
from adapters.settings import Settings
from adapters.teams.lazy import teams_channel
from tests.conftest import run_async
from tests.teams.fake_connector import FakeConnector
from tests.teams.support import EVERYONE, START, FakeEmail, Teams

SECRET = "teams-test-secret"
ENV_VARS = ("MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD", "MICROSOFT_APP_TYPE", "MICROSOFT_APP_TENANT_ID",
            "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL", "MASHBOT_CONSOLE", "MASHBOT_HOST",
            "MASHBOT_DATABASE_URL", "MASHBOT_POLICY", "MASHBOT_SECRET", "MASHBOT_PUBLIC_URL",
            "MASHBOT_TEAMS_LOCAL", "MASHBOT_DEMO")
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No credentials or proxies from the developer's shell; loopback never goes via a proxy."""
    for name in (*ENV_VARS, *PROXY_VARS):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.chdir(tmp_path)


def make_settings(url: str, **extra: Any) -> Settings:
    return Settings(_env_file=None, MASHBOT_DATABASE_URL=url, MASHBOT_POLICY="lancashire",
                    MASHBOT_SECRET=SECRET, **extra)


@pytest.fixture(scope="session")
def teams_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated once, with the demo roster; each test gets a copy."""
    path = tmp_path_factory.mktemp("teams-template") / "teams.db"
    run_async(demo_database(f"sqlite:///{path}"))
    return path


@pytest.fixture
def db_url(tmp_path: Path, teams_template: Path) -> str:
    path = tmp_path / "teams.db"
    shutil.copyfile(teams_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    fake = FakeConnector(members={user.user_id: user.member() for user in EVERYONE
                                  if user.key not in ("tara", "ava", "ellen", "farid")})
    await fake.start()
    yield fake
    await fake.close()


def pin(service: bootstrap.Service) -> None:
    service.clock_offset = START - bootstrap.utc_now()


@pytest.fixture
async def teams(db_url: str, connector: FakeConnector) -> AsyncIterator[Teams]:
    """The whole app in local Teams mode; a dispatcher sending through its Teams sender."""
    from adapters.web import create_app

    service = bootstrap.build(make_settings(db_url, MASHBOT_TEAMS_LOCAL="1"))
    pin(service)
    app = create_app(service, host="127.0.0.1")
    email = FakeEmail()
    dispatcher = Dispatcher(service.database, email=email, chat=(teams_channel(app).sender,), clock=service.now,
                            jitter=0.0)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield Teams(client, service, connector, dispatcher, email)
