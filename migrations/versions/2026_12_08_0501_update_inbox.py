"""A transactional inbox of Telegram updates replaces the ``processed_update`` claims.

Revision ID: 20261208_0501
Revises: 20261208_0601
Create Date: 2026-12-08

aiogram's polling confirmed an update's offset with the next ``getUpdates`` before its handler ran (and
the webhook answered 200 before handling), so an update in flight when the bot died was lost: Telegram
never sent it again. Now every update is committed to ``update_inbox`` (``received``, with its raw
payload) before Telegram is told it arrived; the handler's first commit marks it ``handled`` (payload
dropped); unfinished rows are resumed on start, and a row the bot kept dying on is ``failed`` after a
few attempts. The primary key still makes a redelivery a no-op, so the table absorbs the old claims:
they are copied as ``handled`` (their retention window carries on), and copied back on downgrade.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "20261208_0501"
down_revision: str | None = "20261208_0601"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "update_inbox",
        sa.Column("bot_id", sa.BigInteger(), nullable=False),
        sa.Column("update_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="received", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('received', 'handled', 'failed')", name=op.f("ck_update_inbox_status")
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_update_inbox_attempts_non_negative")),
        sa.CheckConstraint(
            "(status = 'handled') = (payload IS NULL)", name=op.f("ck_update_inbox_payload_until_handled")
        ),
        sa.CheckConstraint(
            "(status = 'received') = (finished_at IS NULL)",
            name=op.f("ck_update_inbox_finished_when_not_received"),
        ),
        sa.PrimaryKeyConstraint("bot_id", "update_id", name=op.f("pk_update_inbox")),
    )
    op.create_index(
        "ix_update_inbox_unfinished",
        "update_inbox",
        ["bot_id", "update_id"],
        unique=False,
        postgresql_where=sa.text("status = 'received'"),
    )
    op.create_index("ix_update_inbox_finished_at", "update_inbox", ["finished_at"], unique=False)
    op.execute(
        "INSERT INTO update_inbox (bot_id, update_id, status, attempts, received_at, finished_at) "
        "SELECT bot_id, update_id, 'handled', 1, processed_at, processed_at FROM processed_update"
    )
    op.drop_index("ix_processed_update_processed_at", table_name="processed_update")
    op.drop_table("processed_update")


def downgrade() -> None:
    op.create_table(
        "processed_update",
        sa.Column("bot_id", sa.BigInteger(), nullable=False),
        sa.Column("update_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "processed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("bot_id", "update_id", name=op.f("pk_processed_update")),
    )
    op.create_index("ix_processed_update_processed_at", "processed_update", ["processed_at"], unique=False)
    # Only handled updates had a claim; a failed or unfinished one had none (it could be redelivered).
    op.execute(
        "INSERT INTO processed_update (bot_id, update_id, processed_at) "
        "SELECT bot_id, update_id, finished_at FROM update_inbox WHERE status = 'handled'"
    )
    op.drop_index("ix_update_inbox_finished_at", table_name="update_inbox")
    op.drop_index("ix_update_inbox_unfinished", table_name="update_inbox")
    op.drop_table("update_inbox")
