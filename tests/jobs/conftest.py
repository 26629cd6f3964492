"""Fixtures for the nudge dispatcher: a campaign in ``sending`` with linked representatives whose chats
exist in a Telegram emulator, and a policy whose send window is always open."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ai.nudges.send_window import SendWindow
from chronos.emulators import TelegramEmulator
from crm.db import UnitOfWork
from crm.enums import AgentRole
from crm.schemas.nudges import CampaignCreate, NudgePolicy
from crm.schemas.types import Actor
from crm.services import nudges
from jobs.telegram_sender import BotApiSender
from tests.factories import make_agent, make_rep

ALWAYS_OPEN = SendWindow(quiet_start_hour=0, quiet_end_hour=0, skip_fridays=False, skip_mourning=False)
_chat_ids = itertools.count(5_100_001)
TEMPLATE = "سلام {name} عزیز، خواستیم حالی از کارتان بپرسیم."


def open_policy(rate: float = 200.0, per_chat: float = 1.0) -> NudgePolicy:
    return NudgePolicy(window=ALWAYS_OPEN, global_rate_per_s=rate, per_chat_interval_s=per_chat)


@dataclass
class Campaign:
    id: int
    chat_ids: list[int]
    rep_ids: list[int]
    supervisor_id: int


async def sending_campaign(
    session_factory: async_sessionmaker[AsyncSession],
    emulator: TelegramEmulator | None,
    size: int,
    *,
    policy: NudgePolicy | None = None,
) -> Campaign:
    """A campaign of ``size`` linked reps, approved by a supervisor and started."""
    policy = policy or open_policy()
    uow = UnitOfWork(session_factory)
    async with uow:
        supervisor = await make_agent(uow, role=AgentRole.SUPERVISOR)
        chats, reps = [], []
        for n in range(size):
            chat = next(_chat_ids)
            rep = await make_rep(uow, name=f"نماینده {n}", telegram_user_id=chat)
            chats.append(chat)
            reps.append(rep.id)
            if emulator is not None:
                emulator.user(chat, f"Rep{n}")
        actor = Actor.agent(supervisor.id)
        campaign = await nudges.create(
            uow, CampaignCreate(name="پیگیری", purpose="احوال‌پرسی", template=TEMPLATE), actor
        )
        now = dt.datetime.now(dt.UTC)
        campaign = await nudges.submit(uow, campaign.id, actor, policy=policy, now=now)
        decision = await nudges.approve(uow, campaign.id, campaign.revision, actor, policy=policy, now=now)
        await nudges.start_due(uow, Actor.system(), now=now + dt.timedelta(seconds=1))
    return Campaign(decision.campaign.id, chats, reps, supervisor.id)


@pytest.fixture
async def telegram() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator() as emulator:
        yield emulator


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def sender(telegram: TelegramEmulator, http: aiohttp.ClientSession) -> BotApiSender:
    return BotApiSender(http, telegram.token, base_url=telegram.base_url, timeout_s=5)
