"""Representatives, keyed by ``code``: new codes are inserted, known codes are updated.

Representatives are the one entity whose import updates: a spreadsheet of representatives is the
usual way their city, tier or agent changes in bulk. Only the columns the file has are written
(a file without ``phone`` leaves every phone alone; a blank cell in a present column clears it),
and a row identical to the stored one is counted as unchanged and not touched. Fields the CRM
owns (opt-outs, reachability) are never written by an import.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, ClassVar

from crm import search
from crm.importing.base import EntityImporter, ParsedRow, WriteResult
from crm.importing.references import agent_cell, agent_ids, tier_ids
from crm.importing.report import Entity
from crm.importing.source import CsvRow, Header, RowInvalid
from crm.importing.values import (
    build,
    check_length,
    choice_cell,
    column_length,
    optional_code_cell,
    optional_moment_cell,
    telegram_id_cell,
)
from crm.models import Representative
from crm.schemas.people import RepresentativeCreate

_DTO_COLUMNS = {"assigned_agent_id": "agent_telegram_id"}
_TEXT_LIMITS = {
    "full_name": column_length(Representative.full_name),
    "city": column_length(Representative.city),
    "province": column_length(Representative.province),
    "marzban_admin_username": column_length(Representative.marzban_admin_username),
}
# Optional CSV column → the representative column it sets.
_OPTIONAL_TARGETS = {
    "phone": "phone",
    "telegram_user_id": "telegram_user_id",
    "city": "city",
    "province": "province",
    "tier_code": "tier_id",
    "status": "status",
    "agent_telegram_id": "assigned_agent_id",
    "marzban_admin_username": "marzban_admin_username",
    "joined_at": "joined_at",
}
_INSERTED = (
    "code", "full_name", "name_key", "name_trigrams", "phone", "telegram_user_id", "city", "province",
    "tier_id", "status", "assigned_agent_id", "marzban_admin_username", "joined_at",
)  # fmt: skip


class RepresentativeImporter(EntityImporter):
    entity: ClassVar[Entity] = Entity.REPRESENTATIVES
    audit_entity: ClassVar[str] = "representative"
    required_columns: ClassVar[tuple[str, ...]] = ("code", "full_name")
    optional_columns: ClassVar[tuple[str, ...]] = tuple(_OPTIONAL_TARGETS)
    staging_columns: ClassVar[tuple[tuple[str, str], ...]] = (
        ("code", "text"),
        ("full_name", "text"),
        ("name_key", "text"),
        ("name_trigrams", "text[]"),
        ("phone", "text"),
        ("telegram_user_id", "bigint"),
        ("city", "text"),
        ("province", "text"),
        ("tier_id", "bigint"),
        ("status", "text"),
        ("assigned_agent_id", "bigint"),
        ("marzban_admin_username", "text"),
        ("joined_at", "timestamptz"),
    )

    def __init__(self, header: Header) -> None:
        super().__init__(header)
        self._phone_lines: dict[str, int] = {}
        self._telegram_lines: dict[int, int] = {}

    async def load_references(self, conn: Any) -> None:
        self._agents = await agent_ids(conn)
        self._tiers = await tier_ids(conn)
        rows = await conn.fetch("SELECT code, phone, telegram_user_id FROM representative")
        self._phone_owner = {row["phone"]: row["code"] for row in rows if row["phone"]}
        self._telegram_owner = {
            row["telegram_user_id"]: row["code"] for row in rows if row["telegram_user_id"]
        }

    def parse(self, row: CsvRow) -> ParsedRow:
        dto = build(
            RepresentativeCreate,
            _DTO_COLUMNS,
            code=row.require("code"),
            full_name=row.require("full_name"),
            phone=row.cell("phone"),
            telegram_user_id=telegram_id_cell(row, "telegram_user_id"),
            city=row.cell("city"),
            province=row.cell("province"),
            tier_code=optional_code_cell(row, "tier_code"),
            status=choice_cell(row, "status"),
            assigned_agent_id=agent_cell(row, self._agents),
            marzban_admin_username=row.cell("marzban_admin_username"),
            joined_at=optional_moment_cell(row, "joined_at"),
        )
        for column, limit in _TEXT_LIMITS.items():
            check_length(column, getattr(dto, column), limit)
        tier_id = None
        if dto.tier_code is not None:
            tier_id = self._tiers.get(dto.tier_code)
            if tier_id is None:
                raise RowInvalid(f"tier_code: no service tier {dto.tier_code!r}")
        self._check_unique(row.line, dto)
        return ParsedRow(
            dto.code,
            (
                dto.code,
                dto.full_name,
                search.name_key(dto.full_name),
                search.trigrams(dto.full_name),
                dto.phone,
                dto.telegram_user_id,
                dto.city,
                dto.province,
                tier_id,
                dto.status.value,
                dto.assigned_agent_id,
                dto.marzban_admin_username,
                dto.joined_at,
            ),
        )

    def _check_unique(self, line: int, dto: RepresentativeCreate) -> None:
        """Phones and Telegram ids are unique: across the file, and against other stored codes. A
        Telegram id is also never an agent's (one account is one person; the database refuses it too,
        but here the row gets the reason and the rest of the file can still be imported)."""
        if dto.telegram_user_id is not None and dto.telegram_user_id in self._agents:
            raise RowInvalid(
                f"telegram_user_id: {dto.telegram_user_id} is a CRT agent's Telegram account; "
                "one account cannot be both an agent's and a representative's"
            )
        checks: list[tuple[str, Any, dict[Any, int], dict[Any, str]]] = [
            ("phone", dto.phone, self._phone_lines, self._phone_owner),
            ("telegram_user_id", dto.telegram_user_id, self._telegram_lines, self._telegram_owner),
        ]
        for column, value, lines, owners in checks:
            if value is None:
                continue
            first_line = lines.setdefault(value, line)
            if first_line != line:
                raise RowInvalid(f"{column}: {value} is also on line {first_line}")
            owner = owners.get(value)
            if owner is not None and owner != dto.code:
                raise RowInvalid(f"{column}: {value} already belongs to representative {owner}")

    def describe_key(self, key: Hashable) -> str:
        return f"code {key!r}"

    async def write(self, conn: Any) -> WriteResult:
        targets = ["full_name", "name_key", "name_trigrams"] + [
            target for column, target in _OPTIONAL_TARGETS.items() if self.header.has(column)
        ]
        row = await conn.fetchrow(_upsert_sql(targets))
        return WriteResult(inserted=int(row["inserted"]), updated=int(row["updated"]))


def _upsert_sql(targets: list[str]) -> str:
    """Insert new codes; update known ones only where a written column differs (xmax = 0: inserted)."""
    columns = ", ".join(_INSERTED)
    assignments = ", ".join(f"{target} = excluded.{target}" for target in targets)
    changed = " OR ".join(f"r.{target} IS DISTINCT FROM excluded.{target}" for target in targets)
    # Every interpolated name comes from this module's constants, never from the file.
    return f"""
        WITH upserted AS (
            INSERT INTO representative AS r ({columns})
            SELECT {columns} FROM import_staging ORDER BY line
            ON CONFLICT (code) DO UPDATE SET {assignments}, updated_at = now()
            WHERE {changed}
            RETURNING (xmax = 0) AS created
        )
        SELECT count(*) FILTER (WHERE created) AS inserted, count(*) FILTER (WHERE NOT created) AS updated
        FROM upserted
        """  # noqa: S608
