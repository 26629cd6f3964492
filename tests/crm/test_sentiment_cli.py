"""`chronos sentiment`: one text, a JSON Lines file in order (bad lines reported in place), the LLM engine
through the gateway (and offline without a key), and the backfill against the test database."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from ai.sentiment import ENGINE
from chronos.cli import app
from chronos.emulators.llm import LLMEmulator
from chronos.settings import get_settings
from crm.db import create_engine, create_session_factory
from crm.models import LLMCall
from tests.ai.test_sentiment_llm import sentiment_responder

T = TypeVar("T")
COMPLAINT = "سه روزه کانفیگ‌ها روی ایرانسل قطعه، واقعا خسته شدم"
THANKS = "دستتون درد نکنه، سرعت عالیه"


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, ["sentiment", *args])


def test_one_text_as_json() -> None:
    result = invoke(COMPLAINT, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["label"], data["engine"]) == ("negative", ENGINE)
    assert data["evidence"][0]["text"] == COMPLAINT[data["evidence"][0]["start"] : data["evidence"][0]["end"]]


def test_one_text_for_people_and_a_bad_call() -> None:
    shown = invoke(THANKS)
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.startswith("positive")
    assert f"engine: {ENGINE}" in shown.stdout
    neither = invoke("analyze")
    assert neither.exit_code == 2
    assert "either a TEXT or --file" in neither.output


def _write(path: Path, lines: list[str | bytes]) -> Path:
    path.write_bytes(b"\n".join(line if isinstance(line, bytes) else line.encode() for line in lines) + b"\n")
    return path


def _jsonl(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_file_mode_keeps_input_order_and_reports_bad_lines_in_place(tmp_path: Path) -> None:
    source = _write(
        tmp_path / "in.jsonl",
        [
            json.dumps({"id": "a", "text": COMPLAINT}, ensure_ascii=False),
            json.dumps(THANKS, ensure_ascii=False),
            "{not json",
            "",
            json.dumps({"id": 7, "body": "no text field"}),
            b"\xff\xfe broken bytes",
            json.dumps([1, 2]),
            json.dumps({"id": {"x": 1}, "text": "hi"}),
            *[
                json.dumps({"id": n, "text": (COMPLAINT, THANKS)[n % 2]}, ensure_ascii=False)
                for n in range(130)
            ],
        ],
    )

    result = invoke("--file", str(source), "--json")

    assert result.exit_code == 1
    rows = _jsonl(result.stdout)
    assert [row["line"] for row in rows] == [
        1,
        2,
        3,
        5,
        6,
        7,
        8,
        *range(9, 139),
    ]  # the blank line 4 is skipped
    assert (rows[0]["id"], rows[0]["label"]) == ("a", "negative")
    assert ("id" not in rows[1], rows[1]["label"]) == (True, "positive")
    assert rows[2]["error"].startswith("not valid JSON")
    assert (rows[3]["id"], rows[3]["error"]) == (7, 'the object has no "text" string')
    assert rows[4]["error"].startswith("not UTF-8")
    assert rows[5]["error"] == 'expected an object with a "text" string, got list'
    assert rows[6]["error"] == '"id" must be a string or an integer'
    assert [row["id"] for row in rows[7:]] == list(range(130))  # across the 64-line chunks, still in order
    assert [row["label"] for row in rows[7:11]] == ["negative", "positive", "negative", "positive"]
    assert "5 line(s) could not be analysed" in result.stderr


def test_file_mode_table_for_people(tmp_path: Path) -> None:
    source = _write(
        tmp_path / "in.jsonl", [json.dumps({"id": "x", "text": THANKS}, ensure_ascii=False), "[]"]
    )
    result = invoke("--file", str(source))
    assert result.exit_code == 1
    assert "positive" in result.stdout
    assert "error:" in result.stdout


@pytest.fixture
def cli_database(
    database_url: str,
    committing_session_factory: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    """The CLI on the test database; committing_session_factory empties the tables afterwards.

    These tests are synchronous (the CLI runs its own event loop), so they reach the database through
    an engine of their own, made and disposed inside each ``asyncio.run`` (see :func:`in_database`).
    """
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("LLM_API_KEY", raising=False)
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


def in_database(url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def go() -> T:
        engine = create_engine(url, pool_size=1)
        try:
            async with create_session_factory(engine)() as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(go())


@pytest.fixture
def llm_emulator(monkeypatch: pytest.MonkeyPatch, cli_database: Any) -> Iterator[LLMEmulator]:
    """The emulator on its own loop in a thread, since the CLI runs its own ``asyncio.run``."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    emulator = LLMEmulator(responder=sentiment_responder)
    asyncio.run_coroutine_threadsafe(emulator.start(), loop).result(10)
    monkeypatch.setenv("LLM_API_KEY", "test-key")
    monkeypatch.setenv("LLM_BASE_URL", emulator.base_url)
    monkeypatch.setenv("LLM_MODEL", "emu-model")
    get_settings.cache_clear()
    try:
        yield emulator
    finally:
        asyncio.run_coroutine_threadsafe(emulator.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
        get_settings.cache_clear()


def test_llm_engine_through_the_gateway(tmp_path: Path, llm_emulator: LLMEmulator, cli_database: str) -> None:
    source = _write(
        tmp_path / "in.jsonl",
        [json.dumps(t, ensure_ascii=False) for t in (COMPLAINT, THANKS, COMPLAINT)] + ["oops"],
    )

    result = invoke("--file", str(source), "--engine", "llm", "--batch-size", "2", "--json")

    assert result.exit_code == 1, result.output
    rows = _jsonl(result.stdout)
    assert [(row.get("label"), row.get("engine")) for row in rows] == [
        ("negative", "emu-model"), ("positive", "emu-model"), ("negative", "emu-model"), (None, None),
    ]  # fmt: skip
    assert len(llm_emulator.requests) == 2

    async def ledger(session: AsyncSession) -> list[str]:
        return list(await session.scalars(select(LLMCall.template_id)))

    assert in_database(cli_database, ledger) == ["sentiment_batch", "sentiment_batch"]


@pytest.mark.usefixtures("cli_database")
def test_llm_engine_without_a_key_answers_offline() -> None:
    result = invoke(COMPLAINT, "--engine", "llm", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["engine"] == ENGINE
    assert "LLM_API_KEY is not set" in result.stderr


def test_backfill_command(cli_database: str) -> None:
    async def seed(session: AsyncSession) -> None:
        rep = await session.scalar(
            text(
                "INSERT INTO representative (code, full_name, name_key, name_trigrams) "
                "VALUES ('REP-CLI', 'نماینده', 'نماینده', ARRAY['نما']) RETURNING id"
            )
        )
        for n, body in enumerate([COMPLAINT, THANKS, None]):
            await session.execute(
                text(
                    "INSERT INTO interaction (representative_id, channel, direction, occurred_at, body, "
                    "source, idempotency_key) VALUES (:rep, 'call', 'inbound', now(), :body, 'sql', :key)"
                ),
                {"rep": rep, "body": body, "key": f"cli-{n}"},
            )
        await session.commit()

    in_database(cli_database, seed)

    first = invoke("backfill", "--batch-size", "2", "--json")
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout) == {
        "pending": 3, "scored": 2, "without_text": 1, "batches": 2, "engines": {ENGINE: 2},
    }  # fmt: skip
    again = invoke("backfill")
    assert again.exit_code == 0, again.output
    assert "scored 0 of 1 unscored interactions" in again.stdout
