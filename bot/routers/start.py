"""/start, /help and /lang for agents; the representative side lives in bot.routers.representative."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot import commands
from bot.callbacks import Cancel
from bot.filters import IsAgent
from bot.texts import Texts
from crm.db import UnitOfWork
from crm.enums import Locale
from crm.services import agents
from crm.services.access import Identity

router = Router(name=__name__)
router.message.filter(IsAgent())
router.callback_query.filter(IsAgent())


@router.message(CommandStart(deep_link=False))
@router.message(Command("help"))
async def start(message: Message, identity: Identity, texts: Texts, state: FSMContext) -> None:
    """Everything this role can do, from the same list as the bot's command menu."""
    await state.clear()
    assert identity.agent is not None
    await message.answer(commands.agent_help(identity.agent, texts))


@router.message(Command("lang"))
async def switch_language(message: Message, identity: Identity, uow: UnitOfWork, bot: Bot) -> None:
    assert identity.agent is not None
    target = Locale.EN if identity.agent.locale == Locale.FA else Locale.FA
    changed = await agents.set_locale(uow, identity.agent.id, target, identity.actor)
    await message.answer(Texts(target.value).t("lang.changed"))
    await commands.publish_for(bot, changed)


@router.callback_query(Cancel.filter())
async def cancel(callback: CallbackQuery, state: FSMContext, texts: Texts) -> None:
    await state.clear()
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
        await callback.message.answer(texts.t("cancelled"))
    await callback.answer()


@router.message(Command("cancel"))
async def cancel_command(message: Message, state: FSMContext, texts: Texts) -> None:
    await state.clear()
    await message.answer(texts.t("cancelled"))
