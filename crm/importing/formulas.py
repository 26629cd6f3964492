"""Spreadsheet formula injection: every CSV Chronos writes goes through :func:`csv_writer`.

Excel and LibreOffice run a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula when they
open a CSV (``=HYPERLINK(…)`` to leak data, ``=cmd|…`` to run a program), and skip a leading tab or
carriage return before looking. Imported files come from outside, so their cells reach the rejects
file as written. OWASP's rule: such a cell is written with a single quote in front, which makes the
spreadsheet read it as text.

Reading a CSV undoes it (:func:`unquoted`): a cell that is a quote followed by one of those
characters loses the quote, so a rejects file, once fixed, imports as it is. The cost: a cell that
genuinely started with ``'=`` is imported without its quote.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_QUOTE = "'"


def neutralised(cell: object) -> str:
    """The cell as text, with a leading quote when a spreadsheet would take it for a formula."""
    text = "" if cell is None else str(cell)
    return _QUOTE + text if text.startswith(FORMULA_STARTS) else text


def unquoted(cell: str) -> str:
    """The cell as it was before :func:`neutralised`."""
    if cell.startswith(_QUOTE) and cell[1:].startswith(FORMULA_STARTS):
        return cell[1:]
    return cell


class SafeCsvWriter:
    """``csv.writer`` whose every cell is :func:`neutralised`."""

    def __init__(self, handle: TextIO, **options: Any) -> None:
        self._writer = csv.writer(handle, **options)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([neutralised(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(handle: TextIO, **options: Any) -> SafeCsvWriter:
    """The one way product code writes CSV; ``options`` are ``csv.writer``'s."""
    return SafeCsvWriter(handle, **options)
