"""`chronos prep` against the test database (seeded through `chronos demo seed`)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from ai.call_prep.schema import SECTIONS
from chronos.cli import app
from chronos.settings import get_settings


@pytest.fixture
def cli_database(
    database_url: str,
    committing_session_factory: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[None]:
    """Point the CLI at the test database, offline; committing_session_factory empties the tables after."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("LLM_API_KEY", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("cli_database")
def test_prep_json_sections_items_and_bad_input() -> None:
    runner = CliRunner()
    seeded = runner.invoke(app, ["demo", "seed", "--seed", "5"])
    assert seeded.exit_code == 0, seeded.output

    first = runner.invoke(app, ["prep", "rep-0012", "--engine", "offline", "--json"])
    assert first.exit_code == 0, first.output
    out = json.loads(first.stdout)
    assert out["representative"]["code"] == "REP-0012"
    assert (out["engine"], out["fallback_reason"], out["cached"]) == ("offline", None, False)
    assert list(out["sections"]) == list(SECTIONS)
    cited = 0
    for name, items in out["sections"].items():
        for item in items:
            assert item["text"], name
            assert isinstance(item["evidence"], list)
            for evidence in item["evidence"]:
                assert set(evidence) == {"type", "id"}
                assert evidence["type"] in {"interaction", "ticket", "payment", "invoice", "usage"}
                assert isinstance(evidence["id"], int)
                cited += 1
    assert cited > 10
    assert out["sections"]["talking_points"][0]["purpose"]

    again = json.loads(runner.invoke(app, ["prep", "REP-0012", "--engine", "offline", "--json"]).stdout)
    assert again["cached"] is True
    assert again["suggestion_id"] == out["suggestion_id"]
    assert out["locale"] == "fa"
    assert out["sections"]["at_a_glance"][0]["text"].startswith("پلن: ")

    english = runner.invoke(app, ["prep", "REP-0012", "--engine", "offline", "--locale", "en", "--json"])
    assert english.exit_code == 0, english.output
    in_english = json.loads(english.stdout)
    assert (in_english["locale"], in_english["cached"]) == ("en", False)
    assert in_english["suggestion_id"] != out["suggestion_id"]
    assert in_english["sections"]["at_a_glance"][0]["text"].startswith("Plan: ")
    assert in_english["sections"]["talking_points"][0]["purpose"].isascii()

    forced = json.loads(runner.invoke(app, ["prep", "REP-0012", "--engine", "llm", "--json"]).stdout)
    assert (forced["engine"], forced["fallback_reason"]) == ("offline", "no_api_key")

    text = runner.invoke(app, ["prep", "REP-0012"])
    assert text.exit_code == 0, text.output
    assert "talking_points" in text.stdout

    unknown = runner.invoke(app, ["prep", "NOBODY-HERE"])
    assert unknown.exit_code == 1
    assert "no representative matches" in unknown.output
    ambiguous = runner.invoke(app, ["prep", "REP-001"])
    assert ambiguous.exit_code == 1
    assert "REP-0010" in ambiguous.output
    assert "pick one" in ambiguous.output
    bad_engine = runner.invoke(app, ["prep", "REP-0012", "--engine", "gpt"])
    assert bad_engine.exit_code == 2
    bad_locale = runner.invoke(app, ["prep", "REP-0012", "--locale", "de"])
    assert bad_locale.exit_code == 2
    assert "--locale must be fa or en" in bad_locale.output
