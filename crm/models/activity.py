"""What happens between MarFanet and a representative: interactions, voice notes, tickets."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from crm.enums import (
    Channel,
    Direction,
    Outcome,
    SentimentLabel,
    TicketCategory,
    TicketEventKind,
    TicketPriority,
    TicketStatus,
    VoiceFailure,
    VoiceNoteStatus,
    values,
)
from crm.models.base import Base, CreatedAt, IntPK, UpdatedAt, in_list


class VoiceNote(Base):
    __tablename__ = "voice_note"
    __table_args__ = (
        CheckConstraint(in_list("status", values(VoiceNoteStatus)), name="status"),
        CheckConstraint("size_bytes >= 0", name="size_non_negative"),
        CheckConstraint("duration_s IS NULL OR duration_s >= 0", name="duration_non_negative"),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        CheckConstraint("status <> 'done' OR transcript IS NOT NULL", name="done_has_transcript"),
        CheckConstraint("status <> 'failed' OR error IS NOT NULL", name="failed_has_error"),
        CheckConstraint(
            f"failure_code IS NULL OR {in_list('failure_code', values(VoiceFailure))}", name="failure_code"
        ),
        CheckConstraint(
            "NOT from_representative OR representative_id IS NOT NULL", name="from_representative_known"
        ),
        # Resume on start-up and the worker queue: only unfinished notes.
        Index(
            "ix_voice_note_status_received_at",
            "status",
            "received_at",
            postgresql_where=text("status IN ('received', 'transcribing')"),
        ),
        # Audio purge job: notes whose audio is still on disk, oldest first.
        Index(
            "ix_voice_note_audio_retained",
            "received_at",
            postgresql_where=text("audio_path IS NOT NULL AND audio_purged_at IS NULL"),
        ),
    )

    id: Mapped[IntPK]
    file_unique_id: Mapped[str] = mapped_column(String(128), unique=True)
    file_id: Mapped[str] = mapped_column(Text)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("crt_agent.id", ondelete="SET NULL"))
    representative_id: Mapped[int | None] = mapped_column(
        ForeignKey("representative.id", ondelete="SET NULL"), index=True
    )
    # The representative sent it to the bot themselves; the agent (if any) only receives its status.
    from_representative: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    status_message_id: Mapped[int | None] = mapped_column(BigInteger)
    mime_type: Mapped[str | None] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    duration_s: Mapped[float | None] = mapped_column(Float)
    audio_path: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), server_default=VoiceNoteStatus.RECEIVED.value)
    transcript: Mapped[str | None] = mapped_column(Text)
    transcript_corrected: Mapped[str | None] = mapped_column(Text)
    segments: Mapped[list[Any] | None]
    language: Mapped[str | None] = mapped_column(String(8))
    confidence: Mapped[float | None] = mapped_column(Float)
    model: Mapped[str | None] = mapped_column(String(120))
    error: Mapped[str | None] = mapped_column(Text)
    failure_code: Mapped[str | None] = mapped_column(String(16))
    # The transcript as an AI output, which 👍/👎 feedback attaches to.
    suggestion_id: Mapped[int | None] = mapped_column(ForeignKey("ai_suggestion.id", ondelete="SET NULL"))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    received_at: Mapped[CreatedAt]
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    audio_purged_at: Mapped[dt.datetime | None]


class Interaction(Base):
    __tablename__ = "interaction"
    __table_args__ = (
        CheckConstraint(in_list("channel", values(Channel)), name="channel"),
        CheckConstraint(in_list("direction", values(Direction)), name="direction"),
        CheckConstraint(f"outcome IS NULL OR {in_list('outcome', values(Outcome))}", name="outcome"),
        CheckConstraint(
            f"sentiment_label IS NULL OR {in_list('sentiment_label', values(SentimentLabel))}",
            name="sentiment_label",
        ),
        CheckConstraint(
            "sentiment_score IS NULL OR sentiment_score BETWEEN -1 AND 1", name="sentiment_score_range"
        ),
        CheckConstraint("(sentiment_label IS NULL) = (sentiment_score IS NULL)", name="sentiment_complete"),
        # Text CRT sent is never the representative's emotion.
        CheckConstraint(
            "NOT crt_authored OR (sentiment_label IS NULL AND sentiment_score IS NULL AND emotions IS NULL "
            "AND sentiment_engine IS NULL)",
            name="crt_authored_unscored",
        ),
        CheckConstraint(
            "length(btrim(source)) > 0 AND length(btrim(idempotency_key)) > 0", name="idempotency"
        ),
        UniqueConstraint("source", "idempotency_key"),
        # Rep card and call prep: the latest interactions of one representative.
        Index("ix_interaction_representative_id_occurred_at", "representative_id", text("occurred_at DESC")),
        # Agent activity digests.
        Index("ix_interaction_agent_id_occurred_at", "agent_id", "occurred_at"),
        # Sentiment backfill: the representative's words still without an analysis.
        Index(
            "ix_interaction_unscored",
            "id",
            postgresql_where=text("sentiment_label IS NULL AND NOT crt_authored"),
        ),
    )

    id: Mapped[IntPK]
    representative_id: Mapped[int] = mapped_column(ForeignKey("representative.id", ondelete="CASCADE"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("crt_agent.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(8))
    occurred_at: Mapped[dt.datetime]
    summary: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(24))
    sentiment_label: Mapped[str | None] = mapped_column(String(8))
    sentiment_score: Mapped[Decimal | None] = mapped_column(Numeric(4, 3))
    sentiment_confidence: Mapped[float | None] = mapped_column(Float)
    emotions: Mapped[dict[str, Any] | None]
    signals: Mapped[list[Any] | None]
    sentiment_engine: Mapped[str | None] = mapped_column(String(64))
    # A message CRT sent verbatim (a sent draft, an agent's answer): its text is ours, not the rep's.
    crt_authored: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    voice_note_id: Mapped[int | None] = mapped_column(
        ForeignKey("voice_note.id", ondelete="SET NULL"), unique=True
    )
    ai_suggestion_id: Mapped[int | None] = mapped_column(
        ForeignKey("ai_suggestion.id", ondelete="SET NULL"), index=True
    )
    source: Mapped[str] = mapped_column(String(32))
    idempotency_key: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[CreatedAt]


class Ticket(Base):
    __tablename__ = "ticket"
    __table_args__ = (
        CheckConstraint(in_list("category", values(TicketCategory)), name="category"),
        CheckConstraint(in_list("priority", values(TicketPriority)), name="priority"),
        CheckConstraint(in_list("status", values(TicketStatus)), name="status"),
        CheckConstraint("length(btrim(subject)) > 0", name="subject_not_blank"),
        CheckConstraint(
            "(status IN ('resolved', 'closed')) = (resolved_at IS NOT NULL)",
            name="resolved_at_matches_status",
        ),
        CheckConstraint(
            "status NOT IN ('resolved', 'closed') OR length(btrim(coalesce(resolution, ''))) > 0",
            name="resolution_required",
        ),
        CheckConstraint("sla_due_at > opened_at", name="sla_after_opening"),
        # Rep card / call prep: open tickets of one representative.
        Index("ix_ticket_representative_id_status", "representative_id", "status"),
        # SLA watch: open tickets by due time.
        Index(
            "ix_ticket_sla_due_at_open",
            "sla_due_at",
            postgresql_where=text("status IN ('open', 'in_progress', 'waiting_rep')"),
        ),
    )

    id: Mapped[IntPK]
    external_ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    representative_id: Mapped[int] = mapped_column(ForeignKey("representative.id", ondelete="CASCADE"))
    opened_by_agent_id: Mapped[int | None] = mapped_column(ForeignKey("crt_agent.id", ondelete="SET NULL"))
    assigned_agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("crt_agent.id", ondelete="SET NULL"), index=True
    )
    category: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(8), server_default="normal")
    status: Mapped[str] = mapped_column(String(16), server_default="open")
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    resolution: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[dt.datetime]
    sla_due_at: Mapped[dt.datetime]
    resolved_at: Mapped[dt.datetime | None]
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]


class TicketEvent(Base):
    __tablename__ = "ticket_event"
    __table_args__ = (
        CheckConstraint(in_list("kind", values(TicketEventKind)), name="kind"),
        CheckConstraint(
            "kind <> 'status_change' OR (from_status IS NOT NULL AND to_status IS NOT NULL)",
            name="status_change_complete",
        ),
        CheckConstraint(
            "kind <> 'comment' OR length(btrim(coalesce(body, ''))) > 0", name="comment_has_body"
        ),
        # A ticket's timeline.
        Index("ix_ticket_event_ticket_id_created_at", "ticket_id", "created_at"),
    )

    id: Mapped[IntPK]
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"))
    actor_agent_id: Mapped[int | None] = mapped_column(ForeignKey("crt_agent.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[CreatedAt]
