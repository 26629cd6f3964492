"""The representative card: everything a screen needs about one representative, in one DTO."""

from __future__ import annotations

import datetime as dt

from crm.schemas.activity import InteractionDTO, TicketDTO
from crm.schemas.finance import PaymentDTO, UsageDTO
from crm.schemas.people import AgentRef, RepresentativeDTO, TierDTO
from crm.schemas.types import DTO


class UsageTrend(DTO):
    latest: UsageDTO | None
    points: list[UsageDTO]
    active_users_change_pct: float | None
    """Change in active users from the oldest to the newest point shown; None without two points."""


class RepCard(DTO):
    representative: RepresentativeDTO
    tier: TierDTO | None
    assigned_agent: AgentRef | None
    last_contact_at: dt.datetime | None
    interactions: list[InteractionDTO]
    open_tickets: list[TicketDTO]
    payments: list[PaymentDTO]
    usage: UsageTrend
