"""Service tiers (plans sold to representatives)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from crm import audit
from crm.db import UnitOfWork
from crm.errors import AlreadyExists
from crm.models import ServiceTier
from crm.schemas.people import TierCreate, TierDTO
from crm.schemas.types import Actor


async def create(uow: UnitOfWork, data: TierCreate, actor: Actor) -> TierDTO:
    tier = ServiceTier(**data.model_dump())
    uow.session.add(tier)
    try:
        await uow.session.flush()
    except IntegrityError as exc:
        await uow.rollback()
        raise AlreadyExists(f"service tier {data.code!r} already exists", code=data.code) from exc
    dto = TierDTO.model_validate(tier)
    audit.record(uow.session, actor, "tier.create", "service_tier", tier.id, after=dto)
    await uow.commit()
    return dto


async def list_all(uow: UnitOfWork) -> list[TierDTO]:
    rows = await uow.session.scalars(select(ServiceTier).order_by(ServiceTier.monthly_price_toman))
    return [TierDTO.model_validate(row) for row in rows]
