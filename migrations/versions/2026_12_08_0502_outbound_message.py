"""An outbox for the one-off messages the bot sends a representative (a /draft, an agent's answer).

Revision ID: 20261208_0502
Revises: 20261208_0501
Create Date: 2026-12-08

Both were sent inside the update's transaction or before anything was recorded, so a crash after the
Bot API call left nothing logged and a second press sent the message again. Now a claim (``sending``,
keyed by the intent) commits before the call and the outcome after it; a claim found ``sending`` later
is reported as sent but unconfirmed and never sent again, and a refusal releases it (``failed``).

Drafts sent before this revision were claimed by their interaction (source ``kb_draft``, key
``draft:<suggestion id>``); they are copied in as sent, so pressing an old card's button again still
sends nothing. (Answers were keyed by the message Telegram returned, which no new press can repeat.)
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261208_0502"
down_revision: str | None = "20261208_0501"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SENT_BEFORE = "sent before the outbox existed: Telegram's message id was not kept"


def upgrade() -> None:
    op.create_table(
        "outbound_message",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("representative_id", sa.BigInteger(), nullable=False),
        sa.Column("agent_id", sa.BigInteger(), nullable=True),
        sa.Column("ai_suggestion_id", sa.BigInteger(), nullable=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("telegram_message_id", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("interaction_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("kind IN ('draft', 'answer')", name=op.f("ck_outbound_message_kind")),
        sa.CheckConstraint(
            "status IN ('sending', 'sent', 'failed')", name=op.f("ck_outbound_message_status")
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_outbound_message_attempts_non_negative")),
        sa.CheckConstraint("length(btrim(body)) > 0", name=op.f("ck_outbound_message_body_not_blank")),
        sa.CheckConstraint("length(btrim(key)) > 0", name=op.f("ck_outbound_message_key_not_blank")),
        sa.CheckConstraint(
            "status <> 'sending' OR claim_token IS NOT NULL",
            name=op.f("ck_outbound_message_sending_is_claimed"),
        ),
        sa.CheckConstraint(
            "status <> 'sent' OR sent_at IS NOT NULL", name=op.f("ck_outbound_message_sent_has_time")
        ),
        sa.CheckConstraint(
            "status <> 'sent' OR telegram_message_id IS NOT NULL OR last_error IS NOT NULL",
            name=op.f("ck_outbound_message_sent_confirmed_or_explained"),
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["crt_agent.id"],
            name=op.f("fk_outbound_message_agent_id_crt_agent"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ai_suggestion_id"],
            ["ai_suggestion.id"],
            name=op.f("fk_outbound_message_ai_suggestion_id_ai_suggestion"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interaction.id"],
            name=op.f("fk_outbound_message_interaction_id_interaction"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["representative_id"],
            ["representative.id"],
            name=op.f("fk_outbound_message_representative_id_representative"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_message")),
        sa.UniqueConstraint("key", name=op.f("uq_outbound_message_key")),
    )
    op.create_index(
        op.f("ix_outbound_message_representative_id"), "outbound_message", ["representative_id"], unique=False
    )
    op.create_index(
        "ix_outbound_message_sending",
        "outbound_message",
        ["claimed_at"],
        unique=False,
        postgresql_where=sa.text("status = 'sending'"),
    )
    op.execute(
        sa.text(
            """
            INSERT INTO outbound_message (key, kind, representative_id, agent_id, ai_suggestion_id, chat_id,
                                          body, status, attempts, claimed_at, sent_at, last_error,
                                          interaction_id, created_at)
            SELECT i.idempotency_key, 'draft', i.representative_id, i.agent_id, i.ai_suggestion_id,
                   r.telegram_user_id, i.body, 'sent', 1, i.occurred_at, i.occurred_at, :note, i.id,
                   i.created_at
            FROM interaction AS i JOIN representative AS r ON r.id = i.representative_id
            WHERE i.source = 'kb_draft' AND r.telegram_user_id IS NOT NULL
              AND length(btrim(coalesce(i.body, ''))) > 0
            ON CONFLICT (key) DO NOTHING
            """
        ).bindparams(note=SENT_BEFORE)
    )


def downgrade() -> None:
    op.drop_index("ix_outbound_message_sending", table_name="outbound_message")
    op.drop_index(op.f("ix_outbound_message_representative_id"), table_name="outbound_message")
    op.drop_table("outbound_message")
