from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from storage.database import Database
from tests.clock.support import import_roster


@pytest.fixture
async def roster_db(database: Database) -> AsyncIterator[Database]:
    """The migrated, empty database (SQLite and PostgreSQL) with the test roster imported."""
    await import_roster(database)
    yield database
