"""AI outputs and their feedback, knowledge documents, and the LLM usage ledger."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from crm.enums import FeedbackReason, KnowledgeSource, KnowledgeStatus, LLMCallStatus, SuggestionKind, values
from crm.models.base import Base, CreatedAt, IntPK, UpdatedAt, in_list


class AISuggestion(Base):
    __tablename__ = "ai_suggestion"
    __table_args__ = (
        CheckConstraint(in_list("kind", values(SuggestionKind)), name="kind"),
        CheckConstraint("length(btrim(engine)) > 0", name="engine_not_blank"),
        # Briefing reuse: the latest suggestion of a kind for a representative with a data fingerprint.
        Index(
            "ix_ai_suggestion_representative_id_kind_fingerprint", "representative_id", "kind", "fingerprint"
        ),
    )

    id: Mapped[IntPK]
    kind: Mapped[str] = mapped_column(String(16))
    representative_id: Mapped[int | None] = mapped_column(ForeignKey("representative.id", ondelete="CASCADE"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("crt_agent.id", ondelete="SET NULL"))
    engine: Mapped[str] = mapped_column(String(64))
    prompt_id: Mapped[str | None] = mapped_column(String(64))
    prompt_version: Mapped[str | None] = mapped_column(String(16))
    prompt_variant: Mapped[str | None] = mapped_column(String(32))
    fallback_reason: Mapped[str | None] = mapped_column(String(32))
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    content: Mapped[dict[str, Any]]
    evidence: Mapped[list[Any]] = mapped_column(server_default=text("'[]'::jsonb"))
    created_at: Mapped[CreatedAt]


class AIFeedback(Base):
    __tablename__ = "ai_feedback"
    __table_args__ = (
        CheckConstraint("rating IN (-1, 1)", name="rating"),
        CheckConstraint(f"reason IS NULL OR {in_list('reason', values(FeedbackReason))}", name="reason"),
        CheckConstraint("reason IS NULL OR rating = -1", name="reason_only_on_downvote"),
        UniqueConstraint("suggestion_id", "agent_id"),
    )

    id: Mapped[IntPK]
    suggestion_id: Mapped[int] = mapped_column(ForeignKey("ai_suggestion.id", ondelete="CASCADE"))
    agent_id: Mapped[int] = mapped_column(ForeignKey("crt_agent.id", ondelete="CASCADE"), index=True)
    rating: Mapped[int] = mapped_column(SmallInteger)
    reason: Mapped[str | None] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]


class KnowledgeDocument(Base):
    __tablename__ = "knowledge_document"
    __table_args__ = (
        CheckConstraint(in_list("source", values(KnowledgeSource)), name="source"),
        CheckConstraint(in_list("status", values(KnowledgeStatus)), name="status"),
        CheckConstraint("chunk_count >= 0", name="chunk_count_non_negative"),
        CheckConstraint("checksum ~ '^[0-9a-f]{64}$'", name="checksum_sha256"),
        # Supervisor review queue of ticket-derived FAQ entries.
        Index("ix_knowledge_document_status_source", "status", "source"),
    )

    id: Mapped[IntPK]
    doc_id: Mapped[str] = mapped_column(Text, unique=True)
    source: Mapped[str] = mapped_column(String(16), server_default=KnowledgeSource.FILE.value)
    title: Mapped[str] = mapped_column(Text)
    checksum: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), server_default=KnowledgeStatus.ACTIVE.value)
    chunk_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    meta: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    ingested_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]


class LLMCall(Base):
    __tablename__ = "llm_call"
    __table_args__ = (
        CheckConstraint(in_list("status", values(LLMCallStatus)), name="status"),
        CheckConstraint("tokens_in >= 0 AND tokens_out >= 0", name="tokens_non_negative"),
        CheckConstraint("cost_usd >= 0", name="cost_non_negative"),
        CheckConstraint("latency_ms >= 0", name="latency_non_negative"),
        # Daily cost cap and `chronos ai status`: today's calls.
        Index("ix_llm_call_created_at", "created_at"),
    )

    id: Mapped[IntPK]
    template_id: Mapped[str] = mapped_column(String(64))
    template_version: Mapped[str] = mapped_column(String(16))
    model: Mapped[str] = mapped_column(String(120))
    engine: Mapped[str] = mapped_column(String(64))
    tokens_in: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    tokens_out: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    cost_usd: Mapped[Decimal] = mapped_column(Numeric(12, 6), server_default=text("0"))
    latency_ms: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    attempts: Mapped[int] = mapped_column(SmallInteger, server_default=text("1"))
    status: Mapped[str] = mapped_column(String(16))
    cache_hit: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[CreatedAt]
