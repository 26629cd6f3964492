"""Interactions: one row per call, message or meeting with a representative.

The natural key is ``external_id``, stored as the interaction's idempotency key under the source
``import``. Rows without one get a key derived from their content (see :func:`content_key`), so
re-importing the same export is still a no-op.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable
from typing import Any, ClassVar

from crm.importing.base import EntityImporter, ParsedRow, WriteResult, command_count
from crm.importing.references import agent_ids, representative_cell, representative_ids, resolve_agent
from crm.importing.report import Entity
from crm.importing.source import CsvRow
from crm.importing.values import build, choice_cell, moment_cell, telegram_id_cell
from crm.schemas.activity import InteractionCreate

IMPORT_SOURCE = "import"
DERIVED_KEY_PREFIX = "sha256:"
_DTO_COLUMNS = {
    "representative_id": "rep_code",
    "agent_id": "agent_telegram_id",
    "idempotency_key": "external_id",
}


def content_key(rep_code: str, agent_telegram_id: int | None, dto: InteractionCreate) -> str:
    """``sha256:`` + the hash of the row's normalised values, joined by the unit separator.

    Normalised means after validation: digits, letters and spacing are canonical and the time is
    UTC, so the same interaction exported twice (even with another date format) gets the same key.
    """
    parts = (
        rep_code,
        "" if agent_telegram_id is None else str(agent_telegram_id),
        dto.channel.value,
        dto.direction.value,
        dto.occurred_at.isoformat(),
        dto.summary or "",
        dto.body or "",
        "" if dto.outcome is None else dto.outcome.value,
    )
    return DERIVED_KEY_PREFIX + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


class InteractionImporter(EntityImporter):
    entity: ClassVar[Entity] = Entity.INTERACTIONS
    audit_entity: ClassVar[str] = "interaction"
    required_columns: ClassVar[tuple[str, ...]] = ("rep_code", "channel", "occurred_at")
    optional_columns: ClassVar[tuple[str, ...]] = (
        "external_id", "direction", "agent_telegram_id", "summary", "body", "outcome",
    )  # fmt: skip
    staging_columns: ClassVar[tuple[tuple[str, str], ...]] = (
        ("representative_id", "bigint"),
        ("agent_id", "bigint"),
        ("channel", "text"),
        ("direction", "text"),
        ("occurred_at", "timestamptz"),
        ("summary", "text"),
        ("body", "text"),
        ("outcome", "text"),
        ("idempotency_key", "text"),
    )

    async def load_references(self, conn: Any) -> None:
        self._representatives = await representative_ids(conn)
        self._agents = await agent_ids(conn)

    def parse(self, row: CsvRow) -> ParsedRow:
        rep_code, rep_id = representative_cell(row, self._representatives)
        agent_telegram_id = telegram_id_cell(row, "agent_telegram_id")
        external_id = row.cell("external_id")
        dto = build(
            InteractionCreate,
            _DTO_COLUMNS,
            representative_id=rep_id,
            agent_id=None if agent_telegram_id is None else resolve_agent(self._agents, agent_telegram_id),
            channel=choice_cell(row, "channel"),
            direction=choice_cell(row, "direction"),
            occurred_at=moment_cell(row, "occurred_at"),
            summary=row.cell("summary"),
            body=row.cell("body"),
            outcome=choice_cell(row, "outcome"),
            source=IMPORT_SOURCE,
            # Replaced by the content hash below when the row has no external_id.
            idempotency_key=external_id or DERIVED_KEY_PREFIX,
        )
        key = dto.idempotency_key if external_id else content_key(rep_code, agent_telegram_id, dto)
        return ParsedRow(
            key,
            (
                rep_id,
                dto.agent_id,
                dto.channel.value,
                dto.direction.value,
                dto.occurred_at,
                dto.summary,
                dto.body,
                None if dto.outcome is None else dto.outcome.value,
                key,
            ),
        )

    def describe_key(self, key: Hashable) -> str:
        text = str(key)
        if text.startswith(DERIVED_KEY_PREFIX):
            return "row (same content as an earlier row, and no external_id)"
        return f"external_id {text!r}"

    async def write(self, conn: Any) -> WriteResult:
        status = await conn.execute(
            """
            INSERT INTO interaction (representative_id, agent_id, channel, direction, occurred_at,
                                     summary, body, outcome, source, idempotency_key)
            SELECT representative_id, agent_id, channel, direction, occurred_at,
                   summary, body, outcome, $1, idempotency_key
            FROM import_staging ORDER BY line
            ON CONFLICT (source, idempotency_key) DO NOTHING
            """,
            IMPORT_SOURCE,
        )
        return WriteResult(inserted=command_count(status))
