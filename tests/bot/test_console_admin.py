"""`:as admin` in the console plays an admin even on a world with none (the demo has none and
ADMIN_TELEGRAM_IDS is empty by default): a console operator admin is registered, audited like any other
agent, with a Telegram id no real account can have."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.texts.fa import FA
from chronos.console import CONSOLE_OPERATOR_NAME, CONSOLE_OPERATOR_TELEGRAM_ID, pick_user
from chronos.runtime import Runtime, build_gateway
from chronos.settings import load_settings
from crm.db import UnitOfWork
from crm.enums import AgentRole
from crm.models import AuditLog, CrtAgent
from crm.schemas.types import Actor
from crm.services import agents
from crm.services.llm_ledger import DatabaseUsageLedger
from tests.bot.harness import BotHarness, sent_texts
from tests.factories import make_agent


@pytest.fixture
async def runtime(
    committing_session_factory: async_sessionmaker[AsyncSession], engine: AsyncEngine, database_url: str
) -> AsyncIterator[Runtime]:
    settings = load_settings()
    async with httpx.AsyncClient() as http:
        yield Runtime(
            settings=settings,
            database_url=database_url,
            engine=engine,
            session_factory=committing_session_factory,
            gateway=build_gateway(settings, http, DatabaseUsageLedger(committing_session_factory)),
        )


async def audit_actions(db: UnitOfWork, agent_id: int) -> list[tuple[str, str]]:
    async with db:
        rows = await db.session.execute(
            select(AuditLog.action, AuditLog.actor_type)
            .where(AuditLog.entity == "crt_agent", AuditLog.entity_id == str(agent_id))
            .order_by(AuditLog.id)
        )
        return [(action, actor) for action, actor in rows]


async def test_without_an_admin_the_console_plays_a_registered_console_operator(
    harness: BotHarness, runtime: Runtime, db: UnitOfWork
) -> None:
    assert runtime.settings.admin_telegram_ids == []

    person = await pick_user(runtime, "admin")

    assert (person.telegram_id, person.name, person.role) == (
        CONSOLE_OPERATOR_TELEGRAM_ID,
        CONSOLE_OPERATOR_NAME,
        "admin",
    )
    assert person.telegram_id >= 2**52  # beyond Telegram's user ids
    async with db:
        [operator] = (
            await db.session.execute(
                select(CrtAgent.id, CrtAgent.telegram_user_id, CrtAgent.role, CrtAgent.active)
            )
        ).all()
    assert tuple(operator)[1:] == (person.telegram_id, "admin", True)
    assert await audit_actions(db, operator.id) == [("agent.create", "cli")]
    # The bot treats them as an admin, not as a stranger.
    [reply] = sent_texts(await harness.text(harness.emulator.user(person.telegram_id, person.name), "/start"))
    assert reply.startswith(FA["help.agent_title"].format(name=CONSOLE_OPERATOR_NAME, role=FA["role.admin"]))
    assert "/aistatus" in reply
    # Playing the admin again reuses the same operator.
    assert await pick_user(runtime, "admin") == person
    async with db:
        assert len(list(await db.session.scalars(select(CrtAgent.id)))) == 1


async def test_an_existing_admin_is_played_and_no_operator_is_made(runtime: Runtime, db: UnitOfWork) -> None:
    async with db:
        await make_agent(db, role=AgentRole.SUPERVISOR)
        admin = await make_agent(db, role=AgentRole.ADMIN, name="سارا")

    person = await pick_user(runtime, "admin")

    assert (person.telegram_id, person.name, person.role) == (admin.telegram_user_id, "سارا", "admin")
    async with db:
        assert await agents.get_by_telegram_id(db, CONSOLE_OPERATOR_TELEGRAM_ID) is None


async def test_a_deactivated_console_operator_is_made_an_active_admin_again(
    runtime: Runtime, db: UnitOfWork
) -> None:
    first = await pick_user(runtime, "admin")
    async with db:
        operator = await agents.get_by_telegram_id(db, first.telegram_id)
        assert operator is not None
        await agents.set_active(db, operator.id, False, Actor.cli())

    assert await pick_user(runtime, "admin") == first

    async with db:
        again = await agents.get_by_telegram_id(db, first.telegram_id)
    assert again is not None
    assert (again.role, again.active) == (AgentRole.ADMIN, True)
    assert [action for action, _ in await audit_actions(db, operator.id)] == [
        "agent.create",
        "agent.deactivate",
        "agent.bootstrap_admin",
    ]
