"""Payments (keyed by ``reference``) and usage snapshots (keyed by ``rep_code`` + ``taken_at``).

The first payment in the file that names an unpaid invoice settles it at its ``paid_at``, as
recording the payment in the bot does. Rows whose key already exists are skipped, never changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Sequence
from typing import Any, ClassVar

from crm.importing.base import EntityImporter, ParsedRow, StagedRow, WriteResult, command_count
from crm.importing.references import representative_cell, representative_ids
from crm.importing.report import Entity
from crm.importing.source import CsvRow, RowInvalid
from crm.importing.values import INT4_MAX, INT8_MAX, build, check_range, choice_cell, count_cell, moment_cell
from crm.schemas.finance import PaymentCreate, UsageCreate

# Numeric(16, 0): the largest amount the payment table holds.
_MAX_TOMAN = 10**16 - 1


class PaymentImporter(EntityImporter):
    entity: ClassVar[Entity] = Entity.PAYMENTS
    audit_entity: ClassVar[str] = "payment"
    required_columns: ClassVar[tuple[str, ...]] = ("reference", "rep_code", "amount_toman", "paid_at")
    optional_columns: ClassVar[tuple[str, ...]] = ("method", "invoice_number")
    staging_columns: ClassVar[tuple[tuple[str, str], ...]] = (
        ("reference", "text"),
        ("representative_id", "bigint"),
        ("invoice_number", "text"),
        ("amount_toman", "numeric"),
        ("method", "text"),
        ("paid_at", "timestamptz"),
    )

    async def load_references(self, conn: Any) -> None:
        self._representatives = await representative_ids(conn)

    def parse(self, row: CsvRow) -> ParsedRow:
        _, rep_id = representative_cell(row, self._representatives)
        dto = build(
            PaymentCreate,
            {"representative_id": "rep_code"},
            reference=row.require("reference"),
            representative_id=rep_id,
            amount_toman=row.cell("amount_toman"),
            paid_at=moment_cell(row, "paid_at"),
            method=choice_cell(row, "method"),
            invoice_number=row.cell("invoice_number"),
        )
        if dto.amount_toman > _MAX_TOMAN:
            raise RowInvalid(f"amount_toman: larger than {_MAX_TOMAN:,} Toman")
        return ParsedRow(
            dto.reference,
            (dto.reference, rep_id, dto.invoice_number, dto.amount_toman, dto.method.value, dto.paid_at),
        )

    def describe_key(self, key: Hashable) -> str:
        return f"reference {key!r}"

    async def check_batch(self, conn: Any, batch: Sequence[StagedRow]) -> dict[int, str]:
        """Each named invoice must exist and belong to the payment's representative."""
        wanted = {staged.record[2] for staged in batch if staged.record[2] is not None}
        if not wanted:
            return {}
        rows = await conn.fetch(
            "SELECT number, representative_id FROM invoice WHERE number = ANY($1::text[])", list(wanted)
        )
        owner = {row["number"]: row["representative_id"] for row in rows}
        problems = {}
        for staged in batch:
            number, rep_id = staged.record[2], staged.record[1]
            if number is None:
                continue
            if number not in owner:
                problems[staged.line] = f"invoice_number: no invoice {number!r}"
            elif owner[number] != rep_id:
                problems[staged.line] = f"invoice_number: {number!r} is another representative's invoice"
        return problems

    async def write(self, conn: Any) -> WriteResult:
        row = await conn.fetchrow(
            """
            WITH inserted AS (
                INSERT INTO payment (reference, representative_id, invoice_id, amount_toman, method, paid_at)
                SELECT s.reference, s.representative_id, i.id, s.amount_toman, s.method, s.paid_at
                FROM import_staging AS s LEFT JOIN invoice AS i ON i.number = s.invoice_number
                ORDER BY s.line
                ON CONFLICT (reference) DO NOTHING
                RETURNING reference, invoice_id, paid_at
            ), first_payment AS (
                SELECT DISTINCT ON (inserted.invoice_id) inserted.invoice_id, inserted.paid_at
                FROM inserted JOIN import_staging AS s USING (reference)
                WHERE inserted.invoice_id IS NOT NULL
                ORDER BY inserted.invoice_id, s.line
            ), settled AS (
                UPDATE invoice SET status = 'paid', paid_at = first_payment.paid_at
                FROM first_payment
                WHERE invoice.id = first_payment.invoice_id AND invoice.status <> 'paid'
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM inserted) AS inserted, (SELECT count(*) FROM settled) AS settled
            """
        )
        return WriteResult(inserted=int(row["inserted"]), details={"invoices_settled": int(row["settled"])})


class UsageImporter(EntityImporter):
    entity: ClassVar[Entity] = Entity.USAGE
    audit_entity: ClassVar[str] = "usage_snapshot"
    required_columns: ClassVar[tuple[str, ...]] = (
        "rep_code", "taken_at", "active_users", "total_users", "traffic_bytes",
    )  # fmt: skip
    optional_columns: ClassVar[tuple[str, ...]] = ()
    staging_columns: ClassVar[tuple[tuple[str, str], ...]] = (
        ("representative_id", "bigint"),
        ("taken_at", "timestamptz"),
        ("active_users", "integer"),
        ("total_users", "integer"),
        ("traffic_bytes", "bigint"),
    )

    async def load_references(self, conn: Any) -> None:
        self._representatives = await representative_ids(conn)

    def parse(self, row: CsvRow) -> ParsedRow:
        rep_code, rep_id = representative_cell(row, self._representatives)
        dto = build(
            UsageCreate,
            {"representative_id": "rep_code"},
            representative_id=rep_id,
            taken_at=moment_cell(row, "taken_at"),
            active_users=check_range("active_users", count_cell(row, "active_users"), INT4_MAX),
            total_users=check_range("total_users", count_cell(row, "total_users"), INT4_MAX),
            traffic_bytes=check_range("traffic_bytes", count_cell(row, "traffic_bytes"), INT8_MAX),
        )
        return ParsedRow(
            (rep_code, dto.taken_at),
            (rep_id, dto.taken_at, dto.active_users, dto.total_users, dto.traffic_bytes),
        )

    def describe_key(self, key: Hashable) -> str:
        rep_code, taken_at = key if isinstance(key, tuple) else (key, None)
        moment = taken_at.isoformat() if isinstance(taken_at, dt.datetime) else taken_at
        return f"usage snapshot for rep_code {rep_code!r} at {moment}"

    async def write(self, conn: Any) -> WriteResult:
        status = await conn.execute(
            """
            INSERT INTO usage_snapshot (representative_id, taken_at, active_users, total_users, traffic_bytes)
            SELECT representative_id, taken_at, active_users, total_users, traffic_bytes
            FROM import_staging ORDER BY line
            ON CONFLICT (representative_id, taken_at) DO NOTHING
            """
        )
        return WriteResult(inserted=command_count(status))
