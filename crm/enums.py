"""Closed vocabularies. Each is enforced by a CHECK constraint and validated by the DTOs."""

from __future__ import annotations

from enum import StrEnum


class AgentRole(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class Locale(StrEnum):
    FA = "fa"
    EN = "en"


class RepStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    CHURNED = "churned"


class SubscriptionStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class Channel(StrEnum):
    CALL = "call"
    TELEGRAM = "telegram"
    VOICE_NOTE = "voice_note"
    EMAIL = "email"
    IN_PERSON = "in_person"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Outcome(StrEnum):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    RESOLVED = "resolved"
    FOLLOW_UP = "follow_up"
    ESCALATED = "escalated"
    PROMISED_PAYMENT = "promised_payment"
    UPSELL_INTEREST = "upsell_interest"
    COMPLAINT = "complaint"


class SentimentLabel(StrEnum):
    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"


class VoiceNoteStatus(StrEnum):
    RECEIVED = "received"
    TRANSCRIBING = "transcribing"
    DONE = "done"
    FAILED = "failed"


class VoiceFailure(StrEnum):
    """Why a voice note has no transcript. The first six are the audio's fault (a retry cannot help)."""

    EMPTY = "empty"
    CORRUPT = "corrupt"
    NOT_AUDIO = "not_audio"
    SILENCE = "silence"
    TOO_LONG = "too_long"
    NO_SPEECH = "no_speech"
    TOO_LARGE = "too_large"
    DOWNLOAD = "download"
    ENGINE = "engine"


RETRYABLE_VOICE_FAILURES = frozenset({VoiceFailure.DOWNLOAD, VoiceFailure.ENGINE})


class TicketCategory(StrEnum):
    CONNECTIVITY = "connectivity"
    BILLING = "billing"
    PANEL = "panel"
    SETUP = "setup"
    SALES = "sales"
    OTHER = "other"


class TicketPriority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class TicketStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    WAITING_REP = "waiting_rep"
    RESOLVED = "resolved"
    CLOSED = "closed"


# Allowed ticket status transitions; mirrored by the ticket_status_transition trigger.
TICKET_TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    TicketStatus.OPEN: frozenset({TicketStatus.IN_PROGRESS, TicketStatus.WAITING_REP, TicketStatus.RESOLVED}),
    TicketStatus.IN_PROGRESS: frozenset({TicketStatus.WAITING_REP, TicketStatus.RESOLVED, TicketStatus.OPEN}),
    TicketStatus.WAITING_REP: frozenset({TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED}),
    TicketStatus.RESOLVED: frozenset({TicketStatus.CLOSED, TicketStatus.OPEN}),
    TicketStatus.CLOSED: frozenset(),
}

OPEN_TICKET_STATUSES = (TicketStatus.OPEN, TicketStatus.IN_PROGRESS, TicketStatus.WAITING_REP)

# SLA by priority, in hours from opening.
TICKET_SLA_HOURS: dict[TicketPriority, int] = {
    TicketPriority.URGENT: 4,
    TicketPriority.HIGH: 12,
    TicketPriority.NORMAL: 48,
    TicketPriority.LOW: 120,
}


class TicketEventKind(StrEnum):
    CREATED = "created"
    COMMENT = "comment"
    STATUS_CHANGE = "status_change"
    ASSIGNED = "assigned"


class InvoiceStatus(StrEnum):
    OPEN = "open"
    PAID = "paid"
    OVERDUE = "overdue"
    VOID = "void"


class PaymentMethod(StrEnum):
    CARD = "card"
    WALLET = "wallet"
    BANK_TRANSFER = "bank_transfer"
    CRYPTO = "crypto"
    OTHER = "other"


class SuggestionKind(StrEnum):
    CALL_PREP = "call_prep"
    TRANSCRIPT = "transcript"
    KB_ANSWER = "kb_answer"
    TROUBLESHOOT = "troubleshoot"
    DRAFT = "draft"
    SENTIMENT = "sentiment"
    NUDGE_DRAFT = "nudge_draft"
    ARC = "arc"


class FeedbackReason(StrEnum):
    INACCURATE = "inaccurate"
    IRRELEVANT = "irrelevant"
    WRONG_TONE = "wrong_tone"
    TOO_LONG = "too_long"
    OUTDATED = "outdated"
    OTHER = "other"


class KnowledgeSource(StrEnum):
    FILE = "file"
    TICKET_FAQ = "ticket_faq"


class KnowledgeStatus(StrEnum):
    ACTIVE = "active"
    PENDING = "pending"
    REJECTED = "rejected"


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


class NudgeMessageStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


class UpdateStatus(StrEnum):
    """A Telegram update in the inbox: committed on arrival, then handled or given up on."""

    RECEIVED = "received"
    HANDLED = "handled"
    FAILED = "failed"


class OutboundKind(StrEnum):
    """One-off messages the bot sends a representative on an agent's behalf."""

    DRAFT = "draft"
    ANSWER = "answer"


class OutboundStatus(StrEnum):
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class ActorType(StrEnum):
    AGENT = "agent"
    REPRESENTATIVE = "representative"
    SYSTEM = "system"
    CLI = "cli"
    STRANGER = "stranger"


class LLMCallStatus(StrEnum):
    OK = "ok"
    ERROR = "error"
    INVALID = "invalid"
    TIMEOUT = "timeout"
    RATE_LIMITED = "rate_limited"
    BREAKER_OPEN = "breaker_open"
    COST_CAP = "cost_cap"
    CACHE_HIT = "cache_hit"
    RESERVED = "reserved"


def values(enum: type[StrEnum]) -> tuple[str, ...]:
    return tuple(member.value for member in enum)
