"""Nudge campaigns: revisions, audience snapshot, outbox claim/reply bookkeeping, scheduler job store.

Revision ID: 20261127_0201
Revises: 20261126_0101
Create Date: 2026-11-27

* ``nudge_campaign.revision`` grows on every edit, so an approval card of an older revision is refused.
* ``nudge_message``: the dispatcher run that claimed a row (``claim_token``), drafting provenance
  (``meta``), and what happened after delivery (``replied_at``, ``reply_interaction_id``,
  ``opted_out_at``). A ``sent`` row either has Telegram's message id or says why not (a row that was
  in flight when the dispatcher died is reported as sent but unconfirmed; see docs/nudges.md).
* Schema ``scheduler`` holds APScheduler's job table (created here so migrations stay the only DDL;
  APScheduler's own ``create_all`` then finds it). It is outside ``public`` on purpose: it is not a
  CRM table and the models-match-migrations test compares ``public`` only.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "20261127_0201"
down_revision: str | None = "20261126_0101"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEDULER_SCHEMA = "scheduler"


def upgrade() -> None:
    op.add_column(
        "nudge_campaign", sa.Column("revision", sa.Integer(), server_default=sa.text("1"), nullable=False)
    )
    op.add_column(
        "nudge_campaign",
        sa.Column(
            "audience_stats",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
    )
    op.add_column("nudge_campaign", sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("nudge_campaign", sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True))
    op.create_check_constraint(op.f("ck_nudge_campaign_revision_positive"), "nudge_campaign", "revision >= 1")

    op.add_column("nudge_message", sa.Column("claim_token", sa.String(length=32), nullable=True))
    op.add_column(
        "nudge_message",
        sa.Column(
            "meta",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
    )
    op.add_column("nudge_message", sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("nudge_message", sa.Column("reply_interaction_id", sa.BigInteger(), nullable=True))
    op.add_column("nudge_message", sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=True))
    op.create_foreign_key(
        op.f("fk_nudge_message_reply_interaction_id_interaction"),
        "nudge_message",
        "interaction",
        ["reply_interaction_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_check_constraint(
        op.f("ck_nudge_message_sent_confirmed_or_explained"),
        "nudge_message",
        "status <> 'sent' OR telegram_message_id IS NOT NULL OR last_error IS NOT NULL",
    )
    op.create_check_constraint(
        op.f("ck_nudge_message_body_not_blank"), "nudge_message", "length(btrim(body)) > 0"
    )
    op.create_index("ix_nudge_message_chat_id_sent_at", "nudge_message", ["chat_id", "sent_at"], unique=False)
    op.create_index(
        op.f("ix_nudge_message_campaign_id_status"), "nudge_message", ["campaign_id", "status"], unique=False
    )

    op.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEDULER_SCHEMA}")
    op.create_table(
        "apscheduler_jobs",
        sa.Column("id", sa.Unicode(length=191), nullable=False),
        sa.Column("next_run_time", sa.Float(precision=25), nullable=True),
        sa.Column("job_state", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_apscheduler_jobs"),
        schema=SCHEDULER_SCHEMA,
    )
    op.create_index(
        "ix_apscheduler_jobs_next_run_time",
        "apscheduler_jobs",
        ["next_run_time"],
        unique=False,
        schema=SCHEDULER_SCHEMA,
    )


def downgrade() -> None:
    op.drop_index("ix_apscheduler_jobs_next_run_time", table_name="apscheduler_jobs", schema=SCHEDULER_SCHEMA)
    op.drop_table("apscheduler_jobs", schema=SCHEDULER_SCHEMA)
    op.execute(f"DROP SCHEMA IF EXISTS {SCHEDULER_SCHEMA}")

    op.drop_index(op.f("ix_nudge_message_campaign_id_status"), table_name="nudge_message")
    op.drop_index("ix_nudge_message_chat_id_sent_at", table_name="nudge_message")
    op.drop_constraint(op.f("ck_nudge_message_body_not_blank"), "nudge_message", type_="check")
    op.drop_constraint(op.f("ck_nudge_message_sent_confirmed_or_explained"), "nudge_message", type_="check")
    op.drop_constraint(
        op.f("fk_nudge_message_reply_interaction_id_interaction"), "nudge_message", type_="foreignkey"
    )
    op.drop_column("nudge_message", "opted_out_at")
    op.drop_column("nudge_message", "reply_interaction_id")
    op.drop_column("nudge_message", "replied_at")
    op.drop_column("nudge_message", "meta")
    op.drop_column("nudge_message", "claim_token")

    op.drop_constraint(op.f("ck_nudge_campaign_revision_positive"), "nudge_campaign", type_="check")
    op.drop_column("nudge_campaign", "finished_at")
    op.drop_column("nudge_campaign", "started_at")
    op.drop_column("nudge_campaign", "audience_stats")
    op.drop_column("nudge_campaign", "revision")
