"""Alembic environment for mashbot (async engines: aiosqlite and asyncpg).

`storage.migrate.upgrade` hands over an open connection in `config.attributes["connection"]`;
the `alembic` command line instead builds an engine from `-x url=…` or MASHBOT_DATABASE_URL.
"""

from __future__ import annotations

import asyncio
import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from storage.database import make_engine

config = context.config


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or os.environ.get("MASHBOT_DATABASE_URL")
    if not url:
        raise SystemExit("No database URL: pass -x url=... or set MASHBOT_DATABASE_URL")
    return url


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=None, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_new_engine(url: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations_offline() -> None:
    context.configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    if config.config_file_name is not None:
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    asyncio.run(_run_with_new_engine(_url()))


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
