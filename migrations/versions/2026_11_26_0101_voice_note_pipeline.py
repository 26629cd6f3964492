"""Voice note pipeline: why a note failed, the transcript's AI suggestion, and the purge index.

Revision ID: 20261126_0101
Revises: 20261125_0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261126_0101"
down_revision: str | None = "20261125_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FAILURES = (
    "'empty', 'corrupt', 'not_audio', 'silence', 'too_long', 'no_speech', 'too_large', 'download', 'engine'"
)


def upgrade() -> None:
    op.add_column("voice_note", sa.Column("failure_code", sa.String(length=16), nullable=True))
    op.add_column("voice_note", sa.Column("suggestion_id", sa.BigInteger(), nullable=True))
    op.create_check_constraint(
        op.f("ck_voice_note_failure_code"),
        "voice_note",
        f"failure_code IS NULL OR failure_code IN ({FAILURES})",
    )
    op.create_foreign_key(
        op.f("fk_voice_note_suggestion_id_ai_suggestion"),
        "voice_note",
        "ai_suggestion",
        ["suggestion_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_index(
        "ix_voice_note_audio_retained",
        "voice_note",
        ["received_at"],
        unique=False,
        postgresql_where=sa.text("audio_path IS NOT NULL AND audio_purged_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_voice_note_audio_retained",
        table_name="voice_note",
        postgresql_where=sa.text("audio_path IS NOT NULL AND audio_purged_at IS NULL"),
    )
    op.drop_constraint(op.f("fk_voice_note_suggestion_id_ai_suggestion"), "voice_note", type_="foreignkey")
    op.drop_constraint(op.f("ck_voice_note_failure_code"), "voice_note", type_="check")
    op.drop_column("voice_note", "suggestion_id")
    op.drop_column("voice_note", "failure_code")
