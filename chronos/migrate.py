"""Alembic, driven from code: `chronos db upgrade|downgrade|current` and start-up migration."""

from __future__ import annotations

import io
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

import migrations

MIGRATIONS_DIR = Path(migrations.__file__).parent
MIGRATION_LOCK = 0x4D494752  # "MIGR": one schema change at a time, across processes
_CHANGES_SCHEMA = frozenset({"upgrade", "downgrade"})


def alembic_config(url: str, output: io.StringIO | None = None) -> Config:
    config = Config(stdout=output) if output is not None else Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def _with_connection(url: str, action: str, revision: str, output: io.StringIO | None) -> None:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            if action in _CHANGES_SCHEMA:
                # Bot and scheduler starting together on a fresh database: the second waits here,
                # then finds the schema at head (the lock ends with the migration's transaction).
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            await conn.run_sync(_run, url, action, revision, output)
    finally:
        await engine.dispose()


def _run(sync_conn: object, url: str, action: str, revision: str, output: io.StringIO | None) -> None:
    config = alembic_config(url, output)
    config.attributes["connection"] = sync_conn
    if action == "upgrade":
        command.upgrade(config, revision)
    elif action == "downgrade":
        command.downgrade(config, revision)
    elif action == "revision":
        command.revision(config, message=revision, autogenerate=True)
    elif action == "current":
        command.current(config, verbose=False)
    else:
        raise ValueError(action)


async def upgrade(url: str, revision: str = "head") -> None:
    await _with_connection(url, "upgrade", revision, None)


async def downgrade(url: str, revision: str) -> None:
    await _with_connection(url, "downgrade", revision, None)


async def current(url: str) -> str:
    output = io.StringIO()
    await _with_connection(url, "current", "", output)
    return output.getvalue().strip()


async def upgrade_on(conn: AsyncConnection, url: str, revision: str = "head") -> None:
    """Upgrade through an existing connection (tests migrate inside their own connection)."""
    await conn.run_sync(_run, url, "upgrade", revision, None)


async def autogenerate(url: str, message: str) -> None:
    """Developer tool: write a new revision file from the model diff (review it before committing)."""
    await _with_connection(url, "revision", message, None)
