"""Update dedupe rows expire: an index for the prune job.

Revision ID: 20261207_0303
Revises: 20261207_0302
Create Date: 2026-12-07

``processed_update`` rows were never deleted. Telegram redelivers an unconfirmed update for at most a
day, and picks a new random update_id sequence after about a week without updates, so rows older than
``BOT_DEDUPE_RETENTION_HOURS`` can only ever block a new update that reuses an old id. The job deletes
them along this index.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "20261207_0303"
down_revision: str | None = "20261207_0302"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_processed_update_processed_at", "processed_update", ["processed_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_processed_update_processed_at", table_name="processed_update")
