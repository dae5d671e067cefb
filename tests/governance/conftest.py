"""Fixtures for the governance tests: a generated quarter of 500 challenges on SQLite, made
once per session and copied for each test that changes it."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from bot.policy import Policy
from storage.database import Database
from tests.conftest import run_async
from tests.governance.quarter import Generator, Quarter, test_policy

REPORTED_AT = datetime(2026, 8, 3, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Generated:
    path: Path
    quarter: Quarter

    def copy(self, folder: Path) -> str:
        """A private copy of the generated database; its URL."""
        target = folder / "quarter.db"
        shutil.copyfile(self.path, target)
        return f"sqlite:///{target}"


async def generate(url: str, n: int, **kwargs: int) -> Quarter:
    database = Database(url)
    try:
        return await Generator(database, test_policy()).run(n, **kwargs)
    finally:
        await database.dispose()


@pytest.fixture(scope="session")
def quarter500(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Generated:
    """500 challenges raised Apr–Jun 2026 (and 37 complaints) driven through the core."""
    path = tmp_path_factory.mktemp("quarter500") / "quarter.db"
    shutil.copyfile(sqlite_template, path)
    quarter = run_async(generate(f"sqlite:///{path}", 500))
    for suffix in ("-wal", "-shm"):  # the last connection closed: everything is in the main file
        assert not Path(f"{path}{suffix}").exists() or Path(f"{path}{suffix}").stat().st_size == 0
    return Generated(path, quarter)


@pytest.fixture
def quarter_url(quarter500: Generated, tmp_path: Path) -> str:
    return quarter500.copy(tmp_path)


@pytest.fixture
async def quarter_db(quarter_url: str) -> AsyncIterator[Database]:
    database = Database(quarter_url)
    yield database
    await database.dispose()


@pytest.fixture(scope="session")
def policy_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test policy as a pack file (MASHBOT_POLICY accepts a path)."""
    path = tmp_path_factory.mktemp("policy") / "governance-test.yaml"
    path.write_text(yaml.safe_dump(test_policy().model_dump(mode="json"), sort_keys=False), encoding="utf-8")
    return path


def policy() -> Policy:
    return test_policy()
