"""`chronos kb …` end to end through typer's CliRunner: the test database, a scratch data dir, the
real embedder (loaded once per process) and embedded Chroma."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiogram import Dispatcher
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from ai.knowledge.hub import KnowledgeHub
from chronos.cli import app
from chronos.knowledge_runtime import attach_dense, attach_knowledge, build_hub
from chronos.settings import get_settings
from tests.ai.test_knowledge_support import BAD, DOCS, kb_settings

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
    documents = sum(1 for path in root.rglob("*") if path.is_file())
    shutil.copy(BAD / "empty.md", root / "empty.md")

    code, out, err = kb("ingest", str(root))
    assert code == 0, err
    assert f"added {documents}" in out
    assert "skipped 1" in out
    assert "empty.md" in out
    assert "embedding chunks" in err  # the progress bar goes to stderr
    code, out, _ = kb("ingest", str(root), "--json")
    assert code == 0
    report = json.loads(out)
    assert (len(report["unchanged"]), report["chunks_written"]) == (documents, 0)

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
    assert (status["mode"], status["model"], status["documents"]) == ("hybrid", "packaged-minilm", documents)
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


async def test_the_dispatcher_builds_warms_and_closes_the_hub(tmp_path: Path) -> None:
    dp = Dispatcher()
    settings = kb_settings(tmp_path)
    attach_knowledge(dp, settings)
    await dp.emit_startup()
    hub = dp.workflow_data["knowledge"]
    assert isinstance(hub, KnowledgeHub)
    assert hub.search("کیف پول").hits == []  # answers (lexically) before the model is in
    for _ in range(600):  # the warm-up thread started with the dispatcher
        if hub.dense_ready:
            break
        await asyncio.sleep(0.5)
    assert hub.status().mode == "hybrid", hub.dense_error
    await dp.emit_shutdown()
    assert "knowledge" not in dp.workflow_data
    assert hub.closed
    assert hub.status().mode == "lexical-only"


def test_a_running_hub_sees_what_another_process_ingests(cli_env: Path, database_url: str) -> None:
    """The bot keeps its hub open while an operator runs `chronos kb ingest` in another process:
    its next search picks up the new generation, lexical and dense (embedded Chroma reopened)."""
    data_dir = cli_env / "data"
    settings = kb_settings(data_dir)
    hub = build_hub(settings)
    assert attach_dense(hub, settings)
    assert hub.search("کیف پول را چطور شارژ کنم", mode="dense").hits == []
    environment = {**os.environ, "DATABASE_URL": database_url, "CHRONOS_DATA_DIR": str(data_dir)}
    subprocess.run(  # noqa: S603  (our own interpreter and CLI, constant arguments)
        [sys.executable, "-m", "chronos", "kb", "ingest", str(DOCS / "billing")],
        env=environment,
        check=True,
        capture_output=True,
        timeout=600,
    )
    for mode in ("dense", "lexical"):
        result = hub.search("کیف پول را چطور شارژ کنم", k=3, mode=mode)
        assert result.mode == mode
        assert result.hits[0].chunk.doc_id == "wallet-topup.md", mode
    hub.close()
