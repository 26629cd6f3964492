"""The campaign approval card: how it reads, its buttons, and pushing it to every active supervisor.

Campaigns are submitted outside the bot (``chronos campaigns submit``, the scheduler's weekly
auto-draft), so those processes push the card themselves through the Bot API; the bot pushes a new
revision after a template edit. A supervisor who cannot be reached (blocked the bot, Telegram down) is
logged and skipped: the card is always available from ``/campaigns`` too, so a failed push never undoes
the submission.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ai.llm import OFFLINE_ENGINE
from ai.text.calendar import format_clock, format_date
from bot.callbacks import CampaignAction
from bot.render import esc
from bot.texts import Texts
from crm.db import UnitOfWork
from crm.enums import CampaignStatus
from crm.schemas.nudges import CampaignCard, NudgePolicy
from crm.schemas.people import AgentDTO
from crm.services import agents, nudge_results

log = logging.getLogger(__name__)
SAMPLE_CHARS = 700


def when(texts: Texts, moment: dt.datetime | None) -> str:
    return format_date(moment, texts.locale, with_time=True) if moment else texts.t("nudge.not_planned")


def schedule(card: CampaignCard, texts: Texts) -> str:
    """When the messages go, day by day: the same plan on the card, after approval and in the CLI."""
    if card.first_send_at is None or card.estimated_finish_at is None:
        return texts.t("nudge.schedule_none")
    lines = [
        texts.t(
            "nudge.schedule",
            start=when(texts, card.first_send_at),
            finish=when(texts, card.estimated_finish_at),
        )
    ]
    lines += [
        texts.t(
            "nudge.schedule_day",
            day=format_date(day.first, texts.locale),
            count=day.count,
            first=format_clock(day.first, texts.locale),
            last=format_clock(day.last, texts.locale),
        )
        for day in card.spread
    ]
    return "\n".join(lines)


def engine_name(engine: str, texts: Texts) -> str:
    return texts.t("engine.offline") if engine == OFFLINE_ENGINE else esc(engine)


def engines(card: CampaignCard, texts: Texts) -> str:
    """Who wrote the messages, in the reader's language: «آفلاین» or «grok-3 ×۴۸، آفلاین ×۲»."""
    if not card.engines:
        return engine_name(card.campaign.engine or OFFLINE_ENGINE, texts)
    if len(card.engines) == 1:
        return engine_name(next(iter(card.engines)), texts)
    separator = "، " if texts.locale == "fa" else ", "
    return separator.join(f"{engine_name(name, texts)} ×{texts.num(n)}" for name, n in card.engines.items())


def render_card(card: CampaignCard, texts: Texts) -> str:
    c = card.campaign
    excluded = ", ".join(
        f"{texts.t(f'nudge.excluded.{reason}')} {texts.num(count)}"
        for reason, count in card.excluded.items()
        if count
    )
    shown = "\n".join(
        texts.t(
            "nudge.text",
            count=t.count,
            names=esc("، ".join(t.example_names) if texts.locale == "fa" else ", ".join(t.example_names)),
            body=esc(t.text if len(t.text) <= SAMPLE_CHARS else t.text[: SAMPLE_CHARS - 1] + "…"),
        )
        for t in card.texts
    )
    return texts.t(
        "nudge.card",
        id=c.id,
        name=esc(c.name),
        status=texts.t(f"nudge.status.{c.status.value}"),
        revision=c.revision,
        engine=engines(card, texts),
        purpose=esc(c.purpose),
        audience=card.audience,
        matched=int(c.audience_stats.get("matched", card.audience)),
        excluded=excluded or texts.t("nudge.excluded_none"),
        schedule=schedule(card, texts),
        first=card.text_offset + 1 if card.texts else 0,
        last=card.text_offset + len(card.texts),
        distinct=card.distinct_total,
        texts=shown,
    )


def card_keyboard(card: CampaignCard, texts: Texts) -> InlineKeyboardMarkup | None:
    c = card.campaign
    if c.status != CampaignStatus.PENDING_APPROVAL:
        return None

    def button(label: str, action: str, offset: int = 0) -> InlineKeyboardButton:
        data = CampaignAction(action=action, campaign_id=c.id, revision=c.revision, offset=offset)
        return InlineKeyboardButton(text=texts.t(label), callback_data=data.pack())

    next_offset = card.text_offset + len(card.texts)
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button("btn.nudge_approve", "ok"), button("btn.nudge_reject", "no")],
            [button("btn.nudge_edit", "edit"), button("btn.nudge_more", "more", next_offset)],
        ]
    )


async def send_card(bot: Bot, chat_id: int, card: CampaignCard, texts: Texts) -> None:
    await bot.send_message(chat_id, render_card(card, texts), reply_markup=card_keyboard(card, texts))


@dataclass(frozen=True)
class Announcement:
    notified: int
    unreachable: int


async def recipients(uow: UnitOfWork) -> list[AgentDTO]:
    """Who decides on campaigns: active supervisors and admins."""
    return [agent for agent in await agents.list_all(uow, active_only=True) if agent.is_supervisor]


async def send_to_supervisors(bot: Bot, card: CampaignCard, supervisors: Sequence[AgentDTO]) -> Announcement:
    notified = 0
    for supervisor in supervisors:
        try:
            await send_card(bot, supervisor.telegram_user_id, card, Texts(supervisor.locale.value))
            notified += 1
        except TelegramAPIError as exc:
            log.warning(
                "campaign %s: card not pushed to supervisor %s (%s)", card.campaign.id, supervisor.id, exc
            )
    return Announcement(notified=notified, unreachable=len(supervisors) - notified)


async def push_approval_card(
    bot: Bot, session_factory: async_sessionmaker[AsyncSession], campaign_id: int, policy: NudgePolicy
) -> Announcement:
    async with UnitOfWork(session_factory) as uow:
        card = await nudge_results.card(uow, campaign_id, policy)
        supervisors = await recipients(uow)
    return await send_to_supervisors(bot, card, supervisors)
