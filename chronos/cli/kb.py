"""`chronos kb …`: ingest knowledge, propose FAQ entries from tickets, search, ask, status, eval."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ai.knowledge.answer import NO_ANSWER_FA, answer
from ai.knowledge.evaluate import evaluate, load_questions
from ai.knowledge.hub import KnowledgeHub
from ai.knowledge.types import SEARCH_MODES, SearchMode
from chronos.cli.common import (
    console,
    err_console,
    json_option,
    load_settings_or_exit,
    print_json,
    print_json_line,
    run,
)
from chronos.knowledge_runtime import open_knowledge
from chronos.runtime import open_runtime
from chronos.settings import Settings
from chronos.terminal import ltr
from crm.schemas.knowledge import FaqReport, IngestReport, KnowledgeStatusDTO
from crm.services import knowledge

app = typer.Typer(help="The knowledge hub: ingest, search, ask.", no_args_is_help=True)

_MODE_HELP = f"retrieval mode: {', '.join(SEARCH_MODES)}"


def _check_mode(mode: str) -> SearchMode:
    for known in SEARCH_MODES:
        if mode == known:
            return known
    raise typer.BadParameter(f"--mode must be one of {', '.join(SEARCH_MODES)}")


def _options(settings: Settings) -> knowledge.IngestOptions:
    kb = settings.knowledge
    return knowledge.IngestOptions(
        max_bytes=int(kb.max_file_mb * 1_048_576),
        chunk_tokens=kb.chunk_tokens,
        overlap_tokens=min(kb.chunk_overlap, kb.chunk_tokens - 1),
    )


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(..., help="files or directories (a directory is the id root)"),
    prune: bool = typer.Option(False, "--prune", help="remove documents whose files are gone"),
    as_json: bool = json_option(),
) -> None:
    """Ingest Markdown, text, HTML and PDF files; unchanged files are skipped by checksum."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise typer.BadParameter(f"no such path: {', '.join(missing)}")
    settings = load_settings_or_exit()

    async def _go() -> IngestReport:
        with open_knowledge(settings) as hub, _progress(disabled=as_json) as bar:
            tasks: dict[str, Any] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    label = "reading files" if stage == "read" else "embedding chunks"
                    tasks[stage] = bar.add_task(label, total=total)
                bar.update(tasks[stage], completed=done, total=total)

            async with open_runtime(settings) as rt, rt.uow() as uow:
                return await knowledge.ingest_paths(
                    uow, hub, paths, _options(settings), prune=prune, progress=progress
                )

    report = run(_go)
    if as_json:
        print_json(report)
        return
    _print_ingest(report)


def _progress(*, disabled: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        disable=disabled,
        transient=False,
    )


def _print_ingest(report: IngestReport) -> None:
    console.print(
        f"added {len(report.added)}, updated {len(report.updated)}, unchanged {len(report.unchanged)}, "
        f"removed {len(report.removed)}, skipped {len(report.skipped)}; "
        f"{report.chunks_written} chunks written, {report.masked_items} personal-data items masked; "
        f"mode {report.mode}"
    )
    if report.skipped:
        table = Table("document", "problem", "reason", title="not ingested")
        for skip in report.skipped:
            table.add_row(skip.doc_id, skip.code, skip.reason)
        console.print(table)
    for doc_id in report.flagged:
        console.print(
            f"[yellow]{doc_id}: contains instruction-like text; ingested as data and defanged in prompts"
        )


@app.command("ingest-tickets")
def ingest_tickets(as_json: bool = json_option()) -> None:
    """Propose FAQ entries from resolved tickets (masked, merged); supervisors approve them in the bot."""
    settings = load_settings_or_exit()

    async def _go() -> FaqReport:
        with open_knowledge(settings, dense=False) as hub:
            async with open_runtime(settings) as rt, rt.uow() as uow:
                return await knowledge.ingest_tickets(uow, hub)

    report = run(_go)
    if as_json:
        print_json(report)
        return
    console.print(
        f"{report.tickets_considered} resolved tickets considered: {len(report.created)} new FAQ entries, "
        f"{report.merged_into_existing} tickets merged into existing entries, "
        f"{report.masked_items} personal-data items masked; {report.pending_total} pending review (/faq)"
    )


def _hit_json(hit: Any) -> dict[str, Any]:
    return {
        "doc": hit.chunk.doc_id,
        "title": hit.chunk.title,
        "chunk_id": hit.chunk.chunk_id,
        "score": round(hit.score, 6),
        "text": hit.passage(),
    }


