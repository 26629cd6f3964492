"""Whatever no feature router took: strangers are refused (and audited), stale buttons get an alert,
unknown commands get a hint."""

from __future__ import annotations

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.texts import Texts
from crm.db import UnitOfWork
from crm.services import access
from crm.services.access import Identity, IdentityKind

router = Router(name=__name__)


@router.message()
async def unhandled_message(
    message: Message, identity: Identity, uow: UnitOfWork, texts: Texts, state: FSMContext
) -> None:
    if identity.kind == IdentityKind.STRANGER:
        await state.clear()
        await access.record_refusal(uow, identity.telegram_user_id, message.text or message.content_type)
        await message.answer(texts.t("stranger"))
        return
    if await state.get_state() is not None:
        await message.answer(texts.t("error.expected_text"))
        return
    await message.answer(texts.t("error.unknown_command"))


@router.callback_query()
async def unhandled_callback(
    callback: CallbackQuery, identity: Identity, uow: UnitOfWork, texts: Texts
) -> None:
    if identity.kind == IdentityKind.AGENT:
        await callback.answer(texts.t("error.stale"), show_alert=True)
        return
    await access.record_refusal(uow, identity.telegram_user_id, f"callback:{callback.data}")
    await callback.answer(texts.t("error.forbidden"), show_alert=True)
