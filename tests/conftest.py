"""Shared fixtures: `database_url` / `database` on SQLite and on PostgreSQL.

PostgreSQL: one throwaway database per test session (migrated once, emptied before each
test, dropped at the end). If the server is unreachable the PostgreSQL tests fail, unless
MASHBOT_SKIP_POSTGRES=1. MASHBOT_TEST_POSTGRES_URL overrides the server URL.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import make_url, text

from storage.database import Database, make_engine
from storage.migrate import upgrade
from storage.tables import metadata, singleton_rows

T = TypeVar("T")
PG_SERVERS = ("postgresql://postgres@127.0.0.1:5432/postgres", "postgresql://root@127.0.0.1:5432/postgres")
PG_START_HINT = "start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on its own loop in a worker thread (safe from sync fixtures)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _pg_answers(url: str) -> bool:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure: try the next candidate
        return False
    finally:
        await engine.dispose()


async def _admin(server: str, sql: str) -> None:
    engine = make_engine(server, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def postgres_server() -> str:
    candidates = [os.environ["MASHBOT_TEST_POSTGRES_URL"]] if os.environ.get("MASHBOT_TEST_POSTGRES_URL") else PG_SERVERS
    for url in candidates:
        if run_async(_pg_answers(url)):
            return url
    if os.environ.get("MASHBOT_SKIP_POSTGRES") == "1":
        pytest.skip("PostgreSQL unreachable and MASHBOT_SKIP_POSTGRES=1")
    pytest.fail(f"PostgreSQL is not reachable (tried {', '.join(candidates)}); "
                f"{PG_START_HINT} — or set MASHBOT_SKIP_POSTGRES=1 to skip these tests", pytrace=False)


@pytest.fixture(scope="session")
def postgres_database(postgres_server: str) -> Iterator[str]:
    name = f"mashbot_test_{os.getpid()}_{secrets.token_hex(4)}"
    run_async(_admin(postgres_server, f'CREATE DATABASE "{name}"'))
    url = make_url(postgres_server).set(database=name).render_as_string(hide_password=False)
    try:
        run_async(upgrade(url))
        yield url
    finally:
        run_async(_admin(postgres_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "mashbot.db"
    run_async(upgrade(f"sqlite:///{path}"))
    return path


async def empty_postgres(url: str) -> None:
    """Truncate every table and put back the one-row tables the migration seeds."""
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            names = ", ".join(table.name for table in metadata.sorted_tables)
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY"))
            for table, row in singleton_rows():
                await conn.execute(table.insert().values(**row))
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: a fresh SQLite file, or the session's PostgreSQL database."""
    if request.param == "sqlite":
        path = tmp_path / "mashbot.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    run_async(empty_postgres(url))
    return url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    yield db
    await db.dispose()


@pytest.fixture
def pin_clock(monkeypatch: pytest.MonkeyPatch) -> Any:
    """`pin_clock(at)` sets the service's clock (`bootstrap.utc_now`, the one place it is read)
    to `at`: how tests make a command commit at another instant (`--now` only rehearses)."""
    from datetime import UTC, datetime

    from adapters import bootstrap

    def pin(at: datetime) -> None:
        instant = at.astimezone(UTC)
        monkeypatch.setattr(bootstrap, "utc_now", lambda: instant)

    return pin
