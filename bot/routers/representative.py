"""What a linked representative can do: opt out (/stop), opt back in (/start), ask for /help, and
write or speak to MarFanet (text replies and voice notes reach their agent)."""

from __future__ import annotations

import datetime as dt
import logging

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import Command, CommandStart
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot import commands
from bot.callbacks import RepReply
from bot.filters import IsRepresentative
from bot.media import VOICE_CONTENT, voice_incoming
from bot.render import esc
from bot.sender import send_long
from bot.texts import Texts
from bot.voice_status import VoiceStatusRenderer
from crm.db import UnitOfWork
from crm.enums import Channel, Direction
from crm.schemas.activity import InteractionCreate
from crm.schemas.people import RepresentativeDTO
from crm.services import interactions, nudge_replies, representatives
from crm.services.access import Identity
from crm.services.voice_pipeline import IntakeOutcome, VoicePipeline

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


@router.message(Command("help"))
async def help_command(message: Message, texts: Texts) -> None:
    await message.answer(commands.representative_help(texts))


@router.message(VOICE_CONTENT)
async def voice_note(
    message: Message,
    identity: Identity,
    uow: UnitOfWork,
    texts: Texts,
    voice: VoicePipeline | None = None,
) -> None:
    """A representative's own voice note: stored, transcribed and logged on them like any other, its
    transcript shown to the agent who handles their replies (never to the representative)."""
    rep = identity.representative
    assert rep is not None
    if voice is None:
        await message.answer(texts.t("rep.voice_unavailable"))
        return
    recipients = await nudge_replies.reply_recipients(uow, rep)
    owner = recipients[0] if recipients else None
    data = voice_incoming(
        message,
        agent_id=None if owner is None else owner.id,
        chat_id=None if owner is None else owner.telegram_user_id,
        representative_id=rep.id,
        from_representative=True,
    )
    result = await voice.intake(uow, data, identity.actor)
    if result.outcome == IntakeOutcome.REJECTED:
        reason = VoiceStatusRenderer.for_limits(voice.limits).failure(result.view.note.failure_code, texts)
        await message.answer(texts.t("rep.voice_rejected", reason=reason))
        return
    await message.answer(texts.t("rep.voice_received"))


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
        if not await _forward(bot, uow, rep, message.text):
            await message.answer(texts.t("rep.reply_saved_not_forwarded"))
            return
    await message.answer(texts.t("rep.reply_logged"))


async def _forward(bot: Bot, uow: UnitOfWork, rep: RepresentativeDTO, text: str) -> bool:
    """Send the message to whoever handles the representative, split to Telegram's limit; True when at
    least one of them got all of it."""
    delivered = False
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
            await send_long(bot, agent.telegram_user_id, body, reply_markup=markup)
        except (TelegramForbiddenError, TelegramBadRequest) as exc:  # the message is logged on the rep anyway
            log.warning(
                "could not forward representative %s's message to agent %s: %s", rep.id, agent.id, exc
            )
            continue
        delivered = True
    return delivered
