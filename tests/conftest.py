"""Shared fixtures: a real PostgreSQL per test run, migrated once, one rolled-back transaction per test.

With ``DATABASE_URL`` set the run creates a scratch database on that server; without it, an embedded
PostgreSQL starts in a temporary directory, as it would on a new user's machine.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from chronos import migrate
from chronos.database import drop_database, embedded_url, ensure_database, to_async_url
from chronos.settings import load_settings
from crm.db import UnitOfWork, create_engine, create_session_factory
from crm.models import Base

pytest_plugins = ["tests.bot.fixtures"]


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a fresh, empty database for this test run."""
    configured = load_settings().database.url
    name = f"chronos_test_{uuid.uuid4().hex[:10]}"
    if configured is not None:
        yield (
            make_url(to_async_url(configured.get_secret_value()))
            .set(database=name)
            .render_as_string(hide_password=False)
        )
    else:
        yield embedded_url(Path(tmp_path_factory.mktemp("pg")), name)


@pytest.fixture(scope="session")
async def database_url(server_url: str) -> AsyncIterator[str]:
    await ensure_database(server_url)
    await migrate.upgrade(server_url)
    yield server_url
    await drop_database(server_url)


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=5)
    yield engine
    await engine.dispose()


@pytest.fixture
async def session_factory(engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions joined to one outer transaction that is rolled back after the test.

    Service commits become savepoint releases, so services run unchanged and leave no trace.
    """
    async with engine.connect() as conn:
        outer = await conn.begin()
        yield async_sessionmaker(bind=conn, expire_on_commit=False, join_transaction_mode="create_savepoint")
        await outer.rollback()


@pytest.fixture
def uow(session_factory: async_sessionmaker[AsyncSession]) -> UnitOfWork:
    return UnitOfWork(session_factory)


@pytest.fixture
async def committing_session_factory(engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Real commits on a pool (for concurrent bot and job tests); every table is emptied afterwards."""
    yield create_session_factory(engine)
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
