"""Run the Alembic migrations shipped inside this package, from any working directory."""

from __future__ import annotations

import re
from pathlib import Path

from typing import TYPE_CHECKING

from sqlalchemy import URL, text
from sqlalchemy.engine import Connection

from storage.database import make_engine

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic (and Mako) are imported by the functions that migrate, not by every command that
# merely imports this module: they are a large part of a CLI command's start-up.

HERE = Path(__file__).resolve().parent
# Any constant will do: it only has to be the same for every mashbot replica.
_PG_MIGRATION_LOCK = 0x6D617368  # "mash"


def alembic_config() -> Config:
    """The packaged alembic.ini with its script location made absolute."""
    from alembic.config import Config

    config = Config(str(HERE / "alembic.ini"))
    config.set_main_option("script_location", str(HERE / "migrations"))
    return config


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


_REVISION = re.compile(r'^revision: str = "([^"]+)"$', re.M)
_DOWN = re.compile(r'^down_revision: str \| None = (?:"([^"]+)"|None)$', re.M)


def _head_from_files() -> str | None:
    """The head revision read from the version files' text (no Alembic import); None when
    the files do not make one plain chain, and Alembic is then asked instead."""
    revisions, downs = set(), set()
    for path in (HERE / "migrations" / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        revision, down = _REVISION.search(text), _DOWN.search(text)
        if revision is None or down is None:
            return None
        revisions.add(revision.group(1))
        if down.group(1):
            downs.add(down.group(1))
    heads = revisions - downs
    return heads.pop() if len(heads) == 1 and downs <= revisions else None


async def _at(url: str | URL, revision: str) -> bool:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            found = await connection.execute(text("SELECT version_num FROM alembic_version"))
            return [row[0] for row in found] == [revision]
    except Exception:  # noqa: BLE001 - no table yet, or anything odd: let Alembic decide
        return False
    finally:
        await engine.dispose()


async def upgrade(url: str | URL, revision: str = "head") -> None:
    """`alembic upgrade head` on `url`, in one transaction; replicas starting together
    take turns (an advisory lock on PostgreSQL, the write lock on SQLite). A database already
    at the head is left as it is without loading Alembic."""
    head = _head_from_files() if revision == "head" else None
    if head is not None and await _at(url, head):
        return
    engine = make_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade, revision)
    finally:
        await engine.dispose()


async def current_revision(url: str | URL) -> str | None:
    """The revision the database is at (None when it was never migrated)."""
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision())
    finally:
        await engine.dispose()


def _upgrade(connection: Connection, revision: str) -> None:
    from alembic import command

    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)
