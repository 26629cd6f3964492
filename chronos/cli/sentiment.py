"""`chronos sentiment`: analyse a text or a JSON Lines file, and backfill unscored interactions.

* ``chronos sentiment "متن" [--json]`` — one text;
* ``chronos sentiment --file IN.jsonl [--engine offline|llm] [--json]`` — one result per input line, in
  input order. A line is a JSON object with a ``"text"`` string (and optionally an ``"id"``), or a
  bare JSON string; blank lines are skipped. A bad line gets an error in its place (``{"line": 3,
  "error": "…"}``), the rest are analysed, and the exit code is 1;
* ``chronos sentiment backfill [--batch-size N] [--limit N] [--engine offline|llm]`` — score the
  interactions that have no sentiment yet (CSV imports, rows written by SQL), with a progress bar.

``--engine llm`` goes through the AI gateway (usage ledger, cost cap, cache); without ``LLM_API_KEY``,
or when the model fails, each batch is analysed offline and its results say so in ``engine``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer._click import Context as ClickContext  # the type TyperGroup.parse_args declares
from typer.core import TyperGroup

from ai.llm import LLMGateway
from ai.sentiment import SentimentResult
from ai.sentiment.llm_engine import DEFAULT_BATCH_SIZE, LLMSentimentAnalyzer
from chronos.cli.common import console, err_console, json_option, print_json, print_json_line, run
from chronos.runtime import open_runtime
from chronos.terminal import ltr
from crm.schemas.sentiment import BackfillReport
from crm.schemas.types import Actor
from crm.services import sentiment

FILE_CHUNK: Final = 64  # lines analysed (and printed) together; memory stays flat on any file size


class Engine(StrEnum):
    OFFLINE = "offline"
    LLM = "llm"


class _TextOrCommand(TyperGroup):
    """``chronos sentiment "text"`` and ``chronos sentiment --file F`` run ``chronos sentiment analyze``."""

    def parse_args(self, ctx: ClickContext, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["analyze", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_TextOrCommand,
    help='Sentiment and emotions of Persian CRM text: chronos sentiment "متن" (or --file IN.jsonl) '
    "runs analyze; backfill scores the stored interactions that have none.",
    no_args_is_help=True,
)


@dataclass(frozen=True, slots=True)
class _Line:
    number: int
    id: Any = None
    text: str | None = None
    error: str | None = None


@app.command("analyze")
def analyze(
    text: str | None = typer.Argument(None, help="the text to analyse"),
    file: Path | None = typer.Option(
        None, "--file", "-f", exists=True, dir_okay=False, readable=True, help="JSON Lines input"
    ),
    engine: Engine = typer.Option(Engine.OFFLINE, "--engine", help="offline lexicon, or the LLM gateway"),
    batch_size: int = typer.Option(
        DEFAULT_BATCH_SIZE, "--batch-size", min=1, max=100, help="texts per LLM call"
    ),
    as_json: bool = json_option("JSON (a JSON Lines stream with --file)"),
) -> None:
    """Analyse one text, or every line of a JSON Lines file (results in input order)."""
    if (text is None) == (file is None):
        raise typer.BadParameter("give either a TEXT or --file, not both")
    if text is not None:
        [result] = run(lambda: _analyze([text], engine, batch_size))
        if as_json:
            print_json(result)
        else:
            _show(result, text)
        return
    assert file is not None
    failed = run(lambda: _analyze_file(file, engine, batch_size, as_json))
    if failed:
        err_console.print(f"[yellow]{failed} line(s) could not be analysed; see their errors above[/yellow]")
        raise typer.Exit(1)


async def _analyze(texts: Sequence[str], engine: Engine, batch_size: int) -> list[SentimentResult]:
    if engine is Engine.OFFLINE:
        return sentiment.offline_analyzer().analyze_many(texts)
    async with open_runtime() as runtime:
        return await _llm(runtime.gateway, batch_size).analyze_many(texts)


def _llm(gateway: LLMGateway, batch_size: int) -> LLMSentimentAnalyzer:
    if not gateway.config.enabled:
        err_console.print("[yellow]LLM_API_KEY is not set: every text is analysed offline[/yellow]")
    return LLMSentimentAnalyzer(gateway, sentiment.offline_analyzer(), batch_size=batch_size)


async def _analyze_file(file: Path, engine: Engine, batch_size: int, as_json: bool) -> int:
    """Analyse and print ``file`` chunk by chunk; returns how many lines failed."""
    if engine is Engine.OFFLINE:
        return await _stream(file, None, as_json)
    async with open_runtime() as runtime:
        return await _stream(file, _llm(runtime.gateway, batch_size), as_json)


async def _stream(file: Path, llm: LLMSentimentAnalyzer | None, as_json: bool) -> int:
    table = (
        None if as_json else Table("line", "id", "label", "score", "conf.", "emotions", "signals", "engine")
    )
    failed = 0
    for chunk in _chunks(_read(file)):
        texts = [line.text for line in chunk if line.text is not None]
        analysed = (
            await llm.analyze_many(texts)
            if llm is not None
            else sentiment.offline_analyzer().analyze_many(texts)
        )
        results = iter(analysed)
        for line in chunk:
            result = next(results) if line.text is not None else None
            failed += result is None
            if table is None:
                _print_json_line(line, result)
            else:
                _add_row(table, line, result)
    if table is not None:
        console.print(table)
    return failed


def _read(file: Path) -> Iterator[_Line]:
    with file.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                decoded = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                yield _Line(number, error=f"not UTF-8 (byte {exc.start + 1})")
                continue
            if decoded.strip():
                yield _parse(number, decoded)


def _parse(number: int, raw: str) -> _Line:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        return _Line(number, error=f"not valid JSON ({exc.msg} at column {exc.colno})")
    if isinstance(value, str):
        return _Line(number, text=value)
    if not isinstance(value, dict):
        return _Line(number, error=f'expected an object with a "text" string, got {type(value).__name__}')
    line_id = value.get("id")
    if line_id is not None and not isinstance(line_id, str | int):
        return _Line(number, error='"id" must be a string or an integer')
    if not isinstance(value.get("text"), str):
        return _Line(number, id=line_id, error='the object has no "text" string')
    return _Line(number, id=line_id, text=value["text"])


def _chunks(lines: Iterator[_Line]) -> Iterator[list[_Line]]:
    chunk: list[_Line] = []
    texts = 0
    for line in lines:
        chunk.append(line)
        texts += line.text is not None
        if texts == FILE_CHUNK:
            yield chunk
            chunk, texts = [], 0
    if chunk:
        yield chunk


def _print_json_line(line: _Line, result: SentimentResult | None) -> None:
    record: dict[str, Any] = {"line": line.number}
    if line.id is not None:
        record["id"] = line.id
    if result is None:
        record["error"] = line.error
    else:
        record.update(result.model_dump())
    print_json_line(record)


def _add_row(table: Table, line: _Line, result: SentimentResult | None) -> None:
    line_id = "" if line.id is None else str(line.id)
    if result is None:
        problem = f"[red]error: {escape(line.error or '')}[/red]"
        table.add_row(str(line.number), line_id, problem, "", "", "", "", "")
        return
    table.add_row(
        str(line.number), line_id, result.label, f"{result.score:+.2f}", f"{result.confidence:.2f}",
        ", ".join(result.top_emotions()), ", ".join(result.signals), result.engine,
    )  # fmt: skip


def _show(result: SentimentResult, text: str) -> None:
    console.print(
        f"[bold]{result.label}[/bold]  score {result.score:+.2f}  confidence {result.confidence:.2f}"
    )
    emotions = {e: v for e, v in result.emotions.items() if v > 0}
    if emotions:
        console.print(
            "emotions: " + ", ".join(f"{e} {v:.2f}" for e, v in sorted(emotions.items(), key=lambda i: -i[1]))
        )
    if result.signals:
        console.print("signals: " + ", ".join(result.signals))
    for span in result.evidence:
        console.print(ltr(f"  {span.text}  ({span.effect}, {span.cue})"), markup=False, highlight=False)
    console.print(
        f"engine: {result.engine}"
        + ("  (only the start of a long text was read)" if result.truncated else "")
    )


@app.command()
def backfill(
    batch_size: int = typer.Option(
        sentiment.DEFAULT_BATCH_SIZE, "--batch-size", min=1, max=10_000, help="rows per transaction"
    ),
    limit: int | None = typer.Option(None, "--limit", min=1, help="score at most this many rows"),
    engine: Engine = typer.Option(Engine.OFFLINE, "--engine", help="offline lexicon, or the LLM gateway"),
    as_json: bool = json_option(),
) -> None:
    """Score interactions without sentiment (imports, SQL), batch by batch; rerunning is safe."""

    async def _go() -> BackfillReport:
        async with open_runtime() as runtime, runtime.uow() as uow:
            analyze = (
                sentiment.offline_batch()
                if engine is Engine.OFFLINE
                else _llm(runtime.gateway, DEFAULT_BATCH_SIZE).analyze_many
            )
            with Progress(
                TextColumn("scoring interactions"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                console=err_console, transient=True,
            ) as bar:  # fmt: skip
                task = bar.add_task("backfill", total=None)
                return await sentiment.backfill(
                    uow,
                    analyze,
                    Actor.cli(),
                    batch_size=batch_size,
                    limit=limit,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )

    report = run(_go)
    if as_json:
        print_json(report)
        return
    engines = ", ".join(f"{name} {count:,}" for name, count in report.engines.items()) or "-"
    console.print(
        f"scored {report.scored:,} of {report.pending:,} unscored interactions "
        f"in {report.batches} batch(es); {report.without_text:,} have no text and stay unscored. "
        f"engines: {engines}"
    )
