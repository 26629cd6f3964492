"""Issue 14, one Telegram account is one person: an agent's id is never a representative's, in the
import (a reason per line), in the services, and in the database (trigger + advisory lock)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from chronos import migrate
from chronos.database import drop_database, ensure_database
from crm.db import UnitOfWork
from crm.errors import AlreadyExists
from crm.importing import Entity, ImportRejected
from crm.models import CrtAgent, Representative
from crm.schemas.people import AgentCreate, RepresentativeCreate
from crm.schemas.types import Actor
from crm.services import agents, representatives
from tests.crm.test_import import AGENT_TELEGRAM_ID, run_import, seed, write_file
from tests.factories import make_agent, make_rep

REP_ROW = "INSERT INTO representative (code, full_name, name_key, name_trigrams, telegram_user_id) VALUES "
ONE_PERSON = "telegram_user_id_one_person"


async def test_the_import_refuses_an_agents_telegram_id_on_its_line(uow: UnitOfWork, tmp_path: Path) -> None:
    content = (
        "code,full_name,telegram_user_id\n"
        f"REP-2001,نماینده جدید,{AGENT_TELEGRAM_ID}\n"
        "REP-2002,نماینده دیگر,777001\n"
        f"REP-1002,نماینده دوم,{AGENT_TELEGRAM_ID}\n"
    )
    path = write_file(tmp_path, content, "representatives.csv")
    async with uow:
        await seed(uow)
        with pytest.raises(ImportRejected) as caught:
            await run_import(uow, Entity.REPRESENTATIVES, path)
        reason = (
            f"telegram_user_id: {AGENT_TELEGRAM_ID} is a CRT agent's Telegram account; "
            "one account cannot be both an agent's and a representative's"
        )
        assert {error.line: error.error for error in caught.value.report.errors} == {2: reason, 4: reason}

        report = await run_import(uow, Entity.REPRESENTATIVES, path, skip_invalid=True)

        assert (report.inserted, report.invalid) == (1, 2)
        holders = await uow.session.scalars(
            select(Representative.code).where(Representative.telegram_user_id.is_not(None))
        )
        assert list(holders) == ["REP-2002"]


async def test_the_database_refuses_one_account_for_two_people(uow: UnitOfWork) -> None:
    async with uow:
        agent = await make_agent(uow)
        rep = await make_rep(uow, telegram_user_id=7_770_001)
        statements = [
            f"{REP_ROW} ('REP-3001', 'x', 'x', '{{}}', {agent.telegram_user_id})",
            f"UPDATE representative SET telegram_user_id = {agent.telegram_user_id} WHERE id = {rep.id}",
            f"INSERT INTO crt_agent (telegram_user_id, full_name) VALUES ({rep.telegram_user_id}, 'y')",
            f"UPDATE crt_agent SET telegram_user_id = {rep.telegram_user_id} WHERE id = {agent.id}",
        ]
        for statement in statements:
            with pytest.raises(IntegrityError, match=ONE_PERSON):
                async with uow.session.begin_nested():
                    await uow.session.execute(text(statement))


async def test_a_representative_cannot_be_created_with_an_agents_account(uow: UnitOfWork) -> None:
    async with uow:
        agent = await make_agent(uow)
        with pytest.raises(AlreadyExists, match="belongs to a CRT agent"):
            await representatives.create(
                uow,
                RepresentativeCreate(
                    code="REP-3002", full_name="نماینده", telegram_user_id=agent.telegram_user_id
                ),
                Actor.cli(),
            )


async def test_an_admin_from_settings_cannot_take_a_representatives_account(uow: UnitOfWork) -> None:
    async with uow:
        rep = await make_rep(uow, telegram_user_id=7_770_002)
        with pytest.raises(AlreadyExists, match="linked to a representative"):
            await agents.ensure_admins(uow, [7_770_002])
        assert await agents.get_by_telegram_id(uow, 7_770_002) is None
        assert rep.telegram_user_id == 7_770_002


async def _lock_waiters(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        waiting = await conn.scalar(
            text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        )
        return int(waiting or 0)


async def _create_agent(factory: async_sessionmaker[AsyncSession], telegram_user_id: int) -> None:
    async with UnitOfWork(factory) as uow:
        await agents.create(
            uow, AgentCreate(telegram_user_id=telegram_user_id, full_name="کارشناس"), Actor.cli()
        )


async def test_concurrent_agent_and_representative_with_one_account_cannot_both_win(
    engine: AsyncEngine, committing_session_factory: async_sessionmaker[AsyncSession]
) -> None:
    """The agent service's check runs before the representative is committed, so only the trigger's
    lock, taken by both writers, makes it see that row."""
    async with engine.connect() as first:
        await first.begin()
        await first.execute(text(f"{REP_ROW} ('REP-3003', 'x', 'x', '{{}}', 7770003)"))
        creating = asyncio.create_task(_create_agent(committing_session_factory, 7_770_003))
        for _ in range(100):
            if await _lock_waiters(engine):
                break
            await asyncio.sleep(0.05)
        assert not creating.done()
        await first.commit()

    with pytest.raises(AlreadyExists, match="linked to a representative"):
        await creating
    async with UnitOfWork(committing_session_factory) as uow:
        assert (
            await uow.session.scalar(select(CrtAgent.id).where(CrtAgent.telegram_user_id == 7_770_003))
            is None
        )


@pytest.fixture
async def scratch_url(server_url: str) -> AsyncIterator[str]:
    url = make_url(server_url).set(database=f"chronos_tgid_{uuid.uuid4().hex[:8]}")
    rendered = url.render_as_string(hide_password=False)
    await ensure_database(rendered)
    yield rendered
    await drop_database(rendered)


async def test_the_migration_unlinks_representatives_that_hold_an_agents_account(scratch_url: str) -> None:
    await migrate.upgrade(scratch_url, "20261207_0304")
    engine = create_async_engine(scratch_url, poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text("INSERT INTO crt_agent (telegram_user_id, full_name) VALUES (7770004, 'a')")
            )
            await conn.execute(
                text(
                    f"{REP_ROW} ('REP-4001', 'x', 'x', '{{}}', 7770004), ('REP-4002', 'y', 'y', '{{}}', 7770005)"
                )
            )

        await migrate.upgrade(scratch_url)

        async with engine.connect() as conn:
            links: dict[str, int | None] = dict(
                (await conn.execute(text("SELECT code, telegram_user_id FROM representative"))).all()
            )
            assert links == {"REP-4001": None, "REP-4002": 7770005}
            audit = (await conn.execute(text("SELECT action, before FROM audit_log"))).one()
            assert audit.action == "representative.unlink_agent_account"
            assert audit.before["telegram_user_id"] == 7770004

        await migrate.downgrade(scratch_url, "20261207_0304")
        async with engine.begin() as conn:  # without the trigger the old behaviour is back
            await conn.execute(
                text("UPDATE representative SET telegram_user_id = 7770004 WHERE code = 'REP-4001'")
            )
    finally:
        await engine.dispose()
