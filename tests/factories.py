"""Plain factory functions over the real services. Each returns the DTO the service returned."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from crm.db import UnitOfWork
from crm.enums import AgentRole
from crm.schemas.people import (
    AgentCreate,
    AgentDTO,
    RepresentativeCreate,
    RepresentativeDTO,
    TierCreate,
    TierDTO,
)
from crm.schemas.types import Actor
from crm.services import agents, representatives, tiers

_counter = itertools.count(1)


def _next() -> int:
    return next(_counter)


async def make_agent(
    uow: UnitOfWork, *, role: AgentRole = AgentRole.AGENT, name: str | None = None
) -> AgentDTO:
    n = _next()
    return await agents.create(
        uow,
        AgentCreate(telegram_user_id=900_000 + n, full_name=name or f"کارشناس {n}", role=role),
        Actor.cli(),
    )


async def make_tier(uow: UnitOfWork, *, code: str | None = None, user_limit: int = 100) -> TierDTO:
    n = _next()
    return await tiers.create(
        uow,
        TierCreate(
            code=code or f"T{n}",
            name=f"پلن {n}",
            monthly_price_toman=Decimal(1_500_000),
            user_limit=user_limit,
        ),
        Actor.cli(),
    )


async def make_rep(
    uow: UnitOfWork,
    *,
    name: str = "نماینده آزمایشی",
    code: str | None = None,
    phone: str | None = None,
    telegram_user_id: int | None = None,
    tier_code: str | None = None,
    assigned_agent_id: int | None = None,
) -> RepresentativeDTO:
    n = _next()
    return await representatives.create(
        uow,
        RepresentativeCreate(
            code=code or f"REP-{n:05d}",
            full_name=name,
            phone=phone,
            telegram_user_id=telegram_user_id,
            tier_code=tier_code,
            assigned_agent_id=assigned_agent_id,
            joined_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        ),
        Actor.cli(),
    )
