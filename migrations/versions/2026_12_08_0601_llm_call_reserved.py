"""LLM calls reserve their most possible cost against the daily cap before they are sent.

Revision ID: 20261208_0601
Revises: 20261208_0401
Create Date: 2026-12-08

A row in ``reserved`` is a call in flight: it holds the call's most possible cost (request and repair,
each with the longest answer) until the call settles to what it really spent, so concurrent calls —
in any process — cannot spend past the cap together.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "20261208_0601"
down_revision: str | None = "20261208_0401"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = ("ok", "error", "invalid", "timeout", "rate_limited", "breaker_open", "cost_cap", "cache_hit")
AFTER = (*BEFORE, "reserved")


def _status_check(statuses: tuple[str, ...]) -> None:
    op.drop_constraint(op.f("ck_llm_call_status"), "llm_call", type_="check")
    listed = ", ".join(f"'{status}'" for status in statuses)
    op.create_check_constraint(op.f("ck_llm_call_status"), "llm_call", f"status IN ({listed})")


def upgrade() -> None:
    _status_check(AFTER)


def downgrade() -> None:
    # A reservation still open at downgrade is settled as an error, keeping the amount it held.
    op.execute(
        "UPDATE llm_call SET status = 'error', error = 'reservation open at downgrade' WHERE status = 'reserved'"
    )
    _status_check(BEFORE)
