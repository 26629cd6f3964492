"""Bulk CSV import of representatives, interactions, tickets, payments and usage snapshots.

``import_csv`` is the use-case; docs/import.md documents the columns of each file.
"""

from crm.importing.errors import ImportFailed, ImportFileError, ImportRejected
from crm.importing.report import Entity, ImportProgress, ImportReport, ImportStage, ProgressCallback, RowError
from crm.importing.service import IMPORTERS, import_csv

__all__ = [
    "IMPORTERS",
    "Entity",
    "ImportFailed",
    "ImportFileError",
    "ImportProgress",
    "ImportRejected",
    "ImportReport",
    "ImportStage",
    "ProgressCallback",
    "RowError",
    "import_csv",
]
