"""`chronos reps` against the test database: money in JSON, Persian per --bidi, quiet logs."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from chronos.cli import app
from chronos.settings import get_settings
from crm.db import UnitOfWork
from crm.enums import Channel
from crm.schemas.activity import InteractionCreate
from crm.schemas.finance import PaymentCreate
from crm.schemas.types import Actor
from crm.services import finance, interactions
from tests.factories import make_rep, make_tier
from tests.test_cli_output import ROOT, cell_lines, drawn

NAME = "رضا رضایی"
SUMMARY = "اتصال کاربران ایرانسل از دیروز عصر قطع است"


@pytest.fixture
async def rep_code(
    database_url: str,
    committing_session_factory: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[str]:
    """One representative with a tier, a payment and an interaction, committed (emptied afterwards)."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    for name in ("CHRONOS_BIDI", "CHRONOS_LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    now = dt.datetime.now(dt.UTC)
    async with UnitOfWork(committing_session_factory) as uow:
        tier = await make_tier(uow)
        rep = await make_rep(uow, name=NAME, tier_code=tier.code)
        payment = PaymentCreate(
            reference="TRX-1", representative_id=rep.id, amount_toman=Decimal(2_400_000), paid_at=now
        )
        await finance.record_payment(uow, payment, Actor.cli())
        call = InteractionCreate(
            representative_id=rep.id,
            channel=Channel.CALL,
            occurred_at=now - dt.timedelta(days=1),
            summary=SUMMARY,
            source="test",
            idempotency_key="reps-cli-1",
        )
        await interactions.log(uow, call, Actor.cli())
    yield rep.code
    get_settings.cache_clear()


def show(*args: str, env: dict[str, str] | None = None) -> str:
    get_settings.cache_clear()  # settings are read once per process; `env` changes them
    result = CliRunner().invoke(app, [*args], env=env)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_json_money_is_plain_integers(rep_code: str) -> None:
    card = json.loads(show("reps", "show", rep_code, "--json"))
    assert card["payments"][0]["amount_toman"] == 2400000
    assert card["tier"]["monthly_price_toman"] == 1500000
    assert card["representative"]["full_name"] == NAME  # JSON is logical Unicode, never shaped
    listed = json.loads(show("--bidi", "on", "reps", "list", "--json"))
    assert [rep["full_name"] for rep in listed] == [NAME]


def test_persian_follows_the_bidi_choice(rep_code: str) -> None:
    piped = show("reps", "show", rep_code)  # auto: CliRunner's output is no terminal
    assert f"{rep_code} — {NAME}" in piped
    shaped = show("--bidi", "on", "reps", "show", rep_code)
    assert f"{rep_code} — {drawn(NAME)}" in shaped
    assert NAME not in shaped
    assert drawn(NAME) in show("reps", "show", rep_code, env={"CHRONOS_BIDI": "on"})
    assert NAME in show("--bidi", "off", "reps", "show", rep_code, env={"CHRONOS_BIDI": "on"})


def test_a_wrapped_summary_reads_from_its_first_line_down(rep_code: str) -> None:
    out = show("--bidi", "on", "reps", "show", rep_code, env={"COLUMNS": "64"})
    summary = [line for line in cell_lines(out.splitlines(), 4) if line]
    assert len(summary) >= 3  # the summary column wraps
    assert summary[0].endswith(drawn("اتصال"))
    assert summary[-1].startswith(drawn("است"))


def run_cli(*args: str, database_url: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CHRONOS_")}
    env.update(DATABASE_URL=database_url, CHRONOS_DATA_DIR=str(data_dir))
    return subprocess.run(  # noqa: S603  (our own interpreter and CLI, constant arguments)
        [sys.executable, "-m", "chronos", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_commands_are_quiet_unless_asked(rep_code: str, database_url: str, tmp_path: Path) -> None:
    quiet = run_cli("reps", "list", database_url=database_url, data_dir=tmp_path)
    assert quiet.returncode == 0, quiet.stderr
    assert rep_code in quiet.stdout
    assert quiet.stderr == ""  # no Alembic lines, no DEBUG from libraries
    debug = run_cli("-vv", "reps", "list", database_url=database_url, data_dir=tmp_path)
    assert debug.returncode == 0, debug.stderr
    assert "INFO alembic.runtime.migration: Context impl PostgresqlImpl." in debug.stderr
    assert " DEBUG " in debug.stderr
