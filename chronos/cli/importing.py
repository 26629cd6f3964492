"""`chronos import ENTITY FILE.csv [--dry-run] [--skip-invalid] [--json]`: bulk CSV import.

The columns of each entity's file are documented in docs/import.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from chronos.cli.common import console, err_console, json_option, print_json, run
from chronos.runtime import open_runtime
from crm.importing import (
    Entity,
    ImportProgress,
    ImportRejected,
    ImportReport,
    ImportStage,
    ProgressCallback,
    import_csv,
)
from crm.schemas.types import Actor

PROGRESS_MIN_BYTES = 1024 * 1024
"""Smaller files import in well under a second; a bar would only flicker."""


class _ProgressBar:
    def __init__(self, progress: Progress, task: TaskID) -> None:
        self._progress = progress
        self._task = task

    def __call__(self, event: ImportProgress) -> None:
        if event.stage is ImportStage.READING:
            self._progress.update(
                self._task,
                completed=event.done,
                total=event.total,
                description=f"validating {event.rows:,} rows",
            )
        else:
            self._progress.update(self._task, description=f"saving {event.rows:,} rows")


@contextmanager
def _progress_bar(file: Path) -> Iterator[ProgressCallback | None]:
    size = file.stat().st_size
    if size < PROGRESS_MIN_BYTES:
        yield None
        return
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )
    with progress:
        yield _ProgressBar(progress, progress.add_task("validating", total=size))


def import_command(
    entity: Entity = typer.Argument(..., help="what the file holds"),
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, readable=True, help="UTF-8, comma-separated; see docs/import.md"
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="validate and count, then roll back"),
    skip_invalid: bool = typer.Option(
        False, "--skip-invalid", help="import the valid rows; write the others to FILE.rejects.csv"
    ),
    as_json: bool = json_option("print the summary as JSON"),
) -> None:
    """Import a CSV file of representatives, interactions, tickets, payments or usage snapshots.

    All or nothing by default: if any row is invalid, every bad row is listed and nothing is written.
    Re-importing a file changes nothing (rows are keyed on their natural keys).
    """

    async def _go() -> tuple[ImportReport, bool]:
        async with open_runtime() as rt, rt.uow() as uow:
            with _progress_bar(file) as on_progress:
                try:
                    report = await import_csv(
                        uow,
                        entity,
                        file,
                        Actor.cli(),
                        dry_run=dry_run,
                        skip_invalid=skip_invalid,
                        progress=on_progress,
                    )
                except ImportRejected as rejected:
                    return rejected.report, False
                return report, True

    report, imported = run(_go)
    if as_json:
        print_json(report)
    else:
        _render(report, imported)
    if not imported:
        raise typer.Exit(1)


def _render(report: ImportReport, imported: bool) -> None:
    if report.ignored_columns:
        err_console.print(f"[yellow]ignored unknown column(s):[/yellow] {', '.join(report.ignored_columns)}")
    for error in report.errors:
        err_console.print(f"line {error.line}: {error.error}", markup=False, highlight=False)
    if not imported:
        err_console.print(
            f"[red]nothing imported:[/red] {report.invalid} of {report.read} rows are invalid. "
            "Fix them, or rerun with --skip-invalid to import the valid rows."
        )
        return
    title = f"import {report.entity} — {Path(report.file).name}"
    if report.dry_run:
        title += " (dry run: nothing written)"
    table = Table("rows", "count", title=title)
    counts = {
        "read": report.read,
        "valid": report.valid,
        "invalid": report.invalid,
        "inserted": report.inserted,
        "updated": report.updated,
        "unchanged": report.unchanged,
        **report.details,
    }
    for name, value in counts.items():
        table.add_row(name.replace("_", " "), f"{value:,}")
    console.print(table)
    if report.rejects_file:
        console.print(f"invalid rows written to {report.rejects_file}")
