"""The rejects file written by ``--skip-invalid``: every invalid row as it was, with why."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple


class RejectedRow(NamedTuple):
    line: int
    error: str
    raw: list[str]


def rejects_path(source: Path) -> Path:
    """``interactions.csv`` → ``interactions.rejects.csv``, next to the source file."""
    return source.with_name(f"{source.stem}.rejects.csv")


def write_rejects(path: Path, header: Sequence[str], rows: Sequence[RejectedRow]) -> None:
    """``line`` and ``error`` first, then the original columns and values untouched.

    UTF-8 with a byte-order mark so Excel shows Persian correctly; once fixed, the file can be
    imported again as it is (``line`` and ``error`` are ignored as unknown columns).
    """
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["line", "error", *header])
        for row in sorted(rows):
            writer.writerow([row.line, row.error, *row.raw])
