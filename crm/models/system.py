"""Infrastructure tables: Telegram update dedupe and the audit trail."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from crm.enums import ActorType, values
from crm.models.base import Base, CreatedAt, IntPK, in_list


class ProcessedUpdate(Base):
    """One row per Telegram update handled; its primary key makes redelivery a no-op. Rows expire after
    the retention window (Telegram never redelivers that late, and may reuse ids after a quiet week)."""

    __tablename__ = "processed_update"
    __table_args__ = (
        # The retention prune (jobs.dedupe): rows older than BOT_DEDUPE_RETENTION_HOURS.
        Index("ix_processed_update_processed_at", "processed_at"),
    )

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    processed_at: Mapped[CreatedAt]


class AuditLog(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        CheckConstraint(in_list("actor_type", values(ActorType)), name="actor_type"),
        CheckConstraint("length(btrim(action)) > 0", name="action_not_blank"),
        # An entity's history (profiling audits, campaign decisions).
        Index("ix_audit_log_entity_entity_id_created_at", "entity", "entity_id", "created_at"),
    )

    id: Mapped[IntPK]
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
    created_at: Mapped[CreatedAt]
