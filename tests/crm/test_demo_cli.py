"""`chronos demo seed` against the test database: seeds once, then refuses with a clear message."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from chronos.cli import app
from chronos.settings import get_settings


@pytest.fixture
def cli_database(
    database_url: str,
    committing_session_factory: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[None]:
    """Point the CLI at the test database; committing_session_factory empties the tables afterwards."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("cli_database")
def test_seed_then_refuse_when_not_empty() -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["demo", "seed", "--seed", "3", "--json"])
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)
    assert summary["seed"] == 3
    assert summary["representatives"] == 200
    assert summary["agents"] == 10
    assert summary["tiers"] == 3

    second = runner.invoke(app, ["demo", "seed"])
    assert second.exit_code == 1
    assert "refusing to seed" in second.output
    assert "already holds CRM data" in second.output
