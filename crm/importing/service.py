"""The import use-case: validate a whole CSV file and write it in one transaction, or not at all.

Rows stream from the file through the entity's validation in batches; each batch of valid rows is
copied into a temporary staging table (asyncpg COPY) and moved into place by one
``INSERT … SELECT … ON CONFLICT`` while the next batch is validated (see ``staging``). One audit row
records the counts. All of it happens in the unit of work's transaction, so an error at any point
(a bad row, a bad byte on the last line, a constraint) leaves the database untouched.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crm import audit
from crm.db import UnitOfWork
from crm.importing.base import EntityImporter, StagedRow
from crm.importing.errors import ImportRejected
from crm.importing.interactions import InteractionImporter
from crm.importing.money import PaymentImporter, UsageImporter
from crm.importing.rejects import RejectedRow, rejects_path, write_rejects
from crm.importing.report import (
    Entity,
    ImportProgress,
    ImportReport,
    ImportStage,
    ProgressCallback,
    RowError,
)
from crm.importing.representatives import RepresentativeImporter
from crm.importing.source import CsvSource, RowInvalid
from crm.importing.staging import StagingPipeline, driver_connection
from crm.importing.tickets import TicketImporter
from crm.schemas.types import Actor

BATCH_ROWS = 10_000

IMPORTERS: dict[Entity, type[EntityImporter]] = {
    Entity.REPRESENTATIVES: RepresentativeImporter,
    Entity.INTERACTIONS: InteractionImporter,
    Entity.TICKETS: TicketImporter,
    Entity.PAYMENTS: PaymentImporter,
    Entity.USAGE: UsageImporter,
}


@dataclass
class _Tally:
    read: int = 0
    staged: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    first_line_of_key: dict[Hashable, int] = field(default_factory=dict)

    def reject(self, line: int, error: str, raw: list[str]) -> None:
        self.rejected.append(RejectedRow(line, error, raw))


@dataclass(frozen=True)
class _Options:
    dry_run: bool
    skip_invalid: bool
    batch_rows: int
    progress: ProgressCallback | None


async def import_csv(
    uow: UnitOfWork,
    entity: Entity,
    path: Path,
    actor: Actor,
    *,
    dry_run: bool = False,
    skip_invalid: bool = False,
    progress: ProgressCallback | None = None,
    batch_rows: int = BATCH_ROWS,
) -> ImportReport:
    """Import ``path`` as ``entity``; returns the counts, or raises and writes nothing.

    Raises :class:`ImportFileError` when the file itself is unusable, :class:`ImportRejected`
    when rows are invalid and ``skip_invalid`` is off, :class:`ImportFailed` when the database
    refuses the validated rows. ``dry_run`` runs everything, including the insert, then rolls back,
    so its counts are exactly what a real import would do.
    """
    importer_class = IMPORTERS[entity]
    options = _Options(dry_run, skip_invalid, batch_rows, progress)
    with CsvSource(path, required=importer_class.required_columns) as source:
        importer = importer_class(source.header)
        try:
            return await _import(uow, importer, source, actor, options)
        except BaseException:
            await uow.rollback()
            raise


async def _import(
    uow: UnitOfWork, importer: EntityImporter, source: CsvSource, actor: Actor, options: _Options
) -> ImportReport:
    conn = await driver_connection(uow.session)
    await importer.load_references(conn)
    pipeline = StagingPipeline(conn, importer)
    await pipeline.create()
    tally = _Tally()
    try:
        await _stage_rows(conn, importer, source, pipeline, tally, options)
    except BaseException:
        await pipeline.abandon()
        raise

    known = set(importer.known_columns())
    report = ImportReport(
        entity=importer.entity,
        file=str(source.path),
        dry_run=options.dry_run,
        skip_invalid=options.skip_invalid,
        read=tally.read,
        valid=tally.staged,
        invalid=len(tally.rejected),
        inserted=0,
        updated=0,
        unchanged=0,
        details={},
        errors=[RowError(line=r.line, error=r.error) for r in sorted(tally.rejected)],
        ignored_columns=[c for c in source.header.original if c.strip().lower() not in known],
        rejects_file=None,
    )
    if tally.rejected and not options.skip_invalid:
        await pipeline.abandon()
        raise ImportRejected(report)

    _notify(options, ImportProgress(ImportStage.SAVING, 0, 1, tally.read))
    result = await pipeline.finish()
    _notify(options, ImportProgress(ImportStage.SAVING, 1, 1, tally.read))
    report = report.model_copy(
        update={
            "inserted": result.inserted,
            "updated": result.updated,
            "unchanged": tally.staged - result.inserted - result.updated,
            "details": result.details,
        }
    )
    if options.dry_run:
        await uow.rollback()
        return report
    audit.record(
        uow.session,
        actor,
        f"import.{importer.entity.value}",
        importer.audit_entity,
        None,
        after={
            "file": source.path.name,
            **report.model_dump(include={"read", "valid", "invalid", "inserted", "updated", "unchanged"}),
            **result.details,
            "skip_invalid": options.skip_invalid,
        },
    )
    await uow.commit()
    if tally.rejected:
        target = rejects_path(source.path)
        write_rejects(target, source.header.original, tally.rejected)
        report = report.model_copy(update={"rejects_file": str(target)})
    return report


async def _stage_rows(
    conn: Any,
    importer: EntityImporter,
    source: CsvSource,
    pipeline: StagingPipeline,
    tally: _Tally,
    options: _Options,
) -> None:
    batch: list[StagedRow] = []
    for row in source.rows():
        tally.read += 1
        problem = row.shape_error() or row.nul_error()
        if problem is None:
            try:
                parsed = importer.parse(row)
            except RowInvalid as exc:
                problem = str(exc)
            else:
                first_line = tally.first_line_of_key.setdefault(parsed.key, row.line)
                if first_line == row.line:
                    batch.append(StagedRow(row.line, parsed.key, parsed.record, row.values))
                else:
                    problem = f"duplicate {importer.describe_key(parsed.key)} (first on line {first_line})"
        if problem is not None:
            tally.reject(row.line, problem, row.values)
        if len(batch) >= options.batch_rows:
            await _stage_batch(conn, importer, pipeline, batch, tally, options)
            batch = []
            _notify(options, ImportProgress(ImportStage.READING, source.bytes_read, source.size, tally.read))
    await _stage_batch(conn, importer, pipeline, batch, tally, options)
    _notify(options, ImportProgress(ImportStage.READING, source.size, source.size, tally.read))


async def _stage_batch(
    conn: Any,
    importer: EntityImporter,
    pipeline: StagingPipeline,
    batch: list[StagedRow],
    tally: _Tally,
    options: _Options,
) -> None:
    if not batch:
        return
    await pipeline.idle()
    problems = await importer.check_batch(conn, batch)
    accepted = []
    for staged in batch:
        problem = problems.get(staged.line)
        if problem is None:
            accepted.append((staged.line, *staged.record))
        else:
            tally.reject(staged.line, problem, staged.raw)
    tally.staged += len(accepted)
    if options.skip_invalid or not tally.rejected:
        await pipeline.submit(accepted)


def _notify(options: _Options, event: ImportProgress) -> None:
    if options.progress is not None:
        options.progress(event)
