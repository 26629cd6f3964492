"""The rejects file written by ``--skip-invalid``: every invalid row as it was, with why."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from crm.importing.formulas import csv_writer


class RejectedRow(NamedTuple):
    line: int
    error: str
    raw: list[str]


def rejects_path(source: Path) -> Path:
    """``interactions.csv`` → ``interactions.rejects.csv``, next to the source file."""
    return source.with_name(f"{source.stem}.rejects.csv")


def write_rejects(path: Path, header: Sequence[str], rows: Sequence[RejectedRow]) -> None:
    """``line`` and ``error`` first, then the original columns and values.

    UTF-8 with a byte-order mark so Excel shows Persian correctly. Cells a spreadsheet would run as a
    formula get a leading quote (``crm.importing.formulas``), which the importer removes again, so
    once fixed the file can be imported as it is (``line`` and ``error`` are ignored as unknown
    columns).
    """
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv_writer(handle)
        writer.writerow(["line", "error", *header])
        for row in sorted(rows):
            writer.writerow([row.line, row.error, *row.raw])
