"""Tickets, keyed by ``external_ref`` (the id in the system they come from).

Each new ticket gets its ``created`` event, and a resolved or closed one also gets the status change
that took it there, so its timeline reads like one opened in the bot. Existing tickets are left
alone: their life continues in Chronos, not in the export.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable
from typing import Any, ClassVar

from crm.enums import TICKET_SLA_HOURS, TicketStatus
from crm.importing.base import EntityImporter, ParsedRow, WriteResult
from crm.importing.references import agent_cell, agent_ids, representative_cell, representative_ids
from crm.importing.report import Entity
from crm.importing.source import CsvRow, RowInvalid
from crm.importing.values import build, choice_cell, moment_cell, optional_moment_cell, text_cell
from crm.schemas.activity import TicketOpen

_DTO_COLUMNS = {"representative_id": "rep_code", "assigned_agent_id": "agent_telegram_id"}
_FINISHED = (TicketStatus.RESOLVED, TicketStatus.CLOSED)


def _status(row: CsvRow) -> TicketStatus:
    raw = choice_cell(row, "status")
    if raw is None:
        return TicketStatus.OPEN
    try:
        return TicketStatus(raw)
    except ValueError:
        allowed = ", ".join(status.value for status in TicketStatus)
        raise RowInvalid(f"status: must be one of {allowed} (got {raw!r})") from None


def _closing(
    row: CsvRow, status: TicketStatus, opened_at: dt.datetime
) -> tuple[str | None, dt.datetime | None]:
    """(resolution, resolved_at): both required for resolved or closed tickets, absent otherwise."""
    resolution = text_cell(row, "resolution")
    resolved_at = optional_moment_cell(row, "resolved_at")
    if status not in _FINISHED:
        if resolved_at is not None:
            raise RowInvalid(f"resolved_at: only resolved or closed tickets have one (status is {status})")
        return resolution, None
    if resolution is None:
        raise RowInvalid(f"resolution: a {status} ticket needs one")
    if resolved_at is None:
        raise RowInvalid(f"resolved_at: a {status} ticket needs one")
    if resolved_at < opened_at:
        raise RowInvalid("resolved_at: earlier than opened_at")
    return resolution, resolved_at


class TicketImporter(EntityImporter):
    entity: ClassVar[Entity] = Entity.TICKETS
    audit_entity: ClassVar[str] = "ticket"
    required_columns: ClassVar[tuple[str, ...]] = (
        "external_ref", "rep_code", "category", "subject", "opened_at",
    )  # fmt: skip
    optional_columns: ClassVar[tuple[str, ...]] = (
        "priority", "description", "agent_telegram_id", "status", "resolution", "resolved_at",
    )  # fmt: skip
    staging_columns: ClassVar[tuple[tuple[str, str], ...]] = (
        ("external_ref", "text"),
        ("representative_id", "bigint"),
        ("assigned_agent_id", "bigint"),
        ("category", "text"),
        ("priority", "text"),
        ("status", "text"),
        ("subject", "text"),
        ("description", "text"),
        ("resolution", "text"),
        ("opened_at", "timestamptz"),
        ("sla_due_at", "timestamptz"),
        ("resolved_at", "timestamptz"),
    )

    async def load_references(self, conn: Any) -> None:
        self._representatives = await representative_ids(conn)
        self._agents = await agent_ids(conn)

    def parse(self, row: CsvRow) -> ParsedRow:
        _, rep_id = representative_cell(row, self._representatives)
        opened_at = moment_cell(row, "opened_at")
        dto = build(
            TicketOpen,
            _DTO_COLUMNS,
            representative_id=rep_id,
            category=choice_cell(row, "category"),
            priority=choice_cell(row, "priority"),
            subject=row.cell("subject"),
            description=row.cell("description"),
            opened_at=opened_at,
            external_ref=row.require("external_ref"),
            assigned_agent_id=agent_cell(row, self._agents),
        )
        status = _status(row)
        resolution, resolved_at = _closing(row, status, opened_at)
        return ParsedRow(
            dto.external_ref,
            (
                dto.external_ref,
                rep_id,
                dto.assigned_agent_id,
                dto.category.value,
                dto.priority.value,
                status.value,
                dto.subject,
                dto.description,
                resolution,
                opened_at,
                opened_at + dt.timedelta(hours=TICKET_SLA_HOURS[dto.priority]),
                resolved_at,
            ),
        )

    def describe_key(self, key: Hashable) -> str:
        return f"external_ref {key!r}"

    async def write(self, conn: Any) -> WriteResult:
        row = await conn.fetchrow(
            """
            WITH inserted AS (
                INSERT INTO ticket (external_ref, representative_id, assigned_agent_id, category, priority,
                                    status, subject, description, resolution, opened_at, sla_due_at,
                                    resolved_at)
                SELECT external_ref, representative_id, assigned_agent_id, category, priority,
                       status, subject, description, resolution, opened_at, sla_due_at, resolved_at
                FROM import_staging ORDER BY line
                ON CONFLICT (external_ref) DO NOTHING
                RETURNING id, status, resolution, opened_at, resolved_at
            ), events AS (
                INSERT INTO ticket_event (ticket_id, kind, from_status, to_status, body, created_at)
                SELECT id, 'created', NULL, NULL, NULL, opened_at FROM inserted
                UNION ALL
                SELECT id, 'status_change', 'open', status,
                       CASE WHEN status IN ('resolved', 'closed') THEN resolution END,
                       coalesce(resolved_at, opened_at)
                FROM inserted WHERE status <> 'open'
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM inserted) AS inserted, (SELECT count(*) FROM events) AS events
            """
        )
        return WriteResult(inserted=int(row["inserted"]), details={"ticket_events": int(row["events"])})
