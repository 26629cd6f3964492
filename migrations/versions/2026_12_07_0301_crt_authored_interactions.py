"""Interactions CRT wrote: text we sent to a representative is never scored as their emotion.

Revision ID: 20261207_0301
Revises: 20261127_0201
Create Date: 2026-12-07

``interaction.crt_authored`` marks a message CRT sent verbatim (a /draft sent from the bot, an agent's
answer to a representative's reply). Only the representative's own words (their messages, voice notes,
their side of a call as the agent noted it) feed sentiment, the emotional arc, triggers and
communication preferences, so such rows carry no sentiment (a CHECK) and the backfill never reaches
them (its partial index leaves them out). Rows written before this revision by the two sending paths are
marked and their sentiment is cleared.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_0301"
down_revision: str | None = "20261127_0201"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NO_SENTIMENT = (
    "NOT crt_authored OR (sentiment_label IS NULL AND sentiment_score IS NULL AND emotions IS NULL "
    "AND sentiment_engine IS NULL)"
)


def upgrade() -> None:
    op.add_column(
        "interaction",
        sa.Column("crt_authored", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.execute(
        "UPDATE interaction SET crt_authored = true, sentiment_label = NULL, sentiment_score = NULL, "
        "sentiment_confidence = NULL, emotions = NULL, signals = NULL, sentiment_engine = NULL "
        "WHERE source IN ('kb_draft', 'telegram_answer')"
    )
    op.create_check_constraint(op.f("ck_interaction_crt_authored_unscored"), "interaction", NO_SENTIMENT)
    op.drop_index("ix_interaction_unscored", table_name="interaction")
    op.create_index(
        "ix_interaction_unscored",
        "interaction",
        ["id"],
        unique=False,
        postgresql_where=sa.text("sentiment_label IS NULL AND NOT crt_authored"),
    )


def downgrade() -> None:
    op.drop_index("ix_interaction_unscored", table_name="interaction")
    op.create_index(
        "ix_interaction_unscored",
        "interaction",
        ["id"],
        unique=False,
        postgresql_where=sa.text("sentiment_label IS NULL"),
    )
    op.drop_constraint(op.f("ck_interaction_crt_authored_unscored"), "interaction", type_="check")
    op.drop_column("interaction", "crt_authored")
