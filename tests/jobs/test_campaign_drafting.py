"""LLM drafting takes minutes for a large audience, so it runs between transactions: meanwhile the
campaign is a draft (nothing approved or sent from it) and its row is not locked."""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx
import pytest
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ai.llm import LLMGateway
from chronos.emulators.llm import LLMEmulator, Reply
from crm.db import UnitOfWork
from crm.enums import AgentRole
from crm.errors import InvalidTransition
from crm.models import NudgeMessage
from crm.schemas.nudges import CampaignCreate
from crm.schemas.types import Actor
from crm.services import nudge_outbox, nudges
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
        async with UnitOfWork(factory) as uow:
            current = await nudges.get(uow, campaign_id)
        with pytest.raises(InvalidTransition) as refused:  # a draft cannot be approved, even at its revision
            async with UnitOfWork(factory) as uow:
                await nudges.approve(
                    uow, campaign_id, current.revision, Actor.agent(supervisor_id), policy=open_policy()
                )
        assert type(refused.value) is InvalidTransition  # not a stale revision: the state refuses it
        assert refused.value.params["from_status"] == "draft"
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
    assert edited.status == "pending_approval"  # the edit redrafted the messages; it stands
    async with UnitOfWork(factory) as uow:
        assert (await nudges.get(uow, campaign_id)).template.startswith("درود {name}")
        bodies = list(await uow.session.scalars(select(NudgeMessage.body)))
    assert bodies
    assert all(body.startswith("درود") for body in bodies)  # not the slow submit's texts


async def test_a_resubmit_skips_representatives_the_campaign_already_reached(
    committing_session_factory: async_sessionmaker[AsyncSession],
) -> None:
    factory = committing_session_factory
    campaign_id, _ = await _campaign(factory)
    async with UnitOfWork(factory) as uow:
        await nudges.submit(uow, campaign_id, Actor.cli(), policy=open_policy())
        first = (await uow.session.scalars(select(NudgeMessage).order_by(NudgeMessage.id))).first()
        assert first is not None
        await uow.session.execute(
            update(NudgeMessage).where(NudgeMessage.id == first.id).values(status="failed", last_error="403")
        )
        await uow.commit()
    async with UnitOfWork(factory) as uow:
        again = await nudges.submit(uow, campaign_id, Actor.cli(), policy=open_policy())
        statuses = dict((await uow.session.execute(select(NudgeMessage.id, NudgeMessage.status))).all())
    assert again.status == "pending_approval"
    assert again.audience_stats["audience"] == 1
    assert again.audience_stats["excluded"]["already_in_campaign"] == 1
    assert statuses[first.id] == "failed"  # its record is kept
    assert sorted(statuses.values()) == ["failed", "pending"]


