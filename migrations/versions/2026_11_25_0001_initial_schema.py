"""Initial schema: the CRM core, AI outputs, knowledge, nudges, dedupe and audit.

Revision ID: 20261125_0001
Revises:
Create Date: 2026-11-25

Besides the tables, a trigger enforces the allowed ticket status transitions in the database,
mirroring crm.enums.TICKET_TRANSITIONS (a test keeps the two in step).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "20261125_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TICKET_TRANSITION_FUNCTION = """
CREATE FUNCTION ticket_status_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status AND (OLD.status, NEW.status) NOT IN (
        ('open', 'in_progress'), ('open', 'waiting_rep'), ('open', 'resolved'),
        ('in_progress', 'open'), ('in_progress', 'waiting_rep'), ('in_progress', 'resolved'),
        ('waiting_rep', 'in_progress'), ('waiting_rep', 'resolved'),
        ('resolved', 'closed'), ('resolved', 'open')
    ) THEN
        RAISE EXCEPTION 'ticket % cannot move from % to %', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ticket_status_transition';
    END IF;
    RETURN NEW;
END
$$;
"""

TICKET_TRANSITION_TRIGGER = """
CREATE TRIGGER ticket_status_transition BEFORE UPDATE OF status ON ticket
FOR EACH ROW EXECUTE FUNCTION ticket_status_transition();
"""


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("actor_type", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=True),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "actor_type IN ('agent', 'representative', 'system', 'cli', 'stranger')",
            name=op.f("ck_audit_log_actor_type"),
        ),
        sa.CheckConstraint("length(btrim(action)) > 0", name=op.f("ck_audit_log_action_not_blank")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(
        "ix_audit_log_entity_entity_id_created_at",
        "audit_log",
        ["entity", "entity_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "crt_agent",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("full_name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=16), server_default="agent", nullable=False),
        sa.Column("locale", sa.String(length=2), server_default="fa", nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("locale IN ('fa', 'en')", name=op.f("ck_crt_agent_locale")),
        sa.CheckConstraint("role IN ('agent', 'supervisor', 'admin')", name=op.f("ck_crt_agent_role")),
        sa.CheckConstraint("telegram_user_id > 0", name=op.f("ck_crt_agent_telegram_user_id_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crt_agent")),
        sa.UniqueConstraint("telegram_user_id", name=op.f("uq_crt_agent_telegram_user_id")),
    )
    op.create_table(
        "knowledge_document",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("doc_id", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=16), server_default="file", nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="active", nullable=False),
        sa.Column("chunk_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "meta",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("ingested_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("checksum ~ '^[0-9a-f]{64}$'", name=op.f("ck_knowledge_document_checksum_sha256")),
        sa.CheckConstraint("source IN ('file', 'ticket_faq')", name=op.f("ck_knowledge_document_source")),
        sa.CheckConstraint(
            "status IN ('active', 'pending', 'rejected')", name=op.f("ck_knowledge_document_status")
        ),
        sa.CheckConstraint("chunk_count >= 0", name=op.f("ck_knowledge_document_chunk_count_non_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_document")),
        sa.UniqueConstraint("doc_id", name=op.f("uq_knowledge_document_doc_id")),
    )
    op.create_index(
        "ix_knowledge_document_status_source", "knowledge_document", ["status", "source"], unique=False
    )
    op.create_table(
        "llm_call",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("template_id", sa.String(length=64), nullable=False),
        sa.Column("template_version", sa.String(length=16), nullable=False),
        sa.Column("model", sa.String(length=120), nullable=False),
        sa.Column("engine", sa.String(length=64), nullable=False),
        sa.Column("tokens_in", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("tokens_out", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("cost_usd", sa.Numeric(precision=12, scale=6), server_default=sa.text("0"), nullable=False),
        sa.Column("latency_ms", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("attempts", sa.SmallInteger(), server_default=sa.text("1"), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("cache_hit", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('ok', 'error', 'invalid', 'timeout', 'rate_limited', 'breaker_open', 'cost_cap', 'cache_hit')",
            name=op.f("ck_llm_call_status"),
        ),
        sa.CheckConstraint("cost_usd >= 0", name=op.f("ck_llm_call_cost_non_negative")),
        sa.CheckConstraint("latency_ms >= 0", name=op.f("ck_llm_call_latency_non_negative")),
        sa.CheckConstraint(
            "tokens_in >= 0 AND tokens_out >= 0", name=op.f("ck_llm_call_tokens_non_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_llm_call")),
    )
    op.create_index("ix_llm_call_created_at", "llm_call", ["created_at"], unique=False)
    op.create_table(
        "processed_update",
        sa.Column("bot_id", sa.BigInteger(), nullable=False),
        sa.Column("update_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "processed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("bot_id", "update_id", name=op.f("pk_processed_update")),
    )
    op.create_table(
        "service_tier",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("monthly_price_toman", sa.Numeric(precision=16, scale=0), nullable=False),
        sa.Column(
            "price_per_user_toman",
            sa.Numeric(precision=16, scale=0),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column("user_limit", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("monthly_price_toman > 0", name=op.f("ck_service_tier_monthly_price_positive")),
        sa.CheckConstraint(
            "price_per_user_toman >= 0", name=op.f("ck_service_tier_price_per_user_non_negative")
        ),
        sa.CheckConstraint("user_limit > 0", name=op.f("ck_service_tier_user_limit_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_tier")),
        sa.UniqueConstraint("code", name=op.f("uq_service_tier_code")),
    )
    op.create_table(
        "nudge_campaign",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="draft", nullable=False),
        sa.Column(
            "audience_rules",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("template", sa.Text(), nullable=False),
        sa.Column("engine", sa.String(length=64), nullable=True),
        sa.Column("created_by_agent_id", sa.BigInteger(), nullable=True),
        sa.Column("decided_by_agent_id", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status <> 'rejected' OR rejection_reason IS NOT NULL",
            name=op.f("ck_nudge_campaign_rejection_has_reason"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'pending_approval', 'approved', 'rejected', 'scheduled', 'sending', 'done', 'cancelled')",
            name=op.f("ck_nudge_campaign_status"),
        ),
        sa.CheckConstraint(
            "status NOT IN ('approved', 'scheduled', 'sending', 'done') OR decided_by_agent_id IS NOT NULL",
            name=op.f("ck_nudge_campaign_approval_has_decider"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_agent_id"],
            ["crt_agent.id"],
            name=op.f("fk_nudge_campaign_created_by_agent_id_crt_agent"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_agent_id"],
            ["crt_agent.id"],
            name=op.f("fk_nudge_campaign_decided_by_agent_id_crt_agent"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nudge_campaign")),
    )
    op.create_index(
        "ix_nudge_campaign_status_scheduled_for", "nudge_campaign", ["status", "scheduled_for"], unique=False
    )
    op.create_table(
        "representative",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("full_name", sa.String(length=160), nullable=False),
        sa.Column("name_key", sa.Text(), nullable=False),
        sa.Column("name_trigrams", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=True),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=True),
        sa.Column("city", sa.String(length=80), nullable=True),
        sa.Column("province", sa.String(length=80), nullable=True),
        sa.Column("tier_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="active", nullable=False),
        sa.Column("assigned_agent_id", sa.BigInteger(), nullable=True),
        sa.Column("marzban_admin_username", sa.String(length=64), nullable=True),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("nudges_opt_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("profiling_opt_out", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("unreachable_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("code ~ '^[A-Z0-9][A-Z0-9_-]{1,31}$'", name=op.f("ck_representative_code_format")),
        sa.CheckConstraint("phone ~ '^\\+98[1-9][0-9]{9}$'", name=op.f("ck_representative_phone_e164")),
        sa.CheckConstraint(
            "status IN ('active', 'paused', 'churned')", name=op.f("ck_representative_status")
        ),
        sa.CheckConstraint(
            "length(btrim(full_name)) > 0", name=op.f("ck_representative_full_name_not_blank")
        ),
        sa.CheckConstraint("telegram_user_id > 0", name=op.f("ck_representative_telegram_user_id_positive")),
        sa.ForeignKeyConstraint(
            ["assigned_agent_id"],
            ["crt_agent.id"],
            name=op.f("fk_representative_assigned_agent_id_crt_agent"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tier_id"],
            ["service_tier.id"],
            name=op.f("fk_representative_tier_id_service_tier"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_representative")),
        sa.UniqueConstraint("code", name=op.f("uq_representative_code")),
        sa.UniqueConstraint("phone", name=op.f("uq_representative_phone")),
        sa.UniqueConstraint("telegram_user_id", name=op.f("uq_representative_telegram_user_id")),
    )
    op.create_index(
        "ix_representative_assigned_agent_id_status",
        "representative",
        ["assigned_agent_id", "status"],
        unique=False,
    )
    op.create_index(
        "ix_representative_name_trigrams",
        "representative",
        ["name_trigrams"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_table(
        "ai_suggestion",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("representative_id", sa.BigInteger(), nullable=True),
        sa.Column("agent_id", sa.BigInteger(), nullable=True),
        sa.Column("engine", sa.String(length=64), nullable=False),
        sa.Column("prompt_id", sa.String(length=64), nullable=True),
        sa.Column("prompt_version", sa.String(length=16), nullable=True),
        sa.Column("prompt_variant", sa.String(length=32), nullable=True),
        sa.Column("fallback_reason", sa.String(length=32), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.Column("content", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "evidence",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "kind IN ('call_prep', 'transcript', 'kb_answer', 'troubleshoot', 'draft', 'sentiment', 'nudge_draft', 'arc')",
            name=op.f("ck_ai_suggestion_kind"),
        ),
        sa.CheckConstraint("length(btrim(engine)) > 0", name=op.f("ck_ai_suggestion_engine_not_blank")),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["crt_agent.id"],
            name=op.f("fk_ai_suggestion_agent_id_crt_agent"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["representative_id"],
            ["representative.id"],
            name=op.f("fk_ai_suggestion_representative_id_representative"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_suggestion")),
    )
    op.create_index(
        "ix_ai_suggestion_representative_id_kind_fingerprint",
        "ai_suggestion",
        ["representative_id", "kind", "fingerprint"],
        unique=False,
    )
    op.create_table(
        "invoice",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("representative_id", sa.BigInteger(), nullable=False),
        sa.Column("amount_toman", sa.Numeric(precision=16, scale=0), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=8), server_default="open", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(status = 'paid') = (paid_at IS NOT NULL)", name=op.f("ck_invoice_paid_at_matches_status")
        ),
        sa.CheckConstraint("status IN ('open', 'paid', 'overdue', 'void')", name=op.f("ck_invoice_status")),
        sa.CheckConstraint("amount_toman > 0", name=op.f("ck_invoice_amount_positive")),
        sa.CheckConstraint("due_at >= issued_at", name=op.f("ck_invoice_due_after_issue")),
        sa.ForeignKeyConstraint(
            ["representative_id"],
            ["representative.id"],
            name=op.f("fk_invoice_representative_id_representative"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice")),
        sa.UniqueConstraint("number", name=op.f("uq_invoice_number")),
    )
    op.create_index(
        "ix_invoice_representative_id_issued_at",
        "invoice",
        ["representative_id", sa.literal_column("issued_at DESC")],
        unique=False,
    )
    op.create_table(
        "nudge_message",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("representative_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("telegram_message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status <> 'sent' OR sent_at IS NOT NULL", name=op.f("ck_nudge_message_sent_has_time")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed', 'skipped')",
            name=op.f("ck_nudge_message_status"),
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_nudge_message_attempts_non_negative")),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["nudge_campaign.id"],
            name=op.f("fk_nudge_message_campaign_id_nudge_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["representative_id"],
            ["representative.id"],
            name=op.f("fk_nudge_message_representative_id_representative"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nudge_message")),
        sa.UniqueConstraint(
            "campaign_id", "representative_id", name=op.f("uq_nudge_message_campaign_id_representative_id")
        ),
    )
    op.create_index(
        "ix_nudge_message_due",
        "nudge_message",
        ["not_before"],
        unique=False,
        postgresql_where=sa.text("status IN ('pending', 'sending')"),
    )
    op.create_index(
        op.f("ix_nudge_message_representative_id"), "nudge_message", ["representative_id"], unique=False
    )
    op.create_table(
        "rep_link_token",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("representative_id", sa.BigInteger(), nullable=False),
        sa.Column("created_by_agent_id", sa.BigInteger(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("expires_at > created_at", name=op.f("ck_rep_link_token_expires_after_creation")),
        sa.ForeignKeyConstraint(
            ["created_by_agent_id"],
            ["crt_agent.id"],
            name=op.f("fk_rep_link_token_created_by_agent_id_crt_agent"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["representative_id"],
            ["representative.id"],
            name=op.f("fk_rep_link_token_representative_id_representative"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rep_link_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_rep_link_token_token_hash")),
    )
    op.create_index(
        op.f("ix_rep_link_token_representative_id"), "rep_link_token", ["representative_id"], unique=False
    )
    op.create_table(
        "subscription",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("representative_id", sa.BigInteger(), nullable=False),
        sa.Column("tier_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="active", nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("price_toman", sa.Numeric(precision=16, scale=0), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'expired', 'cancelled')", name=op.f("ck_subscription_status")
        ),
        sa.CheckConstraint(
            "ends_at IS NULL OR ends_at > started_at", name=op.f("ck_subscription_ends_after_start")
        ),
        sa.CheckConstraint("price_toman > 0", name=op.f("ck_subscription_price_positive")),
        sa.ForeignKeyConstraint(
            ["representative_id"],
            ["representative.id"],
            name=op.f("fk_subscription_representative_id_representative"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tier_id"],
            ["service_tier.id"],
            name=op.f("fk_subscription_tier_id_service_tier"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription")),
    )
    op.create_index(
        "ix_subscription_representative_id_started_at",
        "subscription",
        ["representative_id", "started_at"],
        unique=False,
    )
    op.create_table(
        "ticket",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("external_ref", sa.String(length=64), nullable=True),
        sa.Column("representative_id", sa.BigInteger(), nullable=False),
        sa.Column("opened_by_agent_id", sa.BigInteger(), nullable=True),
        sa.Column("assigned_agent_id", sa.BigInteger(), nullable=True),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.String(length=8), server_default="normal", nullable=False),
        sa.Column("status", sa.String(length=16), server_default="open", nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sla_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(status IN ('resolved', 'closed')) = (resolved_at IS NOT NULL)",
            name=op.f("ck_ticket_resolved_at_matches_status"),
        ),
        sa.CheckConstraint(
            "category IN ('connectivity', 'billing', 'panel', 'setup', 'sales', 'other')",
            name=op.f("ck_ticket_category"),
        ),
        sa.CheckConstraint(
            "priority IN ('low', 'normal', 'high', 'urgent')", name=op.f("ck_ticket_priority")
        ),
        sa.CheckConstraint(
            "status IN ('open', 'in_progress', 'waiting_rep', 'resolved', 'closed')",
            name=op.f("ck_ticket_status"),
        ),
        sa.CheckConstraint(
            "status NOT IN ('resolved', 'closed') OR length(btrim(coalesce(resolution, ''))) > 0",
            name=op.f("ck_ticket_resolution_required"),
        ),
        sa.CheckConstraint("length(btrim(subject)) > 0", name=op.f("ck_ticket_subject_not_blank")),
        sa.CheckConstraint("sla_due_at > opened_at", name=op.f("ck_ticket_sla_after_opening")),
        sa.ForeignKeyConstraint(
            ["assigned_agent_id"],
            ["crt_agent.id"],
            name=op.f("fk_ticket_assigned_agent_id_crt_agent"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["opened_by_agent_id"],
            ["crt_agent.id"],
            name=op.f("fk_ticket_opened_by_agent_id_crt_agent"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["representative_id"],
            ["representative.id"],
            name=op.f("fk_ticket_representative_id_representative"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket")),
        sa.UniqueConstraint("external_ref", name=op.f("uq_ticket_external_ref")),
    )
    op.create_index(op.f("ix_ticket_assigned_agent_id"), "ticket", ["assigned_agent_id"], unique=False)
    op.create_index(
        "ix_ticket_representative_id_status", "ticket", ["representative_id", "status"], unique=False
    )
    op.create_index(
        "ix_ticket_sla_due_at_open",
        "ticket",
        ["sla_due_at"],
        unique=False,
        postgresql_where=sa.text("status IN ('open', 'in_progress', 'waiting_rep')"),
    )
    op.create_table(
        "usage_snapshot",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("representative_id", sa.BigInteger(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active_users", sa.Integer(), nullable=False),
        sa.Column("total_users", sa.Integer(), nullable=False),
        sa.Column("traffic_bytes", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("active_users >= 0", name=op.f("ck_usage_snapshot_active_users_non_negative")),
        sa.CheckConstraint("total_users >= active_users", name=op.f("ck_usage_snapshot_total_covers_active")),
        sa.CheckConstraint("traffic_bytes >= 0", name=op.f("ck_usage_snapshot_traffic_non_negative")),
        sa.ForeignKeyConstraint(
            ["representative_id"],
            ["representative.id"],
            name=op.f("fk_usage_snapshot_representative_id_representative"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_snapshot")),
        sa.UniqueConstraint(
            "representative_id", "taken_at", name=op.f("uq_usage_snapshot_representative_id_taken_at")
        ),
    )
    op.create_table(
        "voice_note",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("file_unique_id", sa.String(length=128), nullable=False),
        sa.Column("file_id", sa.Text(), nullable=False),
        sa.Column("agent_id", sa.BigInteger(), nullable=True),
        sa.Column("representative_id", sa.BigInteger(), nullable=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("status_message_id", sa.BigInteger(), nullable=True),
        sa.Column("mime_type", sa.String(length=64), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("audio_path", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="received", nullable=False),
        sa.Column("transcript", sa.Text(), nullable=True),
        sa.Column("transcript_corrected", sa.Text(), nullable=True),
        sa.Column("segments", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("model", sa.String(length=120), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("audio_purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status <> 'done' OR transcript IS NOT NULL", name=op.f("ck_voice_note_done_has_transcript")
        ),
        sa.CheckConstraint(
            "status <> 'failed' OR error IS NOT NULL", name=op.f("ck_voice_note_failed_has_error")
        ),
        sa.CheckConstraint(
            "status IN ('received', 'transcribing', 'done', 'failed')", name=op.f("ck_voice_note_status")
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_voice_note_attempts_non_negative")),
        sa.CheckConstraint(
            "duration_s IS NULL OR duration_s >= 0", name=op.f("ck_voice_note_duration_non_negative")
        ),
        sa.CheckConstraint("size_bytes >= 0", name=op.f("ck_voice_note_size_non_negative")),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["crt_agent.id"], name=op.f("fk_voice_note_agent_id_crt_agent"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["representative_id"],
            ["representative.id"],
            name=op.f("fk_voice_note_representative_id_representative"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_note")),
        sa.UniqueConstraint("file_unique_id", name=op.f("uq_voice_note_file_unique_id")),
    )
    op.create_index(
        op.f("ix_voice_note_representative_id"), "voice_note", ["representative_id"], unique=False
    )
    op.create_index(
        "ix_voice_note_status_received_at",
        "voice_note",
        ["status", "received_at"],
        unique=False,
        postgresql_where=sa.text("status IN ('received', 'transcribing')"),
    )
    op.create_table(
        "ai_feedback",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("suggestion_id", sa.BigInteger(), nullable=False),
        sa.Column("agent_id", sa.BigInteger(), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "reason IS NULL OR reason IN ('inaccurate', 'irrelevant', 'wrong_tone', 'too_long', 'outdated', 'other')",
            name=op.f("ck_ai_feedback_reason"),
        ),
        sa.CheckConstraint("rating IN (-1, 1)", name=op.f("ck_ai_feedback_rating")),
        sa.CheckConstraint(
            "reason IS NULL OR rating = -1", name=op.f("ck_ai_feedback_reason_only_on_downvote")
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["crt_agent.id"], name=op.f("fk_ai_feedback_agent_id_crt_agent"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["suggestion_id"],
            ["ai_suggestion.id"],
            name=op.f("fk_ai_feedback_suggestion_id_ai_suggestion"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_feedback")),
        sa.UniqueConstraint("suggestion_id", "agent_id", name=op.f("uq_ai_feedback_suggestion_id_agent_id")),
    )
    op.create_index(op.f("ix_ai_feedback_agent_id"), "ai_feedback", ["agent_id"], unique=False)
    op.create_table(
        "interaction",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("representative_id", sa.BigInteger(), nullable=False),
        sa.Column("agent_id", sa.BigInteger(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(length=24), nullable=True),
        sa.Column("sentiment_label", sa.String(length=8), nullable=True),
        sa.Column("sentiment_score", sa.Numeric(precision=4, scale=3), nullable=True),
        sa.Column("sentiment_confidence", sa.Float(), nullable=True),
        sa.Column("emotions", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("signals", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("sentiment_engine", sa.String(length=64), nullable=True),
        sa.Column("voice_note_id", sa.BigInteger(), nullable=True),
        sa.Column("ai_suggestion_id", sa.BigInteger(), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "channel IN ('call', 'telegram', 'voice_note', 'email', 'in_person')",
            name=op.f("ck_interaction_channel"),
        ),
        sa.CheckConstraint("direction IN ('inbound', 'outbound')", name=op.f("ck_interaction_direction")),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('reached', 'no_answer', 'resolved', 'follow_up', 'escalated', 'promised_payment', 'upsell_interest', 'complaint')",
            name=op.f("ck_interaction_outcome"),
        ),
        sa.CheckConstraint(
            "sentiment_label IS NULL OR sentiment_label IN ('positive', 'neutral', 'negative')",
            name=op.f("ck_interaction_sentiment_label"),
        ),
        sa.CheckConstraint(
            "(sentiment_label IS NULL) = (sentiment_score IS NULL)",
            name=op.f("ck_interaction_sentiment_complete"),
        ),
        sa.CheckConstraint(
            "length(btrim(source)) > 0 AND length(btrim(idempotency_key)) > 0",
            name=op.f("ck_interaction_idempotency"),
        ),
        sa.CheckConstraint(
            "sentiment_score IS NULL OR sentiment_score BETWEEN -1 AND 1",
            name=op.f("ck_interaction_sentiment_score_range"),
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["crt_agent.id"],
            name=op.f("fk_interaction_agent_id_crt_agent"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ai_suggestion_id"],
            ["ai_suggestion.id"],
            name=op.f("fk_interaction_ai_suggestion_id_ai_suggestion"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["representative_id"],
            ["representative.id"],
            name=op.f("fk_interaction_representative_id_representative"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["voice_note_id"],
            ["voice_note.id"],
            name=op.f("fk_interaction_voice_note_id_voice_note"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interaction")),
        sa.UniqueConstraint("source", "idempotency_key", name=op.f("uq_interaction_source_idempotency_key")),
        sa.UniqueConstraint("voice_note_id", name=op.f("uq_interaction_voice_note_id")),
    )
    op.create_index(
        "ix_interaction_agent_id_occurred_at", "interaction", ["agent_id", "occurred_at"], unique=False
    )
    op.create_index(
        op.f("ix_interaction_ai_suggestion_id"), "interaction", ["ai_suggestion_id"], unique=False
    )
    op.create_index(
        "ix_interaction_representative_id_occurred_at",
        "interaction",
        ["representative_id", sa.literal_column("occurred_at DESC")],
        unique=False,
    )
    op.create_index(
        "ix_interaction_unscored",
        "interaction",
        ["id"],
        unique=False,
        postgresql_where=sa.text("sentiment_label IS NULL"),
    )
    op.create_table(
        "payment",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("representative_id", sa.BigInteger(), nullable=False),
        sa.Column("invoice_id", sa.BigInteger(), nullable=True),
        sa.Column("amount_toman", sa.Numeric(precision=16, scale=0), nullable=False),
        sa.Column("method", sa.String(length=16), server_default="card", nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "method IN ('card', 'wallet', 'bank_transfer', 'crypto', 'other')", name=op.f("ck_payment_method")
        ),
        sa.CheckConstraint("amount_toman > 0", name=op.f("ck_payment_amount_positive")),
        sa.CheckConstraint("length(btrim(reference)) > 0", name=op.f("ck_payment_reference_not_blank")),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoice.id"], name=op.f("fk_payment_invoice_id_invoice"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["representative_id"],
            ["representative.id"],
            name=op.f("fk_payment_representative_id_representative"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment")),
        sa.UniqueConstraint("reference", name=op.f("uq_payment_reference")),
    )
    op.create_index(op.f("ix_payment_invoice_id"), "payment", ["invoice_id"], unique=False)
    op.create_index(
        "ix_payment_representative_id_paid_at",
        "payment",
        ["representative_id", sa.literal_column("paid_at DESC")],
        unique=False,
    )
    op.create_table(
        "ticket_event",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("actor_agent_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "kind <> 'comment' OR length(btrim(coalesce(body, ''))) > 0",
            name=op.f("ck_ticket_event_comment_has_body"),
        ),
        sa.CheckConstraint(
            "kind <> 'status_change' OR (from_status IS NOT NULL AND to_status IS NOT NULL)",
            name=op.f("ck_ticket_event_status_change_complete"),
        ),
        sa.CheckConstraint(
            "kind IN ('created', 'comment', 'status_change', 'assigned')", name=op.f("ck_ticket_event_kind")
        ),
        sa.ForeignKeyConstraint(
            ["actor_agent_id"],
            ["crt_agent.id"],
            name=op.f("fk_ticket_event_actor_agent_id_crt_agent"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["ticket.id"], name=op.f("fk_ticket_event_ticket_id_ticket"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_event")),
    )
    op.create_index(
        "ix_ticket_event_ticket_id_created_at", "ticket_event", ["ticket_id", "created_at"], unique=False
    )
    op.execute(TICKET_TRANSITION_FUNCTION)
    op.execute(TICKET_TRANSITION_TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER ticket_status_transition ON ticket")
    op.execute("DROP FUNCTION ticket_status_transition()")
    op.drop_index("ix_ticket_event_ticket_id_created_at", table_name="ticket_event")
    op.drop_table("ticket_event")
    op.drop_index("ix_payment_representative_id_paid_at", table_name="payment")
    op.drop_index(op.f("ix_payment_invoice_id"), table_name="payment")
    op.drop_table("payment")
    op.drop_index(
        "ix_interaction_unscored",
        table_name="interaction",
        postgresql_where=sa.text("sentiment_label IS NULL"),
    )
    op.drop_index("ix_interaction_representative_id_occurred_at", table_name="interaction")
    op.drop_index(op.f("ix_interaction_ai_suggestion_id"), table_name="interaction")
    op.drop_index("ix_interaction_agent_id_occurred_at", table_name="interaction")
    op.drop_table("interaction")
    op.drop_index(op.f("ix_ai_feedback_agent_id"), table_name="ai_feedback")
    op.drop_table("ai_feedback")
    op.drop_index(
        "ix_voice_note_status_received_at",
        table_name="voice_note",
        postgresql_where=sa.text("status IN ('received', 'transcribing')"),
    )
    op.drop_index(op.f("ix_voice_note_representative_id"), table_name="voice_note")
    op.drop_table("voice_note")
    op.drop_table("usage_snapshot")
    op.drop_index(
        "ix_ticket_sla_due_at_open",
        table_name="ticket",
        postgresql_where=sa.text("status IN ('open', 'in_progress', 'waiting_rep')"),
    )
    op.drop_index("ix_ticket_representative_id_status", table_name="ticket")
    op.drop_index(op.f("ix_ticket_assigned_agent_id"), table_name="ticket")
    op.drop_table("ticket")
    op.drop_index("ix_subscription_representative_id_started_at", table_name="subscription")
    op.drop_table("subscription")
    op.drop_index(op.f("ix_rep_link_token_representative_id"), table_name="rep_link_token")
    op.drop_table("rep_link_token")
    op.drop_index(op.f("ix_nudge_message_representative_id"), table_name="nudge_message")
    op.drop_index(
        "ix_nudge_message_due",
        table_name="nudge_message",
        postgresql_where=sa.text("status IN ('pending', 'sending')"),
    )
    op.drop_table("nudge_message")
    op.drop_index("ix_invoice_representative_id_issued_at", table_name="invoice")
    op.drop_table("invoice")
    op.drop_index("ix_ai_suggestion_representative_id_kind_fingerprint", table_name="ai_suggestion")
    op.drop_table("ai_suggestion")
    op.drop_index("ix_representative_name_trigrams", table_name="representative", postgresql_using="gin")
    op.drop_index("ix_representative_assigned_agent_id_status", table_name="representative")
    op.drop_table("representative")
    op.drop_index("ix_nudge_campaign_status_scheduled_for", table_name="nudge_campaign")
    op.drop_table("nudge_campaign")
    op.drop_table("service_tier")
    op.drop_table("processed_update")
    op.drop_index("ix_llm_call_created_at", table_name="llm_call")
    op.drop_table("llm_call")
    op.drop_index("ix_knowledge_document_status_source", table_name="knowledge_document")
    op.drop_table("knowledge_document")
    op.drop_table("crt_agent")
    op.drop_index("ix_audit_log_entity_entity_id_created_at", table_name="audit_log")
    op.drop_table("audit_log")
