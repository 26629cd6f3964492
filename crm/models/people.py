"""Agents, service tiers, representatives and their subscriptions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from crm.enums import AgentRole, Locale, RepStatus, SubscriptionStatus, values
from crm.models.base import Base, CreatedAt, IntPK, Toman, UpdatedAt, in_list


class CrtAgent(Base):
    __tablename__ = "crt_agent"
    __table_args__ = (
        CheckConstraint(in_list("role", values(AgentRole)), name="role"),
        CheckConstraint(in_list("locale", values(Locale)), name="locale"),
        CheckConstraint("telegram_user_id > 0", name="telegram_user_id_positive"),
    )

    id: Mapped[IntPK]
    # Never also a representative's: trigger telegram_user_id_one_person (migration 20261208_0401).
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16), server_default=AgentRole.AGENT.value)
    locale: Mapped[str] = mapped_column(String(2), server_default=Locale.FA.value)
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]


class ServiceTier(Base):
    __tablename__ = "service_tier"
    __table_args__ = (
        CheckConstraint("monthly_price_toman > 0", name="monthly_price_positive"),
        CheckConstraint("price_per_user_toman >= 0", name="price_per_user_non_negative"),
        CheckConstraint("user_limit > 0", name="user_limit_positive"),
    )

    id: Mapped[IntPK]
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    monthly_price_toman: Mapped[Toman]
    price_per_user_toman: Mapped[Toman] = mapped_column(server_default=text("0"))
    user_limit: Mapped[int]
    created_at: Mapped[CreatedAt]


CODE_DIGITS = "ltrim(regexp_replace(code, '[^0-9]', '', 'g'), '0')"
"""A code's number without its letters and leading zeros: REP-0043 → 43 (the short code people say)."""
PHONE_TAIL = "right(phone, 4)"


class Representative(Base):
    __tablename__ = "representative"
    __table_args__ = (
        CheckConstraint(r"code ~ '^[A-Z0-9][A-Z0-9_-]{1,31}$'", name="code_format"),
        CheckConstraint(r"phone ~ '^\+98[1-9][0-9]{9}$'", name="phone_e164"),
        CheckConstraint(in_list("status", values(RepStatus)), name="status"),
        CheckConstraint("length(btrim(full_name)) > 0", name="full_name_not_blank"),
        CheckConstraint("telegram_user_id > 0", name="telegram_user_id_positive"),
        # Fuzzy Persian name search (/find, CLI): GIN over the folded name's trigrams.
        Index("ix_representative_name_trigrams", "name_trigrams", postgresql_using="gin"),
        # "My representatives" lists and nudge audience rules.
        Index("ix_representative_assigned_agent_id_status", "assigned_agent_id", "status"),
        # /find by a short code («43» for REP-0043) and by a phone's last four digits.
        Index("ix_representative_code_digits", text(CODE_DIGITS)),
        Index("ix_representative_phone_tail", text(PHONE_TAIL)),
    )

    id: Mapped[IntPK]
    code: Mapped[str] = mapped_column(String(32), unique=True)
    full_name: Mapped[str] = mapped_column(String(160))
    # Derived from full_name by crm.search; kept in the row so the GIN index can serve /find.
    name_key: Mapped[str] = mapped_column(Text)
    name_trigrams: Mapped[list[str]] = mapped_column(ARRAY(Text))
    phone: Mapped[str | None] = mapped_column(String(16), unique=True)
    # Never also an agent's: trigger telegram_user_id_one_person (migration 20261208_0401).
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    city: Mapped[str | None] = mapped_column(String(80))
    province: Mapped[str | None] = mapped_column(String(80))
    tier_id: Mapped[int | None] = mapped_column(ForeignKey("service_tier.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(16), server_default=RepStatus.ACTIVE.value)
    assigned_agent_id: Mapped[int | None] = mapped_column(ForeignKey("crt_agent.id", ondelete="SET NULL"))
    marzban_admin_username: Mapped[str | None] = mapped_column(String(64))
    joined_at: Mapped[dt.datetime | None]
    nudges_opt_out_at: Mapped[dt.datetime | None]
    profiling_opt_out: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    unreachable_at: Mapped[dt.datetime | None]
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]


class Subscription(Base):
    __tablename__ = "subscription"
    __table_args__ = (
        CheckConstraint(in_list("status", values(SubscriptionStatus)), name="status"),
        CheckConstraint("ends_at IS NULL OR ends_at > started_at", name="ends_after_start"),
        CheckConstraint("price_toman > 0", name="price_positive"),
        # Current tier of a representative (rep card, call prep).
        Index("ix_subscription_representative_id_started_at", "representative_id", "started_at"),
    )

    id: Mapped[IntPK]
    representative_id: Mapped[int] = mapped_column(ForeignKey("representative.id", ondelete="CASCADE"))
    tier_id: Mapped[int] = mapped_column(ForeignKey("service_tier.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(16), server_default=SubscriptionStatus.ACTIVE.value)
    started_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime | None]
    price_toman: Mapped[Toman]
    created_at: Mapped[CreatedAt]


class RepLinkToken(Base):
    """One-time deep-link tokens that link a representative's Telegram account to their CRM row."""

    __tablename__ = "rep_link_token"
    __table_args__ = (CheckConstraint("expires_at > created_at", name="expires_after_creation"),)

    id: Mapped[IntPK]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    representative_id: Mapped[int] = mapped_column(
        ForeignKey("representative.id", ondelete="CASCADE"), index=True
    )
    created_by_agent_id: Mapped[int | None] = mapped_column(ForeignKey("crt_agent.id", ondelete="SET NULL"))
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    created_at: Mapped[CreatedAt]
