"""The models and the migrations describe the same schema, and every migration reverses cleanly."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from typer.testing import CliRunner

from chronos import migrate
from chronos.cli import app
from chronos.database import drop_database, ensure_database
from chronos.settings import get_settings
from crm.models import Base


@pytest.fixture
async def scratch_url(server_url: str) -> AsyncIterator[str]:
    url = make_url(server_url).set(database=f"chronos_mig_{uuid.uuid4().hex[:8]}")
    rendered = url.render_as_string(hide_password=False)
    await ensure_database(rendered)
    yield rendered
    await drop_database(rendered)


def _diff(sync_conn: Connection) -> list[object]:
    context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def _table_names(url: str) -> set[str]:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
            return {row[0] for row in rows}
    finally:
        await engine.dispose()


async def test_models_match_migrations(database_url: str) -> None:
    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(_diff)
    finally:
        await engine.dispose()
    assert diff == [], f"models and migrations differ; write a migration: {diff}"


async def test_round_trip_upgrade_downgrade_upgrade(scratch_url: str) -> None:
    await migrate.upgrade(scratch_url)
    assert set(Base.metadata.tables) <= await _table_names(scratch_url)
    await migrate.downgrade(scratch_url, "base")
    assert await _table_names(scratch_url) == {"alembic_version"}
    await migrate.upgrade(scratch_url)
    assert set(Base.metadata.tables) <= await _table_names(scratch_url)
    assert "(head)" in await migrate.current(scratch_url)


def test_any_command_on_an_empty_database_migrates_it_first(
    server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh data directory or a database an upgrade left behind: `chronos …` works, no traceback."""
    url = make_url(server_url).set(database=f"chronos_fresh_{uuid.uuid4().hex[:8]}")
    rendered = url.render_as_string(hide_password=False)
    asyncio.run(ensure_database(rendered))
    try:
        monkeypatch.setenv("DATABASE_URL", rendered)
        get_settings.cache_clear()
        result = CliRunner().invoke(app, ["campaigns", "list", "--json"])
        assert result.exit_code == 0, result.output
        assert result.stdout.strip() == "[]"
        assert "nudge_campaign" in asyncio.run(_table_names(rendered))
    finally:
        get_settings.cache_clear()
        asyncio.run(drop_database(rendered))


async def test_processes_starting_together_on_a_fresh_database_migrate_it_once(server_url: str) -> None:
    # Bot, scheduler and a CLI command started at the same moment: each creates the database if it is
    # missing and upgrades it; the second and third wait for the first and find it at head.
    url = make_url(server_url).set(database=f"chronos_race_{uuid.uuid4().hex[:8]}")
    rendered = url.render_as_string(hide_password=False)
    try:
        created = await asyncio.gather(*(ensure_database(rendered) for _ in range(3)))
        assert created.count(True) == 1
        await asyncio.gather(*(migrate.upgrade(rendered) for _ in range(3)))
        assert "(head)" in await migrate.current(rendered)
        assert set(Base.metadata.tables) <= await _table_names(rendered)
    finally:
        await drop_database(rendered)


_SCHEMA_QUERIES = {
    "column": """
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               pg_get_expr(d.adbin, d.adrelid)
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid AND c.relkind = 'r'
        JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relname <> 'alembic_version'
    """,
    "constraint": """
        SELECT c.relname, k.conname, pg_get_constraintdef(k.oid)
        FROM pg_constraint k
        JOIN pg_class c ON c.oid = k.conrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
        WHERE c.relname <> 'alembic_version'
    """,
    "index": """
        SELECT tablename, indexname, indexdef FROM pg_indexes
        WHERE schemaname = 'public' AND tablename <> 'alembic_version'
    """,
}
_FUNCTIONS = r"""
    SELECT p.proname, regexp_replace(pg_get_functiondef(p.oid), '\s+', ' ', 'g') FROM pg_proc p
    JOIN pg_namespace n ON n.oid = p.pronamespace AND n.nspname = 'public'
"""
_TRIGGERS = """
    SELECT c.relname, t.tgname, p.proname FROM pg_trigger t
    JOIN pg_class c ON c.oid = t.tgrelid
    JOIN pg_proc p ON p.oid = t.tgfoid
    JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
    WHERE NOT t.tgisinternal
"""


async def _catalog(url: str) -> dict[str, set[tuple[object, ...]]]:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            return {
                kind: {tuple(row) for row in (await conn.execute(text(query))).all()}
                for kind, query in _SCHEMA_QUERIES.items()
            } | {
                "trigger": {tuple(row) for row in (await conn.execute(text(_TRIGGERS))).all()},
                "function": {tuple(row) for row in (await conn.execute(text(_FUNCTIONS))).all()},
            }
    finally:
        await engine.dispose()


async def test_migrated_schema_equals_the_models_to_the_last_check_default_and_trigger(
    server_url: str,
) -> None:
    """Column types are not enough: CHECK constraints, server defaults, indexes (expression and partial
    ones included) and the triggers the design relies on must be what the models declare."""
    urls = []
    for label in ("migrated", "declared"):
        url = make_url(server_url).set(database=f"chronos_{label}_{uuid.uuid4().hex[:8]}")
        urls.append(url.render_as_string(hide_password=False))
        await ensure_database(urls[-1])
    migrated_url, declared_url = urls
    try:
        await migrate.upgrade(migrated_url)
        engine = create_async_engine(declared_url, poolclass=NullPool)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(Base.metadata.create_all)
        finally:
            await engine.dispose()
        migrated, declared = await _catalog(migrated_url), await _catalog(declared_url)
    finally:
        for url in urls:
            await drop_database(url)

    assert {name for _, name, _ in migrated["trigger"]} >= {
        "ticket_status_transition",
        "representative_telegram_user_id_one_person",
        "crt_agent_telegram_user_id_one_person",
    }
    for kind in ("column", "constraint", "index", "trigger", "function"):
        only_migrated = sorted(migrated[kind] - declared[kind], key=str)
        only_declared = sorted(declared[kind] - migrated[kind], key=str)
        assert (only_migrated, only_declared) == ([], []), f"{kind}: migrations vs models differ"
