"""What an import produced: per-row errors, counts, and the progress events sent while it runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from crm.schemas.types import DTO


class Entity(StrEnum):
    """What a CSV file holds; the value is the CLI argument (`chronos import interactions FILE`)."""

    REPRESENTATIVES = "representatives"
    INTERACTIONS = "interactions"
    TICKETS = "tickets"
    PAYMENTS = "payments"
    USAGE = "usage"


class ImportStage(StrEnum):
    READING = "reading"
    """Parsing and validating the file; progress counts bytes of the file."""
    SAVING = "saving"
    """The single INSERT … SELECT from the staging table; no measurable progress."""


@dataclass(frozen=True)
class ImportProgress:
    stage: ImportStage
    done: int
    total: int
    rows: int


ProgressCallback = Callable[[ImportProgress], None]


class RowError(DTO):
    line: int
    """Physical line of the file where the row starts; the header is line 1."""
    error: str


class ImportReport(DTO):
    entity: Entity
    file: str
    dry_run: bool
    skip_invalid: bool
    read: int
    """Data rows in the file (blank rows are not counted)."""
    valid: int
    invalid: int
    inserted: int
    updated: int
    """Existing rows changed by the file (representatives only; other entities never update)."""
    unchanged: int
    """Valid rows whose natural key already existed, so they changed nothing."""
    details: dict[str, int]
    """Entity-specific side effects, e.g. ticket events written or invoices marked paid."""
    errors: list[RowError]
    ignored_columns: list[str]
    rejects_file: str | None
