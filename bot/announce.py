"""The approval card pushed to every active supervisor when a campaign starts waiting for approval.

Campaigns are submitted outside the bot (``chronos campaigns submit``, the scheduler's weekly
auto-draft), so those processes push the card themselves through the Bot API. A supervisor who cannot
be reached (blocked the bot, Telegram down) is logged and skipped: the card is always available from
``/campaigns`` too, so a failed push never undoes the submission.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.routers.campaigns import send_card
from bot.texts import Texts
from crm.db import UnitOfWork
from crm.schemas.nudges import NudgePolicy
from crm.services import agents, nudge_results

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Announcement:
    notified: int
    unreachable: int


async def push_approval_card(
    bot: Bot, session_factory: async_sessionmaker[AsyncSession], campaign_id: int, policy: NudgePolicy
) -> Announcement:
    async with UnitOfWork(session_factory) as uow:
        card = await nudge_results.card(uow, campaign_id, policy)
        supervisors = [a for a in await agents.list_all(uow, active_only=True) if a.is_supervisor]
    notified = 0
    for supervisor in supervisors:
        try:
            await send_card(bot, supervisor.telegram_user_id, card, Texts(supervisor.locale.value))
            notified += 1
        except TelegramAPIError as exc:
            log.warning("campaign %s: card not pushed to supervisor %s (%s)", campaign_id, supervisor.id, exc)
    return Announcement(notified=notified, unreachable=len(supervisors) - notified)
