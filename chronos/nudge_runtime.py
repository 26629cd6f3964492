"""Composition of nudge campaigns for the processes that run them (the CLI, the scheduler, the bot):
the send policy and dispatch settings, the drafter (LLM and knowledge hub when available) and the
approval-card push to supervisors."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ai.llm import LLMGateway
from ai.nudges.knowledge import HubLookup
from ai.nudges.send_window import SendWindow
from bot.campaign_card import Announcement, push_approval_card
from bot.sender import build_bot
from chronos.knowledge_runtime import build_hub
from chronos.settings import Settings
from crm.schemas.nudges import NudgePolicy
from crm.services.nudge_drafting import DrafterFactory, drafter_factory
from jobs.nudge_dispatch import DispatchConfig

Announcer = Callable[[int], Awaitable[Announcement]]


def nudge_policy(settings: Settings) -> NudgePolicy:
    nudge = settings.nudge
    window = SendWindow(
        quiet_start_hour=nudge.quiet_start_hour,
        quiet_end_hour=nudge.quiet_end_hour,
        skip_fridays=nudge.skip_fridays,
        skip_mourning=nudge.skip_mourning_days,
        extra_blocked=frozenset(nudge.extra_blocked_dates),
    )
    return NudgePolicy(
        window=window,
        global_rate_per_s=nudge.global_rate_per_s,
        per_chat_interval_s=nudge.per_chat_interval_s,
        max_attempts=nudge.max_attempts,
        min_days_between=nudge.min_days_between,
    )


def dispatch_config(settings: Settings) -> DispatchConfig:
    return DispatchConfig(
        policy=nudge_policy(settings),
        max_in_flight=settings.nudge.max_in_flight,
        poll_interval_s=settings.nudge.poll_interval_s,
    )


@contextlib.contextmanager
def campaign_drafter(settings: Settings, gateway: LLMGateway) -> Iterator[DrafterFactory]:
    """The LLM when one is configured (the gateway decides), and knowledge items from the hub's
    lexical index (loading the embedder would cost a CLI call tens of seconds)."""
    hub = build_hub(settings)
    try:
        yield drafter_factory(gateway, functools.partial(HubLookup, hub))
    finally:
        hub.close()


@contextlib.asynccontextmanager
async def card_announcer(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> AsyncIterator[Announcer | None]:
    """Pushes approval cards to supervisors; None without a bot token (they use /campaigns)."""
    if settings.bot.token is None:
        yield None
        return
    bot = build_bot(settings.bot.token.get_secret_value(), api_server=settings.bot.api_server)
    policy = nudge_policy(settings)

    async def announce(campaign_id: int) -> Announcement:
        return await push_approval_card(bot, session_factory, campaign_id, policy)

    try:
        yield announce
    finally:
        await bot.session.close()
