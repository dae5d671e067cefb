"""Engines and the Database handle: SQLite (aiosqlite) by default, PostgreSQL (asyncpg) by URL."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import URL, event, make_url, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import StaticPool

from bot.audit import DEVELOPMENT_KEY, AuditKey
from storage.repositories import RosterCache
from storage.snapshots import SnapshotStore
from storage.unit_of_work import SqlUnitOfWork

SQLITE_BUSY_TIMEOUT_MS = 15_000
# Execution option a read-only unit of work sets, so SQLite starts a deferred transaction.
READ_ONLY = "mashbot_read_only"
# What a unit of work raises when the database cannot answer (an edge then asks its caller to retry).
UNAVAILABLE: tuple[type[Exception], ...] = (SQLAlchemyError, OSError)

_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+pysqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+asyncpg",
}


def async_url(url: str | URL) -> URL:
    """Map a plain `sqlite:///x.db` or `postgresql://…` URL to its async driver."""
    parsed = make_url(url)
    parsed = parsed.set(drivername=_DRIVERS.get(parsed.drivername, parsed.drivername))
    if parsed.drivername == "postgresql+asyncpg" and "sslmode" in parsed.query:
        query = dict(parsed.query)
        query["ssl"] = query.pop("sslmode")  # asyncpg spells libpq's sslmode as ssl
        parsed = parsed.set(query=query)
    return parsed


def safe_url(url: str | URL) -> str:
    """The URL with its password hidden, for logs and error messages."""
    return make_url(url).render_as_string(hide_password=True)


def make_engine(url: str | URL, **kwargs: Any) -> AsyncEngine:
    """An async engine for `url`; SQLite gets WAL, foreign keys, a busy timeout and
    writer-first transactions (`BEGIN IMMEDIATE`), so one writer at a time claims work."""
    parsed = async_url(url)
    # Statement parameters hold case details; keep them out of error messages and logs.
    kwargs.setdefault("hide_parameters", True)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, **kwargs)
    kwargs.setdefault("pool_pre_ping", True)
    from storage.tables import describe_postgresql_indexes

    describe_postgresql_indexes()
    return create_async_engine(parsed, **kwargs)


def _sqlite_engine(url: URL, **kwargs: Any) -> AsyncEngine:
    if url.database in (None, "", ":memory:"):
        kwargs.setdefault("poolclass", StaticPool)
    engine = create_async_engine(url, **kwargs)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


class WriterQueue:
    """SQLite has one writer at a time. Writers of this process wait their turn here, before
    they take a pooled connection, instead of each holding one while SQLite's busy handler
    sleeps: otherwise twenty waiting writers empty the pool and a mere read (a stale press)
    queues behind them. Writers of other processes still meet at SQLite's lock."""

    def __init__(self) -> None:
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary())

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        # As long as SQLite itself would wait, then fail the same way a busy database does.
        async with asyncio.timeout(SQLITE_BUSY_TIMEOUT_MS / 1000):
            await lock.acquire()
        try:
            yield
        finally:
            lock.release()


class Database:
    """The engine, its session factory and the unit-of-work factory the core is given."""

    def __init__(self, url: str | URL, *, audit_key: AuditKey = DEVELOPMENT_KEY, **engine_kwargs: Any) -> None:
        self.url = async_url(url)
        self.audit_key = audit_key
        self.engine = make_engine(self.url, **engine_kwargs)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, class_=AsyncSession)
        self._roster_cache = RosterCache()
        self.snapshots = SnapshotStore()
        self._writers = WriterQueue() if self.dialect == "sqlite" else None

    @property
    def roster_cache(self) -> RosterCache:
        return self._roster_cache

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def uow(self, *, read_only: bool = False) -> SqlUnitOfWork:
        """A unit of work; on SQLite a writing one holds the single write lock until it ends,
        a `read_only` one reads a snapshot without blocking writers."""
        return SqlUnitOfWork(self.sessions, self.dialect, self._roster_cache,
                             execution_options={READ_ONLY: True} if read_only else None,
                             audit_key=self.audit_key,
                             snapshots=self.snapshots, writers=None if read_only else self._writers)

    def session(self) -> AsyncSession:
        """A bare session (use `async with`), for reads outside the ports, e.g. the audit check."""
        return self.sessions()

    async def ping(self, timeout: float = 5.0) -> None:
        """Raise unless the database answers `SELECT 1` within `timeout` seconds."""
        async with asyncio.timeout(timeout), self.engine.connect() as conn:
            await conn.execution_options(**{READ_ONLY: True})
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()

    def __repr__(self) -> str:
        return f"Database({safe_url(self.url)!r})"
