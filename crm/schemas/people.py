"""Agents, tiers and representatives."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import Field

from crm.enums import AgentRole, Locale, RepStatus
from crm.schemas.types import DTO, OptionalText, PersianText, Phone, PositiveInt, RepCode, Toman


class AgentCreate(DTO):
    telegram_user_id: PositiveInt
    full_name: PersianText
    role: AgentRole = AgentRole.AGENT
    locale: Locale = Locale.FA


class AgentDTO(DTO):
    id: int
    telegram_user_id: int
    full_name: str
    role: AgentRole
    locale: Locale
    active: bool

    @property
    def is_supervisor(self) -> bool:
        return self.role in (AgentRole.SUPERVISOR, AgentRole.ADMIN)


class TierCreate(DTO):
    code: RepCode
    name: PersianText
    monthly_price_toman: Toman
    price_per_user_toman: Decimal = Decimal(0)
    user_limit: PositiveInt


class TierDTO(DTO):
    id: int
    code: str
    name: str
    monthly_price_toman: Decimal
    price_per_user_toman: Decimal
    user_limit: int


class RepresentativeCreate(DTO):
    code: RepCode
    full_name: PersianText
    phone: Phone = None
    telegram_user_id: PositiveInt | None = None
    city: OptionalText = None
    province: OptionalText = None
    tier_code: RepCode | None = None
    status: RepStatus = RepStatus.ACTIVE
    assigned_agent_id: int | None = None
    marzban_admin_username: OptionalText = None
    joined_at: dt.datetime | None = None


class RepresentativeUpdate(DTO):
    """Only the fields that are set change."""

    full_name: PersianText | None = None
    phone: Phone = None
    telegram_user_id: PositiveInt | None = None
    city: OptionalText = None
    province: OptionalText = None
    tier_code: RepCode | None = None
    status: RepStatus | None = None
    assigned_agent_id: int | None = None
    marzban_admin_username: OptionalText = None
    profiling_opt_out: bool | None = None


class RepresentativeDTO(DTO):
    id: int
    code: str
    full_name: str
    phone: str | None
    telegram_user_id: int | None
    city: str | None
    province: str | None
    tier_id: int | None
    status: RepStatus
    assigned_agent_id: int | None
    marzban_admin_username: str | None
    joined_at: dt.datetime | None
    nudges_opt_out_at: dt.datetime | None
    profiling_opt_out: bool
    unreachable_at: dt.datetime | None
    created_at: dt.datetime


class RepSearchHit(DTO):
    representative: RepresentativeDTO
    score: float = Field(ge=0, le=1)
    matched_on: str


class AgentRef(DTO):
    id: int
    full_name: str
