"""The staging table and the write pipeline: COPY a batch in, move it into place, next batch.

Each batch of valid rows is copied (asyncpg COPY) into a temporary staging table, then moved into
the real table(s) by the importer's single ``INSERT … SELECT … ON CONFLICT`` statement. That
statement runs in PostgreSQL while Python validates the next batch, so the two processes work in
parallel. Everything stays in the unit of work's one transaction: a later failure undoes it all.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from crm.importing.base import EntityImporter, WriteResult
from crm.importing.errors import ImportFailed

STAGING_TABLE = "import_staging"
"""A temporary table is private to its connection, so one fixed name cannot collide; the importers'
SQL names it literally."""


async def driver_connection(session: AsyncSession) -> Any:
    """The asyncpg connection under the session, inside the session's transaction.

    SQLAlchemy's asyncpg adapter opens the database transaction lazily, on its first statement;
    without one, statements sent to the driver directly would each commit on their own (and an
    ``ON COMMIT DROP`` table would vanish at once). The ``SELECT 1`` makes the adapter open it.
    """
    await session.execute(text("SELECT 1"))
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    if driver is None or not driver.is_in_transaction():
        raise RuntimeError("the import needs the session's transaction to be open on the driver")
    return driver


def _refused(exc: asyncpg.PostgresError) -> ImportFailed:
    return ImportFailed(f"the database refused the import, nothing was written: {exc}")


class StagingPipeline:
    """Staging table ``line integer`` + the importer's columns, and the batch writes through it.

    Use :meth:`idle` before running another statement on the connection, :meth:`submit` per batch,
    :meth:`finish` once at the end (or :meth:`abandon` on the way out of an error).
    """

    def __init__(self, conn: Any, importer: EntityImporter) -> None:
        self._conn = conn
        self._importer = importer
        self._columns = [("line", "integer"), *importer.staging_columns]
        self._pending: asyncio.Task[WriteResult] | None = None
        self._inserted = self._updated = 0
        self._details: dict[str, int] = {}

    async def create(self) -> None:
        definition = ", ".join(f"{name} {sql_type}" for name, sql_type in self._columns)
        await self._conn.execute(f"CREATE TEMPORARY TABLE {STAGING_TABLE} ({definition}) ON COMMIT DROP")

    async def idle(self) -> None:
        """Wait for the batch being written; the connection is then free for other statements."""
        if self._pending is None:
            return
        task, self._pending = self._pending, None
        try:
            result = await task
        except asyncpg.PostgresError as exc:
            raise _refused(exc) from exc
        self._inserted += result.inserted
        self._updated += result.updated
        for name, value in result.details.items():
            self._details[name] = self._details.get(name, 0) + value

    async def submit(self, records: Sequence[tuple[Any, ...]]) -> None:
        """Stage ``records`` and start moving them into place; returns once the statement is sent."""
        if not records:
            return
        await self.idle()
        try:
            await self._conn.execute(f"TRUNCATE {STAGING_TABLE}")
            await self._conn.copy_records_to_table(
                STAGING_TABLE, records=records, columns=[name for name, _ in self._columns]
            )
        except asyncpg.PostgresError as exc:
            raise _refused(exc) from exc
        self._pending = asyncio.create_task(self._importer.write(self._conn))
        await asyncio.sleep(0)  # let the task send its statement before Python goes back to work

    async def finish(self) -> WriteResult:
        await self.idle()
        # Explicit, because a test's "commit" only releases a savepoint and ON COMMIT never fires.
        await self._conn.execute(f"DROP TABLE {STAGING_TABLE}")
        return WriteResult(self._inserted, self._updated, dict(self._details))

    async def abandon(self) -> None:
        """Let an in-flight write end (its error, if any, no longer matters) before the rollback."""
        if self._pending is not None:
            task, self._pending = self._pending, None
            with contextlib.suppress(Exception):
                await task
