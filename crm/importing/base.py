"""What each entity importer provides: its columns, how a row becomes a staging record, how to write.

The service drives every importer the same way:

1. :meth:`EntityImporter.load_references` once, before the first row;
2. :meth:`EntityImporter.parse` per row (pure Python, raises :class:`RowInvalid`);
3. :meth:`EntityImporter.check_batch` per batch of valid rows, for checks that need a query;
4. :meth:`EntityImporter.write` per batch, moving the staging table's rows into the real table(s).
"""

from __future__ import annotations

import abc
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple

from crm.importing.report import Entity
from crm.importing.source import CsvRow, Header


class ParsedRow(NamedTuple):
    key: Hashable
    """The natural key; two rows of one file with the same key are an error."""
    record: tuple[Any, ...]
    """Values in :attr:`EntityImporter.staging_columns` order, after ``line``."""


class StagedRow(NamedTuple):
    line: int
    key: Hashable
    record: tuple[Any, ...]
    raw: list[str]


@dataclass(frozen=True)
class WriteResult:
    inserted: int
    updated: int = 0
    details: dict[str, int] = field(default_factory=dict)


class EntityImporter(abc.ABC):
    entity: ClassVar[Entity]
    audit_entity: ClassVar[str]
    """The table named in the audit row."""
    required_columns: ClassVar[tuple[str, ...]]
    optional_columns: ClassVar[tuple[str, ...]]
    staging_columns: ClassVar[tuple[tuple[str, str], ...]]
    """(name, PostgreSQL type) of each staging column, without the leading ``line integer``."""

    def __init__(self, header: Header) -> None:
        self.header = header

    @classmethod
    def known_columns(cls) -> tuple[str, ...]:
        return cls.required_columns + cls.optional_columns

    @abc.abstractmethod
    async def load_references(self, conn: Any) -> None:
        """Load the lookups :meth:`parse` needs; ``conn`` is the transaction's asyncpg connection."""

    @abc.abstractmethod
    def parse(self, row: CsvRow) -> ParsedRow:
        """Validate one row; raise RowInvalid with the reason when it cannot be imported."""

    @abc.abstractmethod
    def describe_key(self, key: Hashable) -> str:
        """How a duplicate key is named in the error, e.g. ``external_ref 'T-1'``."""

    async def check_batch(self, conn: Any, batch: Sequence[StagedRow]) -> dict[int, str]:
        """Errors (line → reason) that need a query; rows named here are not staged."""
        return {}

    @abc.abstractmethod
    async def write(self, conn: Any) -> WriteResult:
        """One statement moving the batch in ``import_staging`` into place, skipping existing keys."""


def command_count(status: str) -> int:
    """Rows affected, from an asyncpg status string such as ``INSERT 0 1200``."""
    return int(status.rsplit(" ", 1)[-1])
