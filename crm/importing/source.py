"""Reading a CSV file: encoding and delimiter checks, the header, and rows with their line numbers.

Files must be UTF-8 (a byte-order mark is fine) and comma-separated. Problems with the file as a
whole raise :class:`ImportFileError` with one sentence that says what is wrong and how to fix it.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Self

from crm.importing.errors import ImportFileError
from crm.importing.formulas import unquoted

SAMPLE_BYTES = 64 * 1024
_ARABIC_LETTERS = re.compile("[\u0621-\u064a\u067e\u0686\u0698\u06a9\u06af\u06cc]")
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_UTF16_NUL_SHARE = 4
"""A sample where one byte in four or more is NUL is UTF-16 (ASCII there is half NUL), not damage."""


class RowInvalid(ValueError):
    """One row cannot be imported; the message is the reason shown to the operator."""


@dataclass(frozen=True)
class Header:
    original: tuple[str, ...]
    """Column names as written in the file (kept for the rejects file)."""
    index: dict[str, int]
    """Normalised name (trimmed, lower case) → position."""

    def has(self, column: str) -> bool:
        return column in self.index


@dataclass(frozen=True, slots=True)
class CsvRow:
    line: int
    values: list[str]
    header: Header

    def cell(self, column: str) -> str | None:
        """The trimmed value, or None when the column is absent or the cell is blank.

        A cell that Chronos quoted against formula injection (``'=…`` in a rejects file) reads as it
        was before the quote.
        """
        position = self.header.index.get(column)
        if position is None:
            return None
        value = unquoted(self.values[position]).strip()
        return value or None

    def require(self, column: str) -> str:
        value = self.cell(column)
        if value is None:
            raise RowInvalid(f"{column} is empty")
        return value

    def shape_error(self) -> str | None:
        expected = len(self.header.original)
        if len(self.values) == expected:
            return None
        return f"row has {len(self.values)} fields but the header has {expected} (an unquoted comma?)"

    def nul_error(self) -> str | None:
        """Cells holding a NUL byte: the row is rejected, never imported with the byte dropped.

        NUL is never text; in a CSV it means a damaged export or a cell pasted from binary data, so
        the rest of the cell may not be what the operator thinks either. PostgreSQL would refuse it
        anyway. The row stays in the report (and, with ``--skip-invalid``, in the rejects file) as
        it was, so nothing is lost.
        """
        names = self.header.original
        columns = [
            names[position] if position < len(names) else f"column {position + 1}"
            for position, value in enumerate(self.values)
            if "\x00" in value
        ]
        if not columns:
            return None
        return (
            f"{', '.join(columns)}: contains a NUL byte (\\x00), which is not text; "
            "remove it (the file may be damaged, or exported in another encoding)"
        )


def _encoding_advice(path: Path, data: bytes, line: int) -> str:
    message = f"{path.name} is not UTF-8 text (undecodable bytes on line {line})"
    try:
        looks_persian = bool(_ARABIC_LETTERS.search(data.decode("cp1256")))
    except UnicodeDecodeError:
        looks_persian = False
    if looks_persian:
        return (
            f"{message}; it looks like Windows-1256 (the Persian 'ANSI' encoding older Excel uses). "
            f"Save it again as 'CSV UTF-8', or convert it: iconv -f WINDOWS-1256 -t UTF-8 {path.name}"
        )
    return f"{message}; save it again as 'CSV UTF-8'"


def _line_at(path: Path, offset: int) -> int:
    """The 1-based line holding byte ``offset`` (only computed on the error path)."""
    newlines = 0
    with path.open("rb") as handle:
        while offset > 0:
            chunk = handle.read(min(offset, SAMPLE_BYTES))
            if not chunk:
                break
            newlines += chunk.count(b"\n")
            offset -= len(chunk)
    return newlines + 1


def _check_sample(path: Path, sample: bytes) -> None:
    if sample.startswith(_UTF16_BOMS):
        raise ImportFileError(f"{path.name} is UTF-16 text; save it again as 'CSV UTF-8'")
    if b"\x00" in sample and sample.count(b"\x00") * _UTF16_NUL_SHARE >= len(sample):
        raise ImportFileError(
            f"{path.name} looks like UTF-16 text without a byte-order mark (every other byte is NUL); "
            "save it again as 'CSV UTF-8'"
        )
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        text = decoder.decode(sample, final=len(sample) < SAMPLE_BYTES)
    except UnicodeDecodeError as exc:
        raise ImportFileError(_encoding_advice(path, sample, sample[: exc.start].count(b"\n") + 1)) from exc
    if not text.lstrip("\ufeff").strip():
        raise ImportFileError(f"{path.name} is empty")


def _parse_header(path: Path, row: list[str], required: Collection[str]) -> Header:
    if len(row) == 1:
        for delimiter, name in ((";", "semicolons (;)"), ("\t", "tabs")):
            if delimiter in row[0]:
                raise ImportFileError(
                    f"{path.name} separates columns with {name}; Chronos reads comma-separated files. "
                    "Save it again as 'CSV UTF-8 (Comma delimited)'"
                )
    if any("\x00" in name for name in row):
        raise ImportFileError(f"{path.name}: the header contains a NUL byte (\\x00); the file may be damaged")
    row = [unquoted(name) for name in row]
    names = [name.strip().lower() for name in row]
    blank = [str(position + 1) for position, name in enumerate(names) if not name]
    if blank:
        raise ImportFileError(f"{path.name}: header column(s) {', '.join(blank)} have no name")
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise ImportFileError(f"{path.name}: the header repeats column(s) {', '.join(duplicated)}")
    missing = [column for column in required if column not in names]
    if missing:
        raise ImportFileError(
            f"{path.name} is missing required column(s): {', '.join(missing)} "
            f"(the header has: {', '.join(names)})"
        )
    return Header(original=tuple(cell.strip() for cell in row), index={n: i for i, n in enumerate(names)})


class CsvSource:
    """An open CSV file whose header has been checked. Iterate :meth:`rows` once."""

    def __init__(self, path: Path, *, required: Collection[str]) -> None:
        self.path = path
        self.size = path.stat().st_size
        self._binary: BinaryIO = path.open("rb")
        try:
            _check_sample(path, self._binary.read(SAMPLE_BYTES))
            self._binary.seek(0)
            self._text = io.TextIOWrapper(self._binary, encoding="utf-8-sig", errors="strict", newline="")
            self._reader = csv.reader(self._text)
            header_row = self._first_non_blank_row()
            if header_row is None:
                raise ImportFileError(f"{path.name} is empty")
            self.header = _parse_header(path, header_row, required)
        except BaseException:
            self._binary.close()
            raise

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._text.close()

    @property
    def bytes_read(self) -> int:
        """How far the decoder has read (in read-ahead steps); drives the progress bar."""
        return min(self._binary.tell(), self.size)

    def _first_non_blank_row(self) -> list[str] | None:
        for row in self._guarded(self._reader):
            if any(cell.strip() for cell in row):
                return row
        return None

    def _guarded(self, reader: Iterator[list[str]]) -> Iterator[list[str]]:
        try:
            yield from reader
        except UnicodeDecodeError as exc:
            # The failed chunk ends where the binary file now stands.
            line = _line_at(self.path, self._binary.tell() - len(exc.object) + exc.start)
            raise ImportFileError(_encoding_advice(self.path, exc.object, line)) from exc
        except csv.Error as exc:
            raise ImportFileError(
                f"{self.path.name} is not valid CSV near line {self._reader.line_num}: {exc}"
            ) from exc

    def rows(self) -> Iterator[CsvRow]:
        """Data rows in file order; rows whose cells are all blank are skipped."""
        header, reader = self.header, self._reader
        previous_end = reader.line_num
        seen_any = False
        for values in self._guarded(reader):
            start, previous_end = previous_end + 1, reader.line_num
            if not any(values) or not any(cell.strip() for cell in values):
                continue
            seen_any = True
            yield CsvRow(start, values, header)
        if not seen_any:
            raise ImportFileError(f"{self.path.name} has a header row but no data rows")
