"""What a linked representative can do: opt out (/stop), opt back in (/start), and write to MarFanet."""

from __future__ import annotations

import datetime as dt

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.types import Message

from bot.filters import IsRepresentative
from bot.render import esc
from bot.texts import Texts
from crm.db import UnitOfWork
from crm.enums import Channel, Direction
from crm.schemas.activity import InteractionCreate
from crm.services import interactions, representatives
from crm.services.access import Identity

router = Router(name=__name__)
router.message.filter(IsRepresentative())

MAX_REPLY_CHARS = 4000


@router.message(Command("stop"))
async def stop(message: Message, identity: Identity, uow: UnitOfWork, texts: Texts) -> None:
    assert identity.representative is not None
    await representatives.set_nudge_opt_out(uow, identity.representative.id, True, identity.actor)
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
async def reply(message: Message, identity: Identity, uow: UnitOfWork, texts: Texts) -> None:
    """A representative's message is logged as an inbound interaction on their record."""
    rep = identity.representative
    assert rep is not None
    assert message.text is not None
    if len(message.text) > MAX_REPLY_CHARS:
        await message.answer(texts.t("error.too_long", limit=MAX_REPLY_CHARS))
        return
    await interactions.log(
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
    await message.answer(texts.t("rep.reply_logged"))
