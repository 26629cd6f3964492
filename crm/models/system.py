"""Infrastructure tables: the Telegram update inbox, the outbox of one-off messages, the audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from crm.enums import ActorType, OutboundKind, OutboundStatus, UpdateStatus, values
from crm.models.base import Base, CreatedAt, IntPK, in_list


class UpdateInbox(Base):
    """Every Telegram update, committed before it is handled (docs/architecture.md §2).

    ``received`` rows are unfinished: resumed on start. A row becomes ``handled`` in the same
    transaction as the handler's first commit, and forgets its payload then; ``failed`` rows (the
    handler raised, or the bot kept dying while handling it) keep it, with the error. The primary key
    makes a redelivery a no-op. Finished rows expire after BOT_DEDUPE_RETENTION_HOURS (Telegram never
    redelivers that late, and may reuse ids after a quiet week).
    """

    __tablename__ = "update_inbox"
    __table_args__ = (
        CheckConstraint(in_list("status", values(UpdateStatus)), name="status"),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        CheckConstraint("(status = 'handled') = (payload IS NULL)", name="payload_until_handled"),
        CheckConstraint("(status = 'received') = (finished_at IS NULL)", name="finished_when_not_received"),
        # Resume on start: the bot's unfinished updates, oldest first.
        Index(
            "ix_update_inbox_unfinished",
            "bot_id",
            "update_id",
            postgresql_where=text("status = 'received'"),
        ),
        # The retention prune (jobs.dedupe): finished rows older than BOT_DEDUPE_RETENTION_HOURS.
        Index("ix_update_inbox_finished_at", "finished_at"),
    )

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), server_default=UpdateStatus.RECEIVED.value)
    # Handling attempts started (the first at arrival, one more per resume).
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    # None is SQL NULL (not JSON null): the CHECK reads it.
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))
    last_error: Mapped[str | None] = mapped_column(String(500))
    received_at: Mapped[CreatedAt]
    finished_at: Mapped[dt.datetime | None]


class OutboundMessage(Base):
    """A one-off message to a representative (a /draft sent, an agent's answer), sent through an outbox.

    The claim (``sending``) commits before the Bot API call and the outcome after it, so a crash
    between the two leaves a row that says so: it is reported as sent but unconfirmed and never sent
    again (at-most-once). A refusal releases the claim (``failed``), so a later press may send.
    """

    __tablename__ = "outbound_message"
    __table_args__ = (
        CheckConstraint(in_list("kind", values(OutboundKind)), name="kind"),
        CheckConstraint(in_list("status", values(OutboundStatus)), name="status"),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        CheckConstraint("length(btrim(body)) > 0", name="body_not_blank"),
        CheckConstraint("length(btrim(key)) > 0", name="key_not_blank"),
        CheckConstraint("status <> 'sending' OR claim_token IS NOT NULL", name="sending_is_claimed"),
        CheckConstraint("status <> 'sent' OR sent_at IS NOT NULL", name="sent_has_time"),
        # A sent row has Telegram's message id, or says why not (in flight when the bot died).
        CheckConstraint(
            "status <> 'sent' OR telegram_message_id IS NOT NULL OR last_error IS NOT NULL",
            name="sent_confirmed_or_explained",
        ),
        # Start-up reconcile: claims a dead process left in flight.
        Index("ix_outbound_message_sending", "claimed_at", postgresql_where=text("status = 'sending'")),
    )

    id: Mapped[IntPK]
    # One message per intent (draft:<suggestion id>, answer:<agent chat>:<agent message>): a second
    # press finds the first claim.
    key: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    # Deleting a representative cascades here.
    representative_id: Mapped[int] = mapped_column(
        ForeignKey("representative.id", ondelete="CASCADE"), index=True
    )
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("crt_agent.id", ondelete="SET NULL"))
    ai_suggestion_id: Mapped[int | None] = mapped_column(ForeignKey("ai_suggestion.id", ondelete="SET NULL"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(String(500))
    # The interaction that records it on the representative (sent, or sent-unconfirmed).
    interaction_id: Mapped[int | None] = mapped_column(ForeignKey("interaction.id", ondelete="SET NULL"))
    created_at: Mapped[CreatedAt]


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
