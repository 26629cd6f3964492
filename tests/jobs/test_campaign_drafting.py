"""LLM drafting takes minutes for a large audience, so it runs between transactions: meanwhile the
campaign is a draft (nothing approved or sent from it) and its row is not locked."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ai.llm import LLMGateway
from chronos.emulators.llm import LLMEmulator, Reply
from crm.db import UnitOfWork
from crm.enums import AgentRole
from crm.errors import InvalidTransition
from crm.schemas.nudges import CampaignCreate
from crm.schemas.types import Actor
from crm.services import nudges
from crm.services.nudge_drafting import drafter_factory
from crm.services.nudges import StaleRevision
from tests.ai.test_gateway_support import FAST_RETRIES, config_for
from tests.factories import make_agent, make_rep
from tests.jobs.conftest import TEMPLATE, open_policy

SLOW_S = 1.5


async def _campaign(factory: async_sessionmaker[AsyncSession]) -> tuple[int, int]:
    async with UnitOfWork(factory) as uow:
        supervisor = await make_agent(uow, role=AgentRole.SUPERVISOR)
        for n in range(2):
            await make_rep(uow, name=f"نماینده {n}", telegram_user_id=5_400_001 + n)
        campaign = await nudges.create(
            uow, CampaignCreate(name="پیگیری", purpose="احوال‌پرسی", template=TEMPLATE), Actor.cli()
        )
    return campaign.id, supervisor.id


async def _row_is_free(factory: async_sessionmaker[AsyncSession], campaign_id: int) -> tuple[bool, str]:
    """Whether another transaction could lock the campaign right now, and its status."""
    async with UnitOfWork(factory) as uow:
        try:
            status = await uow.session.scalar(
                text("SELECT status FROM nudge_campaign WHERE id = :id FOR UPDATE NOWAIT"),
                {"id": campaign_id},
            )
        except Exception:  # lock_not_available
            return False, "?"
        return True, str(status)


async def test_a_slow_llm_drafts_outside_any_lock_and_the_campaign_is_not_approvable_meanwhile(
    committing_session_factory: async_sessionmaker[AsyncSession],
) -> None:
    factory = committing_session_factory
    campaign_id, supervisor_id = await _campaign(factory)
    async with LLMEmulator() as emulator, httpx.AsyncClient() as client:
        emulator.script(*[Reply.ok({"text": "سلام، اگر کمکی لازم است بنویسید."}, delay_s=SLOW_S)] * 2)
        gateway = LLMGateway(config_for(emulator.base_url), client, retry=FAST_RETRIES)

        async def submit() -> int:
            async with UnitOfWork(factory) as uow:
                done = await nudges.submit(
                    uow,
                    campaign_id,
                    Actor.cli(),
                    policy=open_policy(),
                    drafter_factory=drafter_factory(gateway),
                )
                return done.revision

        drafting = asyncio.create_task(submit())
        await asyncio.sleep(SLOW_S / 2)
        assert not drafting.done()
        assert await _row_is_free(factory, campaign_id) == (True, "draft")
        with pytest.raises(InvalidTransition):  # a draft cannot be approved
            async with UnitOfWork(factory) as uow:
                await nudges.approve(uow, campaign_id, 0, Actor.agent(supervisor_id), policy=open_policy())
        revision = await drafting
    async with UnitOfWork(factory) as uow:
        submitted = await nudges.get(uow, campaign_id)
    assert submitted.status == "pending_approval"
    assert submitted.revision == revision
    assert submitted.engine == "emu-model"


async def test_an_edit_made_while_a_submit_drafts_wins(
    committing_session_factory: async_sessionmaker[AsyncSession],
) -> None:
    factory = committing_session_factory
    campaign_id, _ = await _campaign(factory)
    async with UnitOfWork(factory) as uow:  # submitted once, offline, so there is something to redraft
        await nudges.submit(uow, campaign_id, Actor.cli(), policy=open_policy())
    async with LLMEmulator() as emulator, httpx.AsyncClient() as client:
        emulator.script(*[Reply.ok({"text": "متن کند"}, delay_s=SLOW_S)] * 2)
        gateway = LLMGateway(config_for(emulator.base_url), client, retry=FAST_RETRIES)

        async def slow_submit() -> None:
            async with UnitOfWork(factory) as uow:
                await nudges.submit(
                    uow,
                    campaign_id,
                    Actor.cli(),
                    policy=open_policy(),
                    drafter_factory=drafter_factory(gateway),
                )

        drafting = asyncio.create_task(slow_submit())
        await asyncio.sleep(SLOW_S / 2)
        async with UnitOfWork(factory) as uow:
            edited = await nudges.edit_template(uow, campaign_id, "درود {name}، در خدمتیم.", Actor.cli())
        with pytest.raises(StaleRevision):
            await drafting
    assert edited.status == "draft"  # a draft is edited in place; a supervisor submits it again
    async with UnitOfWork(factory) as uow:
        assert (await nudges.get(uow, campaign_id)).template.startswith("درود {name}")
