"""Interactions and tickets."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from pydantic import Field

from crm.enums import (
    Channel,
    Direction,
    Outcome,
    SentimentLabel,
    TicketCategory,
    TicketPriority,
    TicketStatus,
)
from crm.schemas.types import DTO, OptionalText, PersianText, UtcDatetime


class InteractionCreate(DTO):
    representative_id: int
    agent_id: int | None = None
    channel: Channel
    direction: Direction = Direction.OUTBOUND
    occurred_at: UtcDatetime
    summary: OptionalText = None
    body: OptionalText = None
    outcome: Outcome | None = None
    voice_note_id: int | None = None
    ai_suggestion_id: int | None = None
    crt_authored: bool = False
    """The text is a message CRT sent (a sent draft, an agent's answer): never scored as the rep's."""
    source: str = Field(min_length=1, max_length=32)
    idempotency_key: str = Field(min_length=1, max_length=128)


class InteractionDTO(DTO):
    id: int
    representative_id: int
    agent_id: int | None
    channel: Channel
    direction: Direction
    occurred_at: dt.datetime
    summary: str | None
    body: str | None
    outcome: Outcome | None
    sentiment_label: SentimentLabel | None
    sentiment_score: Decimal | None
    emotions: dict[str, Any] | None
    voice_note_id: int | None


class TicketOpen(DTO):
    representative_id: int
    category: TicketCategory
    priority: TicketPriority = TicketPriority.NORMAL
    subject: PersianText = Field(max_length=200)
    description: OptionalText = None
    opened_at: UtcDatetime | None = None
    external_ref: str | None = Field(default=None, max_length=64)
    assigned_agent_id: int | None = None


class TicketDTO(DTO):
    id: int
    external_ref: str | None
    representative_id: int
    category: TicketCategory
    priority: TicketPriority
    status: TicketStatus
    subject: str
    description: str | None
    resolution: str | None
    opened_at: dt.datetime
    sla_due_at: dt.datetime
    resolved_at: dt.datetime | None
    assigned_agent_id: int | None

    @property
    def is_open(self) -> bool:
        return self.status in (TicketStatus.OPEN, TicketStatus.IN_PROGRESS, TicketStatus.WAITING_REP)

    def sla_breached(self, now: dt.datetime) -> bool:
        return self.is_open and now > self.sla_due_at


class TicketEventDTO(DTO):
    id: int
    ticket_id: int
    actor_agent_id: int | None
    kind: str
    from_status: TicketStatus | None
    to_status: TicketStatus | None
    body: str | None
    created_at: dt.datetime
