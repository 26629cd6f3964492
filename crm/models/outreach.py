"""Nudge campaigns and their outbox."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from crm.enums import CampaignStatus, NudgeMessageStatus, values
from crm.models.base import Base, CreatedAt, IntPK, UpdatedAt, in_list


class NudgeCampaign(Base):
    __tablename__ = "nudge_campaign"
    __table_args__ = (
        CheckConstraint(in_list("status", values(CampaignStatus)), name="status"),
        CheckConstraint("status <> 'rejected' OR rejection_reason IS NOT NULL", name="rejection_has_reason"),
        CheckConstraint(
            "status NOT IN ('approved', 'scheduled', 'sending', 'done') OR decided_by_agent_id IS NOT NULL",
            name="approval_has_decider",
        ),
        CheckConstraint("revision >= 1", name="revision_positive"),
        # Supervisor queue and the dispatcher: campaigns by state.
        Index("ix_nudge_campaign_status_scheduled_for", "status", "scheduled_for"),
    )

    id: Mapped[IntPK]
    name: Mapped[str] = mapped_column(String(120))
    purpose: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), server_default=CampaignStatus.DRAFT.value)
    audience_rules: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    template: Mapped[str] = mapped_column(Text)
    engine: Mapped[str | None] = mapped_column(String(64))
    created_by_agent_id: Mapped[int | None] = mapped_column(ForeignKey("crt_agent.id", ondelete="SET NULL"))
    decided_by_agent_id: Mapped[int | None] = mapped_column(ForeignKey("crt_agent.id", ondelete="SET NULL"))
    decided_at: Mapped[dt.datetime | None]
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    scheduled_for: Mapped[dt.datetime | None]
    # Grows on every edit: an approval card of an older revision is refused.
    revision: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    # Audience size and exclusion counts when the messages were drafted (shown on the approval card).
    audience_stats: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]


class NudgeMessage(Base):
    __tablename__ = "nudge_message"
    __table_args__ = (
        CheckConstraint(in_list("status", values(NudgeMessageStatus)), name="status"),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        CheckConstraint("status <> 'sent' OR sent_at IS NOT NULL", name="sent_has_time"),
        # A sent row has Telegram's message id, or says why not (in flight when a dispatcher died).
        CheckConstraint(
            "status <> 'sent' OR telegram_message_id IS NOT NULL OR last_error IS NOT NULL",
            name="sent_confirmed_or_explained",
        ),
        CheckConstraint("length(btrim(body)) > 0", name="body_not_blank"),
        UniqueConstraint("campaign_id", "representative_id"),
        # Outbox claim: due pending messages (FOR UPDATE SKIP LOCKED).
        Index(
            "ix_nudge_message_due",
            "not_before",
            postgresql_where=text("status IN ('pending', 'sending')"),
        ),
        # Dispatcher: at most one message per chat per interval (recent sends to a chat).
        Index("ix_nudge_message_chat_id_sent_at", "chat_id", "sent_at"),
        # Campaign results (/campaigns, chronos campaigns list): counts by status.
        Index("ix_nudge_message_campaign_id_status", "campaign_id", "status"),
    )

    id: Mapped[IntPK]
    campaign_id: Mapped[int] = mapped_column(ForeignKey("nudge_campaign.id", ondelete="CASCADE"))
    representative_id: Mapped[int] = mapped_column(
        ForeignKey("representative.id", ondelete="CASCADE"), index=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), server_default=NudgeMessageStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)
    not_before: Mapped[dt.datetime]
    claimed_at: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    # The dispatcher run that claimed the row; a row left in 'sending' by another run is an orphan.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    # Drafting provenance: engine, prompt, the topic and knowledge item used.
    meta: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    replied_at: Mapped[dt.datetime | None]
    reply_interaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("interaction.id", ondelete="SET NULL")
    )
    opted_out_at: Mapped[dt.datetime | None]
    created_at: Mapped[CreatedAt]
