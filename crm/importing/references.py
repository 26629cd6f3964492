"""Lookups that turn the codes a CSV uses into database ids.

Representatives, agents and tiers are loaded whole once per import (thousands of rows at most),
so each row resolves its references with a dictionary lookup.
"""

from __future__ import annotations

from typing import Any

from crm.importing.source import CsvRow, RowInvalid
from crm.importing.values import code_cell, telegram_id_cell


async def representative_ids(conn: Any) -> dict[str, int]:
    rows = await conn.fetch("SELECT code, id FROM representative")
    return {row["code"]: row["id"] for row in rows}


async def agent_ids(conn: Any) -> dict[int, int]:
    rows = await conn.fetch("SELECT telegram_user_id, id FROM crt_agent")
    return {row["telegram_user_id"]: row["id"] for row in rows}


async def tier_ids(conn: Any) -> dict[str, int]:
    rows = await conn.fetch("SELECT code, id FROM service_tier")
    return {row["code"]: row["id"] for row in rows}


def representative_cell(row: CsvRow, representatives: dict[str, int]) -> tuple[str, int]:
    """The row's ``rep_code`` in canonical form and the representative's id."""
    code = code_cell(row, "rep_code")
    rep_id = representatives.get(code)
    if rep_id is None:
        raise RowInvalid(f"rep_code: no representative with code {code!r}")
    return code, rep_id


def agent_cell(row: CsvRow, agents: dict[int, int], column: str = "agent_telegram_id") -> int | None:
    """The id of the CRT agent named by Telegram user id in ``column``, or None when blank."""
    telegram_id = telegram_id_cell(row, column)
    return None if telegram_id is None else resolve_agent(agents, telegram_id, column)


def resolve_agent(agents: dict[int, int], telegram_id: int, column: str = "agent_telegram_id") -> int:
    agent_id = agents.get(telegram_id)
    if agent_id is None:
        raise RowInvalid(f"{column}: no CRT agent with Telegram id {telegram_id}")
    return agent_id
