"""/start, /help and /lang for agents; the representative side lives in bot.routers.representative."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.callbacks import Cancel
from bot.filters import IsAgent
from bot.render import esc
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
    await state.clear()
    assert identity.agent is not None
    text = texts.t("start.agent", name=esc(identity.agent.full_name))
    if identity.agent.is_supervisor:
        text += texts.t("start.supervisor_extra")
    await message.answer(text)


@router.message(Command("lang"))
async def switch_language(message: Message, identity: Identity, uow: UnitOfWork) -> None:
    assert identity.agent is not None
    target = Locale.EN if identity.agent.locale == Locale.FA else Locale.FA
    await agents.set_locale(uow, identity.agent.id, target, identity.actor)
    await message.answer(Texts(target.value).t("lang.changed"))


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
