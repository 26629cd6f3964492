"""Voice notes a representative sent to the bot themselves (not forwarded by an agent).

Revision ID: 20261207_0302
Revises: 20261207_0301
Create Date: 2026-12-07

Such a note is transcribed like any other and logged on the representative; its status message goes to
the agent who handles their replies (``agent_id``/``chat_id``, or none when nobody does), and its
interaction answers the latest nudge they got, as a text reply does.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_0302"
down_revision: str | None = "20261207_0301"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "voice_note",
        sa.Column("from_representative", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.create_check_constraint(
        op.f("ck_voice_note_from_representative_known"),
        "voice_note",
        "NOT from_representative OR representative_id IS NOT NULL",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_voice_note_from_representative_known"), "voice_note", type_="check")
    op.drop_column("voice_note", "from_representative")
