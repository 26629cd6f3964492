"""CRT agents: create, look up, change role, deactivate, and bootstrap admins from settings."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from crm import audit
from crm.db import UnitOfWork
from crm.enums import AgentRole, Locale
from crm.errors import AlreadyExists, NotFound
from crm.models import CrtAgent, Representative
from crm.schemas.people import AgentCreate, AgentDTO
from crm.schemas.types import Actor

ONE_PERSON_PER_ACCOUNT = "telegram_user_id_one_person"
"""The database's rule (a trigger on both tables) that an agent's Telegram id is never a
representative's; its name is in the error when a concurrent write loses the race."""


def _linked_to_representative(telegram_user_id: int) -> AlreadyExists:
    return AlreadyExists(
        "this Telegram account is linked to a representative", telegram_user_id=telegram_user_id
    )


async def _refuse_representative_account(uow: UnitOfWork, telegram_user_id: int) -> None:
    linked_rep = await uow.session.scalar(
        select(Representative.id).where(Representative.telegram_user_id == telegram_user_id)
    )
    if linked_rep is not None:
        raise _linked_to_representative(telegram_user_id)


async def create(uow: UnitOfWork, data: AgentCreate, actor: Actor) -> AgentDTO:
    await _refuse_representative_account(uow, data.telegram_user_id)
    agent = CrtAgent(
        telegram_user_id=data.telegram_user_id,
        full_name=data.full_name,
        role=data.role.value,
        locale=data.locale.value,
    )
    uow.session.add(agent)
    try:
        await uow.session.flush()
    except IntegrityError as exc:
        await uow.rollback()
        if ONE_PERSON_PER_ACCOUNT in str(exc.orig):  # a representative linked it meanwhile
            raise _linked_to_representative(data.telegram_user_id) from exc
        raise AlreadyExists(
            "an agent with this Telegram id exists", telegram_user_id=data.telegram_user_id
        ) from exc
    await uow.session.refresh(agent)
    dto = AgentDTO.model_validate(agent)
    audit.record(uow.session, actor, "agent.create", "crt_agent", agent.id, after=dto)
    await uow.commit()
    return dto


async def get_by_telegram_id(uow: UnitOfWork, telegram_user_id: int) -> AgentDTO | None:
    agent = await uow.session.scalar(select(CrtAgent).where(CrtAgent.telegram_user_id == telegram_user_id))
    return None if agent is None else AgentDTO.model_validate(agent)


async def get(uow: UnitOfWork, agent_id: int) -> AgentDTO:
    agent = await uow.session.get(CrtAgent, agent_id)
    if agent is None:
        raise NotFound(f"agent {agent_id} not found", agent_id=agent_id)
    return AgentDTO.model_validate(agent)


async def list_all(uow: UnitOfWork, *, active_only: bool = False) -> list[AgentDTO]:
    query = select(CrtAgent).order_by(CrtAgent.full_name)
    if active_only:
        query = query.where(CrtAgent.active)
    return [AgentDTO.model_validate(a) for a in await uow.session.scalars(query)]


async def _change(uow: UnitOfWork, agent_id: int, actor: Actor, action: str, **fields: object) -> AgentDTO:
    agent = await uow.session.get(CrtAgent, agent_id, with_for_update=True)
    if agent is None:
        raise NotFound(f"agent {agent_id} not found", agent_id=agent_id)
    before = AgentDTO.model_validate(agent)
    for name, value in fields.items():
        setattr(agent, name, value)
    await uow.session.flush()
    await uow.session.refresh(agent)
    after = AgentDTO.model_validate(agent)
    audit.record(uow.session, actor, action, "crt_agent", agent.id, before=before, after=after)
    await uow.commit()
    return after


async def set_role(uow: UnitOfWork, agent_id: int, role: AgentRole, actor: Actor) -> AgentDTO:
    return await _change(uow, agent_id, actor, "agent.set_role", role=role.value)


async def set_active(uow: UnitOfWork, agent_id: int, active: bool, actor: Actor) -> AgentDTO:
    return await _change(
        uow, agent_id, actor, "agent.activate" if active else "agent.deactivate", active=active
    )


async def set_locale(uow: UnitOfWork, agent_id: int, locale: Locale, actor: Actor) -> AgentDTO:
    return await _change(uow, agent_id, actor, "agent.set_locale", locale=locale.value)


async def ensure_admins(uow: UnitOfWork, telegram_ids: Iterable[int]) -> list[AgentDTO]:
    """First admins come from ADMIN_TELEGRAM_IDS; existing rows are promoted and reactivated.

    An id linked to a representative is refused (AlreadyExists), as :func:`create` refuses it: the
    setting names the wrong account, or the representative's link is wrong; a person decides which.
    """
    result = []
    for telegram_id in telegram_ids:
        agent = await uow.session.scalar(select(CrtAgent).where(CrtAgent.telegram_user_id == telegram_id))
        if agent is None:
            await _refuse_representative_account(uow, telegram_id)
            agent = CrtAgent(
                telegram_user_id=telegram_id, full_name=f"Admin {telegram_id}", role=AgentRole.ADMIN.value
            )
            uow.session.add(agent)
            await uow.session.flush()
            await uow.session.refresh(agent)
            audit.record(uow.session, Actor.system(), "agent.bootstrap_admin", "crt_agent", agent.id)
        elif agent.role != AgentRole.ADMIN.value or not agent.active:
            agent.role, agent.active = AgentRole.ADMIN.value, True
            await uow.session.flush()
            audit.record(uow.session, Actor.system(), "agent.bootstrap_admin", "crt_agent", agent.id)
        result.append(AgentDTO.model_validate(agent))
    await uow.commit()
    return result
