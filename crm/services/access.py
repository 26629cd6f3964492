"""Who is talking to the bot: an active agent, a linked representative, or a stranger."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select

from crm import audit
from crm.db import UnitOfWork
from crm.enums import ActorType
from crm.models import CrtAgent, Representative
from crm.schemas.people import AgentDTO, RepresentativeDTO
from crm.schemas.types import Actor


class IdentityKind(StrEnum):
    AGENT = "agent"
    REPRESENTATIVE = "representative"
    STRANGER = "stranger"


@dataclass(frozen=True)
class Identity:
    kind: IdentityKind
    telegram_user_id: int
    agent: AgentDTO | None = None
    representative: RepresentativeDTO | None = None

    @property
    def actor(self) -> Actor:
        if self.agent is not None:
            return Actor.agent(self.agent.id)
        if self.representative is not None:
            return Actor(type=ActorType.REPRESENTATIVE, id=self.representative.id)
        return Actor(type=ActorType.STRANGER, id=self.telegram_user_id)


async def identify(uow: UnitOfWork, telegram_user_id: int) -> Identity:
    """Active agents first; a deactivated agent is a stranger even if linked elsewhere."""
    agent = await uow.session.scalar(select(CrtAgent).where(CrtAgent.telegram_user_id == telegram_user_id))
    if agent is not None:
        if agent.active:
            return Identity(IdentityKind.AGENT, telegram_user_id, agent=AgentDTO.model_validate(agent))
        return Identity(IdentityKind.STRANGER, telegram_user_id)
    rep = await uow.session.scalar(
        select(Representative).where(Representative.telegram_user_id == telegram_user_id)
    )
    if rep is not None:
        return Identity(
            IdentityKind.REPRESENTATIVE,
            telegram_user_id,
            representative=RepresentativeDTO.model_validate(rep),
        )
    return Identity(IdentityKind.STRANGER, telegram_user_id)


async def record_refusal(uow: UnitOfWork, telegram_user_id: int, what: str) -> None:
    """A stranger (or a deactivated agent) tried the bot: audited, then committed on its own."""
    audit.record(
        uow.session,
        Actor(type=ActorType.STRANGER, id=telegram_user_id),
        "access.refused",
        "telegram_user",
        telegram_user_id,
        after={"what": what[:200]},
    )
    await uow.commit()
