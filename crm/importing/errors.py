"""Why an import wrote nothing. Both are domain errors, so the CLI prints them as one clear line."""

from __future__ import annotations

from crm.errors import ValidationFailed
from crm.importing.report import ImportReport


class ImportFileError(ValidationFailed):
    """The file as a whole is unusable: encoding, delimiter, header, or no data."""

    code = "import_file"


class ImportRejected(ValidationFailed):
    """Some rows are invalid and the import is all-or-nothing; ``report.errors`` lists every one."""

    code = "import_rejected"

    def __init__(self, report: ImportReport) -> None:
        super().__init__(
            f"{report.invalid} of {report.read} rows are invalid; nothing was imported "
            "(fix them, or rerun with --skip-invalid to import the valid rows)",
            invalid=report.invalid,
        )
        self.report = report


class ImportFailed(ValidationFailed):
    """The database refused the validated rows (e.g. a constraint no row-level check can see)."""

    code = "import_failed"