async def test_an_in_flight_message_that_comes_back_after_an_edit_gets_the_new_text(
    committing_session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """A row being sent when the edit took its snapshot, and returned to pending afterwards (a 429, a
    released claim), must not go out with the old text under the new approval."""
    factory = committing_session_factory
    campaign_id, _ = await _campaign(factory)
    async with UnitOfWork(factory) as uow:
        await nudges.submit(uow, campaign_id, Actor.cli(), policy=open_policy())
        in_flight = (await uow.session.scalars(select(NudgeMessage.id).order_by(NudgeMessage.id))).first()
        await uow.session.execute(
            update(NudgeMessage).where(NudgeMessage.id == in_flight).values(status="sending")
        )
        await uow.commit()
    async with LLMEmulator() as emulator, httpx.AsyncClient() as client:
        emulator.responder = lambda request: {"text": "متن تازه برای شما"}
        emulator.script(Reply(delay_s=SLOW_S))
        gateway = LLMGateway(config_for(emulator.base_url), client, retry=FAST_RETRIES)

        async def edit() -> None:
            async with UnitOfWork(factory) as uow:
                await nudges.edit_template(
                    uow,
                    campaign_id,
                    "درود {name}، در خدمتیم.",
                    Actor.cli(),
                    drafter_factory=drafter_factory(gateway),
                )

        editing = asyncio.create_task(edit())
        await asyncio.sleep(SLOW_S / 2)
        async with UnitOfWork(factory) as uow:  # the send got a 429: back to pending, old text
            await uow.session.execute(
                update(NudgeMessage).where(NudgeMessage.id == in_flight).values(status="pending")
            )
            await uow.commit()
        await editing
    async with UnitOfWork(factory) as uow:
        bodies = list(
            await uow.session.scalars(select(NudgeMessage.body).where(NudgeMessage.status == "pending"))
        )
    assert len(bodies) == 2
    assert not any(body.startswith("سلام نماینده") for body in bodies)  # the old template is gone


async def _set_status(factory: async_sessionmaker[AsyncSession], row_id: int, status: str) -> None:
    async with UnitOfWork(factory) as uow:
        await uow.session.execute(update(NudgeMessage).where(NudgeMessage.id == row_id).values(status=status))
        await uow.commit()


async def _first_row(factory: async_sessionmaker[AsyncSession]) -> int:
    async with UnitOfWork(factory) as uow:
        found = (await uow.session.scalars(select(NudgeMessage.id).order_by(NudgeMessage.id))).first()
    assert found is not None
    return found


async def test_a_message_in_flight_through_a_resubmit_and_back_is_redrafted_before_approval(
    committing_session_factory: async_sessionmaker[AsyncSession],
) -> None:
    factory = committing_session_factory
    campaign_id, supervisor_id = await _campaign(factory)
    async with UnitOfWork(factory) as uow:
        await nudges.submit(uow, campaign_id, Actor.cli(), policy=open_policy())
    in_flight = await _first_row(factory)
    await _set_status(factory, in_flight, "sending")
    async with UnitOfWork(factory) as uow:
        await nudges.edit_template(uow, campaign_id, "درود {name}، در خدمتیم.", Actor.cli())
        resubmitted = await nudges.submit(uow, campaign_id, Actor.cli(), policy=open_policy())
    # The in-flight row kept its place (the insert met it and left it alone) and is counted so.
    assert resubmitted.audience_stats["audience"] == 1
    assert resubmitted.audience_stats["excluded"]["already_in_campaign"] == 1
    await _set_status(factory, in_flight, "pending")  # its send got a 429: back with the old text
    async with UnitOfWork(factory) as uow:
        await nudges.approve(
            uow, campaign_id, resubmitted.revision, Actor.agent(supervisor_id), policy=open_policy()
        )
        body = await uow.session.scalar(select(NudgeMessage.body).where(NudgeMessage.id == in_flight))
    assert body is not None
    assert body.startswith("درود")  # rewritten for the approved revision, not the old template


async def test_the_outbox_never_sends_a_row_of_an_earlier_revision_and_the_sync_rewrites_it(
    committing_session_factory: async_sessionmaker[AsyncSession],
) -> None:
    factory = committing_session_factory
    campaign_id, supervisor_id = await _campaign(factory)
    policy = open_policy()
    async with UnitOfWork(factory) as uow:
        submitted = await nudges.submit(uow, campaign_id, Actor.cli(), policy=policy)
        await nudges.approve(uow, campaign_id, submitted.revision, Actor.agent(supervisor_id), policy=policy)
        await nudges.start_due(uow, Actor.system(), now=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1))
        stale = await _first_row(factory)
        # As if it had been in flight through an edit and an approval, and came back afterwards.
        await uow.session.execute(
            update(NudgeMessage)
            .where(NudgeMessage.id == stale)
            .values(body="متن قدیمی", meta=NudgeMessage.meta.op("||")(text("'{\"revision\": -1}'::jsonb")))
        )
        await uow.commit()
    async with UnitOfWork(factory) as uow:
        claimed = await nudge_outbox.claim(uow, 10, "test-token", per_chat_interval_s=0)
    assert stale not in {row.id for row in claimed}
    assert len(claimed) == 1  # the other, current row
    async with UnitOfWork(factory) as uow:
        assert await nudges.refresh_stale_rows(uow) == [campaign_id]
        body = await uow.session.scalar(select(NudgeMessage.body).where(NudgeMessage.id == stale))
        claimed = await nudge_outbox.claim(uow, 10, "test-token-2", per_chat_interval_s=0)
    assert body is not None
    assert body.startswith("سلام نماینده")  # the approved template again
    assert [row.id for row in claimed] == [stale]
