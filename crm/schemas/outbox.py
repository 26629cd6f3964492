"""The outbox of one-off messages: what to send, and what became of it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from crm.enums import OutboundKind
from crm.schemas.types import DTO


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to a representative's chat, sent at most once per ``key`` (the intent: a draft
    version, an agent's answer message). The body is sent as it is, as plain text."""

    key: str
    kind: OutboundKind
    representative_id: int
    agent_id: int | None
    chat_id: int
    body: str
    ai_suggestion_id: int | None = None


class Delivery(StrEnum):
    SENT = "sent"
    """Telegram accepted it now; logged as an interaction."""
    UNCONFIRMED = "unconfirmed"
    """Handed to Telegram now, with no answer (a timeout, a dropped connection): logged, never resent."""
    REFUSED = "refused"
    """Telegram refused it (blocked, chat gone, 429, 5xx): nothing sent, nothing logged; may be retried."""
    ALREADY_SENT = "already_sent"
    """An earlier press sent it, confirmed: not sent again."""
    ALREADY_UNCONFIRMED = "already_unconfirmed"
    """An earlier press was cut off mid-send (a crash, an error before its outcome was recorded) or is
    still sending: reported as sent but unconfirmed, logged, not sent again."""


class DeliveryDTO(DTO):
    outbound_id: int
    delivery: Delivery
    interaction_id: int | None = None
    error: str | None = None