def _search_file(hub: KnowledgeHub, path: Path, k: int, mode: SearchMode, expand: bool) -> None:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                query = str(item["q"])
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                err_console.print(f"line {number}: skipped ({exc})")
                continue
            result = hub.search(query, k, mode, expand=expand)
            out: dict[str, Any] = {"q": query, "mode": result.mode}
            if "id" in item:
                out = {"id": item["id"], **out}
            out["results"] = [_hit_json(hit) for hit in result.hits]
            print_json_line(out)


@app.command()
def search(
    query: str = typer.Argument("", help="the question (or use --file)"),
    k: int = typer.Option(5, "--k", min=1, max=100, help="how many passages"),
    mode: str = typer.Option("hybrid", "--mode", help=_MODE_HELP),
    file: Path | None = typer.Option(None, "--file", help="JSON lines with a 'q' field; one search each"),
    expand: bool = typer.Option(False, "--expand", help="include neighbouring passages"),
    as_json: bool = json_option(),
) -> None:
    """Search the knowledge hub."""
    chosen = _check_mode(mode)
    if not query and file is None:
        raise typer.BadParameter("give a query or --file")
    settings = load_settings_or_exit()

    async def _go() -> None:
        with open_knowledge(settings, dense=chosen != "lexical") as hub:
            if file is not None:
                await asyncio.to_thread(_search_file, hub, file, k, chosen, expand)
                return
            result = await asyncio.to_thread(hub.search, query, k, chosen, expand=expand)
            if as_json:
                print_json({"mode": result.mode, "results": [_hit_json(hit) for hit in result.hits]})
                return
            table = Table("#", "score", "document", "passage", title=f"mode: {result.mode}")
            for rank, hit in enumerate(result.hits, start=1):
                snippet = " ".join(hit.chunk.text.split())[:90]
                table.add_row(str(rank), f"{hit.score:.4f}", hit.chunk.doc_id, snippet)
            console.print(table)

    run(_go)


@app.command()
def ask(
    question: str = typer.Argument(..., help="the question, in Persian or English"),
    as_json: bool = json_option(),
) -> None:
    """Answer a question from the knowledge, with numbered citations (LLM if configured, else offline)."""
    settings = load_settings_or_exit()

    async def _go() -> dict[str, Any]:
        with open_knowledge(settings) as hub:
            if settings.llm.api_key is None:
                result = await answer(hub, question, min_confidence=settings.knowledge.min_confidence)
            else:
                async with open_runtime(settings) as rt:
                    result = await answer(
                        hub, question, gateway=rt.gateway, min_confidence=settings.knowledge.min_confidence
                    )
        value = result.value
        cited = value.citations if value.answered else value.nearest
        return {
            "answer": value.text if value.answered else NO_ANSWER_FA,
            "answered": value.answered,
            "citations": [{"n": c.n, "doc": c.doc_id, "title": c.title} for c in cited],
            "engine": result.engine,
            "confidence": round(value.confidence, 3),
        }

    data = run(_go)
    if as_json:
        print_json(data)
        return
    console.print(data["answer"], markup=False)
    heading = "sources" if data["answered"] else "nearest documents"
    console.print(f"\n{heading} ({data['engine']}):")
    for citation in data["citations"]:
        console.print(ltr(f"  [{citation['n']}] {citation['title']} — {citation['doc']}"), markup=False)


@app.command()
def status(as_json: bool = json_option()) -> None:
    """Mode (hybrid or lexical-only, and why), model, counts of documents, chunks, vectors and FAQs."""
    settings = load_settings_or_exit()

    async def _go() -> KnowledgeStatusDTO:
        with open_knowledge(settings) as hub:
            async with open_runtime(settings) as rt, rt.uow() as uow:
                return await knowledge.status(uow, hub)

    report = run(_go)
    if as_json:
        print_json(report)
        return
    table = Table("", "", show_header=False)
    for label, value in report.model_dump().items():
        table.add_row(label, "-" if value is None else str(value))
    console.print(table)


@app.command("eval")
def eval_command(
    questions: Path = typer.Argument(..., help="JSON lines: id, q, relevant (doc ids), split"),
    as_json: bool = json_option(),
) -> None:
    """recall@1, recall@5 and MRR of each retrieval mode on a labelled question set."""
    settings = load_settings_or_exit()

    async def _go() -> list[dict[str, object]]:
        with open_knowledge(settings) as hub:
            rows = await asyncio.to_thread(
                evaluate, hub, load_questions(questions), splits=("all", "dev", "test")
            )
        return [row.as_dict() for row in rows]

    rows = run(_go)
    if as_json:
        print_json(rows)
        return
    table = Table(*(str(key) for key in rows[0]))
    for row in rows:
        table.add_row(*(str(value) for value in row.values()))
    console.print(table)
