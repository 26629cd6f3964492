"""`chronos import` end to end through typer's CliRunner, against the test database (real commits)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from chronos.cli import app
from chronos.settings import get_settings
from tests.crm.test_import import DATA, write_file


@pytest.fixture
def cli_database(
    database_url: str,
    committing_session_factory: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[None]:
    """Points the CLI's settings at the test database; committed rows are truncated afterwards."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["import", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.usefixtures("cli_database")
def test_cli_import_reports_counts_errors_and_rejects(tmp_path: Path) -> None:
    reps = write_file(tmp_path, "code,full_name\nREP-1001,نماینده اول\nREP-1002,نماینده دوم\n", "reps.csv")
    code, out, _ = invoke("representatives", str(reps))
    assert code == 0, out
    assert "inserted" in out

    interactions = tmp_path / "bad.csv"
    interactions.write_bytes((DATA / "interactions_with_bad_rows.csv").read_bytes())
    code, _, err = invoke("interactions", str(interactions))
    assert code == 1
    assert "line 3: rep_code: no representative with code 'REP-9999'" in err
    assert "nothing imported: 4 of 6 rows are invalid" in err

    code, out, _ = invoke("interactions", str(interactions), "--skip-invalid", "--json")
    assert code == 0
    summary = json.loads(out)
    assert (summary["inserted"], summary["invalid"]) == (2, 4)
    assert summary["rejects_file"] == str(tmp_path / "bad.rejects.csv")
    assert (tmp_path / "bad.rejects.csv").exists()

    code, out, _ = invoke("interactions", str(interactions), "--skip-invalid", "--dry-run", "--json")
    assert code == 0
    assert (json.loads(out)["inserted"], json.loads(out)["unchanged"]) == (0, 2)


@pytest.mark.usefixtures("cli_database")
def test_cli_file_problem_is_one_line(tmp_path: Path) -> None:
    path = write_file(tmp_path, "code;full_name\nREP-1;نام\n", "semi.csv")
    code, _, err = invoke("representatives", str(path))
    assert code == 1
    # One message (the terminal may wrap it): no traceback, no second complaint.
    assert " ".join(err.split()) == (
        "error: semi.csv separates columns with semicolons (;); Chronos reads comma-separated files. "
        "Save it again as 'CSV UTF-8 (Comma delimited)'"
    )
