"""What a linked representative can do: opt out (/stop), opt back in (/start), and write to MarFanet."""

from __future__ import annotations

import datetime as dt
import logging

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import Command, CommandStart
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.callbacks import RepReply
from bot.filters import IsRepresentative
from bot.render import esc
from bot.texts import Texts
from crm.db import UnitOfWork
from crm.enums import Channel, Direction
from crm.schemas.activity import InteractionCreate
from crm.schemas.people import RepresentativeDTO
from crm.services import interactions, nudge_replies, representatives
from crm.services.access import Identity

log = logging.getLogger(__name__)
router = Router(name=__name__)
router.message.filter(IsRepresentative())

MAX_REPLY_CHARS = 4000


@router.message(Command("stop"))
async def stop(message: Message, identity: Identity, uow: UnitOfWork, texts: Texts) -> None:
    assert identity.representative is not None
    await nudge_replies.opt_out(uow, identity.representative.id, identity.actor)
    await message.answer(texts.t("rep.opted_out"))


@router.message(CommandStart())
async def start(message: Message, identity: Identity, uow: UnitOfWork, texts: Texts) -> None:
    rep = identity.representative
    assert rep is not None
    if rep.nudges_opt_out_at is not None:
        await representatives.set_nudge_opt_out(uow, rep.id, False, identity.actor)
        await message.answer(texts.t("start.opted_in"))
        return
    await message.answer(texts.t("start.representative", name=esc(rep.full_name)))


@router.message(F.text & ~F.text.startswith("/"))
async def reply(message: Message, identity: Identity, uow: UnitOfWork, texts: Texts, bot: Bot) -> None:
    """A representative's message is logged as an inbound interaction on their record (with its
    sentiment), attributed to the nudge it answers, and forwarded to the assigned agent (else the
    supervisors) with a Reply button."""
    rep = identity.representative
    assert rep is not None
    assert message.text is not None
    if len(message.text) > MAX_REPLY_CHARS:
        await message.answer(texts.t("error.too_long", limit=MAX_REPLY_CHARS))
        return
    logged, created = await interactions.log(
        uow,
        InteractionCreate(
            representative_id=rep.id,
            channel=Channel.TELEGRAM,
            direction=Direction.INBOUND,
            occurred_at=message.date.astimezone(dt.UTC),
            body=message.text,
            source="telegram",
            idempotency_key=f"{message.chat.id}:{message.message_id}",
        ),
        identity.actor,
    )
    if created:
        await nudge_replies.attribute_reply(uow, rep.id, logged.id, logged.occurred_at)
        await _forward(bot, uow, rep, message.text)
    await message.answer(texts.t("rep.reply_logged"))


async def _forward(bot: Bot, uow: UnitOfWork, rep: RepresentativeDTO, text: str) -> None:
    for agent in await nudge_replies.reply_recipients(uow, rep):
        agent_texts = Texts(agent.locale.value)
        markup = InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text=agent_texts.t("btn.reply"), callback_data=RepReply(rep_id=rep.id).pack()
                    )
                ]
            ]
        )
        body = agent_texts.t("nudge.rep_message", name=esc(rep.full_name), code=esc(rep.code), text=esc(text))
        try:
            await bot.send_message(agent.telegram_user_id, body, reply_markup=markup)
        except (TelegramForbiddenError, TelegramBadRequest):  # the agent blocked the bot: logged anyway
            log.warning("could not forward representative %s's message to agent %s", rep.id, agent.id)
