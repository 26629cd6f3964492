"""Nudge campaigns: audience rules, campaign DTOs, the approval card, outbox rows and results."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pydantic import Field

from ai.nudges.send_window import SendWindow
from ai.nudges.topics import topic_text
from crm.enums import CampaignStatus, NudgeMessageStatus, RepStatus
from crm.schemas.types import DTO, PersianText, UtcDatetime

ExclusionReason = Literal["opted_out", "unlinked", "unreachable", "inactive", "recently_nudged"]
EXCLUSION_REASONS: tuple[ExclusionReason, ...] = (
    "opted_out",
    "unlinked",
    "unreachable",
    "inactive",
    "recently_nudged",
)


@dataclass(frozen=True)
class NudgePolicy:
    """The operator's nudge settings, as the services and the dispatcher use them."""

    window: SendWindow = field(default_factory=SendWindow)
    global_rate_per_s: float = 25.0
    per_chat_interval_s: float = 1.0
    max_attempts: int = 5
    min_days_between: int = 7
    reply_window_days: int = 7


class AudienceRules(DTO):
    """Who a campaign is for. Every rule set narrows the audience; empty lists mean "any"."""

    max_score: int | None = Field(default=None, ge=0, le=100)
    tier_codes: list[str] = Field(default_factory=list)
    provinces: list[str] = Field(default_factory=list)
    agent_ids: list[int] = Field(default_factory=list)
    outage_within_days: int | None = Field(default=None, ge=1, le=365)
    statuses: list[RepStatus] = Field(default_factory=lambda: [RepStatus.ACTIVE])
    limit: int | None = Field(default=None, ge=1)


class ScoreReason(DTO):
    code: str
    points: int
    value: float


class EngagementDTO(DTO):
    representative_id: int
    code: str
    full_name: str
    score: int
    reasons: list[ScoreReason]


class AudienceMember(DTO):
    representative_id: int
    full_name: str
    chat_id: int
    score: int
    reasons: list[ScoreReason]
    topic_key: str | None
    """A key of the reviewed topic vocabulary (ai.nudges.topics), never CRM text."""
    best_hour: int | None

    @property
    def topic(self) -> str | None:
        return topic_text(self.topic_key)


class AudiencePreview(DTO):
    matched: int
    """Representatives the rules select, before exclusions."""
    members: list[AudienceMember]
    excluded: dict[str, int]


class CampaignCreate(DTO):
    name: PersianText = Field(max_length=120)
    purpose: PersianText = Field(max_length=2000)
    template: str = Field(min_length=1, max_length=3000)
    rules: AudienceRules = Field(default_factory=AudienceRules)
    scheduled_for: UtcDatetime | None = None


class CampaignDTO(DTO):
    id: int
    name: str
    purpose: str
    status: CampaignStatus
    audience_rules: dict[str, Any]
    template: str
    engine: str | None
    revision: int
    audience_stats: dict[str, Any]
    created_by_agent_id: int | None
    decided_by_agent_id: int | None
    decided_at: dt.datetime | None
    rejection_reason: str | None
    scheduled_for: dt.datetime | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    created_at: dt.datetime


class DistinctText(DTO):
    """One text the campaign sends, to ``count`` representatives (their name shown as «{name}»)."""

    text: str
    count: int
    example_names: list[str]


class SendDay(DTO):
    """Messages going out on one Tehran day."""

    day: dt.date
    count: int
    first: dt.datetime
    last: dt.datetime


class CampaignCard(DTO):
    """Everything the approval card shows."""

    campaign: CampaignDTO
    audience: int
    excluded: dict[str, int]
    texts: list[DistinctText]
    """This page of the campaign's distinct texts."""
    distinct_total: int
    text_offset: int
    first_send_at: dt.datetime | None
    estimated_finish_at: dt.datetime | None
    spread: list[SendDay]
    engines: dict[str, int]
    """How many messages each engine wrote ("offline" or a model), most first."""


class CampaignStats(DTO):
    campaign_id: int
    name: str
    status: CampaignStatus
    total: int
    pending: int
    sending: int
    sent: int
    delivered: int
    unconfirmed: int
    failed: int
    skipped: int
    replied: int
    opted_out: int
    reply_sentiment: dict[str, int]


class Decision(DTO):
    campaign: CampaignDTO
    changed: bool
    """False when the decision was already taken (a second tap on the same button)."""


class NudgeMessageDTO(DTO):
    id: int
    campaign_id: int
    representative_id: int
    chat_id: int
    body: str
    status: NudgeMessageStatus
    attempts: int
    last_error: str | None
    not_before: dt.datetime
    sent_at: dt.datetime | None
    telegram_message_id: int | None


# The dispatcher's view of the outbox.


@dataclass(frozen=True, slots=True)
class ClaimedMessage:
    id: int
    chat_id: int
    body: str
    attempts: int
    representative_id: int


SendStatus = Literal["delivered", "retry_after", "blocked", "permanent", "transient", "unconfirmed"]


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """What Telegram said about one send.

    * ``delivered``: accepted, with its message id;
    * ``retry_after``: 429, not delivered; wait ``retry_after`` seconds;
    * ``blocked``: 403, the user blocked the bot (or the chat is gone);
    * ``permanent``: another 4xx, never retried;
    * ``transient``: 5xx or a connection that never carried the request: retried with backoff;
    * ``unconfirmed``: the request was written but no answer came (timeout, dropped connection): it may
      have been delivered, so it is never retried (at-most-once, see docs/nudges.md).
    """

    status: SendStatus
    message_id: int | None = None
    retry_after: float = 0.0
    error: str | None = None


class MessageSender(Protocol):
    """Sends one plain-text message to a private chat. The Bot API adapter lives in ``jobs``."""

    async def send_text(self, chat_id: int, text: str) -> SendOutcome: ...


@dataclass(frozen=True, slots=True)
class SendResult:
    message: ClaimedMessage
    outcome: SendOutcome
    at: dt.datetime
