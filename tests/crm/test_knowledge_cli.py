"""`chronos kb …` end to end through typer's CliRunner: the test database, a scratch data dir, the
real embedder (loaded once per process) and embedded Chroma."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from chronos.cli import app
from chronos.settings import get_settings
from tests.ai.test_knowledge_support import BAD, DOCS

pytestmark = pytest.mark.slow


@pytest.fixture
def cli_env(
    database_url: str,
    committing_session_factory: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[Path]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("CHRONOS_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def kb(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["kb", *args])
    return result.exit_code, result.stdout, result.stderr


def test_ingest_search_ask_status(cli_env: Path) -> None:
    root = cli_env / "kb"
    shutil.copytree(DOCS / "billing", root / "billing")
    shutil.copytree(DOCS / "troubleshooting", root / "troubleshooting")
    shutil.copy(BAD / "empty.md", root / "empty.md")

    code, out, err = kb("ingest", str(root))
    assert code == 0, err
    assert "added 13" in out
    assert "skipped 1" in out
    assert "empty.md" in out
    assert "embedding chunks" in err  # the progress bar goes to stderr
    code, out, _ = kb("ingest", str(root), "--json")
    assert code == 0
    report = json.loads(out)
    assert (len(report["unchanged"]), report["chunks_written"]) == (13, 0)

    code, out, _ = kb("search", "کیف پولمو چطوری شارژ کنم", "--k", "3", "--json")
    assert code == 0
    results = json.loads(out)["results"]
    assert len(results) == 3
    assert set(results[0]) == {"doc", "title", "chunk_id", "score", "text"}
    assert results[0]["doc"] == "billing/wallet-topup.md"
    for mode in ("dense", "lexical"):
        code, out, _ = kb("search", "how do I top up my wallet", "--mode", mode, "--json")
        assert code == 0
        assert json.loads(out)["mode"] == mode
    assert kb("search", "x", "--mode", "fuzzy")[0] == 2

    queries = cli_env / "in.jsonl"
    queries.write_text(
        '{"id": "a", "q": "همراه اول قطع و وصل"}\nnot json\n{"q": "تتر قبول میکنید؟"}\n', encoding="utf-8"
    )
    code, out, err = kb("search", "--file", str(queries), "--k", "2", "--json")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line.get("id") for line in lines] == ["a", None]
    assert lines[0]["results"][0]["doc"] == "troubleshooting/hamrah-aval.md"
    assert lines[1]["results"][0]["doc"] == "billing/payment-methods.txt"
    assert "line 2: skipped" in err

    code, out, _ = kb("ask", "رو دیتای ایرانسل هیچی وصل نمیشه", "--json")
    assert code == 0
    answer = json.loads(out)
    assert answer["engine"] == "offline"
    assert answer["citations"][0] == {
        "n": 1,
        "doc": "troubleshooting/irancell.md",
        "title": "عیب‌یابی اتصال روی اینترنت ایرانسل",
    }
    assert "[1]" in answer["answer"]
    code, out, _ = kb("ask", "طرز تهیه قورمه سبزی", "--json")
    assert json.loads(out)["answered"] is False

    code, out, _ = kb("status", "--json")
    assert code == 0
    status = json.loads(out)
    assert (status["mode"], status["model"], status["documents"]) == ("hybrid", "packaged-minilm", 13)
    assert status["vectors"] == status["chunks"] > 0

    code, out, _ = kb("ingest", str(root), "--prune", "--json")
    assert json.loads(out)["removed"] == []
    shutil.rmtree(root / "billing")
    code, out, _ = kb("ingest", str(root), "--prune", "--json")
    assert len(json.loads(out)["removed"]) == 5


def test_ingest_tickets_and_eval(cli_env: Path) -> None:
    code, out, _ = kb("ingest-tickets", "--json")
    assert code == 0
    assert json.loads(out)["created"] == []
    questions = cli_env / "q.jsonl"
    questions.write_text(
        '{"id": "q1", "q": "کیف پول را چطور شارژ کنم", "relevant": ["wallet-topup.md"], "split": "dev"}\n',
        encoding="utf-8",
    )
    assert kb("ingest", str(DOCS / "billing"))[0] == 0
    code, out, _ = kb("eval", str(questions), "--json")
    assert code == 0
    rows = json.loads(out)
    assert {row["mode"] for row in rows} == {"hybrid", "dense", "lexical"}
    assert all(row["recall@5"] == 1.0 for row in rows if row["split"] == "all")
    assert kb("ingest", str(cli_env / "missing"))[0] == 2
