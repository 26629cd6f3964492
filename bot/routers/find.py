"""/find → search results → the rep card, and the card's history view."""

from __future__ import annotations

import datetime as dt

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot import keyboards, render
from bot.callbacks import RepAction
from bot.filters import IsAgent
from bot.render import esc
from bot.texts import Texts
from crm.db import UnitOfWork
from crm.services import interactions, rep_card, representatives
from crm.services.access import Identity

router = Router(name=__name__)
router.message.filter(IsAgent())
router.callback_query.filter(IsAgent())

HISTORY_PAGE = 10
MAX_QUERY = 100


class FindStates(StatesGroup):
    query = State()


async def send_card(message: Message, uow: UnitOfWork, rep_id: int, identity: Identity, texts: Texts) -> None:
    card = await rep_card.load(uow, rep_id)
    text = render.rep_card(card, texts, dt.datetime.now(dt.UTC))
    can_link = card.representative.telegram_user_id is None
    await message.answer(text, reply_markup=keyboards.rep_card(texts, rep_id, can_link=can_link))


async def _search(
    message: Message, query: str, uow: UnitOfWork, identity: Identity, texts: Texts, state: FSMContext
) -> None:
    query = query.strip()[:MAX_QUERY]
    hits = await representatives.find(uow, query, limit=8)
    if not hits:  # the next plain text is another try
        await state.set_state(FindStates.query)
        await message.answer(
            texts.t("find.none", query=esc(query)), reply_markup=keyboards.cancel_only(texts)
        )
        return
    await state.clear()
    if len(hits) == 1:
        await send_card(message, uow, hits[0].representative.id, identity, texts)
        return
    builder = InlineKeyboardBuilder()
    for hit in hits:
        rep = hit.representative
        builder.button(
            text=f"{rep.full_name} · {rep.code}", callback_data=RepAction(action="card", rep_id=rep.id)
        )
    builder.adjust(1)
    await message.answer(
        texts.t("find.results", count=len(hits), query=esc(query)), reply_markup=builder.as_markup()
    )


@router.message(Command("find"))
async def find(
    message: Message,
    command: CommandObject,
    uow: UnitOfWork,
    identity: Identity,
    texts: Texts,
    state: FSMContext,
) -> None:
    if not command.args:
        await state.set_state(FindStates.query)
        await message.answer(texts.t("find.ask"), reply_markup=keyboards.cancel_only(texts))
        return
    await _search(message, command.args, uow, identity, texts, state)


@router.message(FindStates.query, F.text & ~F.text.startswith("/"))
async def find_query(
    message: Message, uow: UnitOfWork, identity: Identity, texts: Texts, state: FSMContext
) -> None:
    await _search(message, message.text or "", uow, identity, texts, state)


@router.callback_query(RepAction.filter(F.action == "card"))
async def open_card(
    callback: CallbackQuery, callback_data: RepAction, uow: UnitOfWork, identity: Identity, texts: Texts
) -> None:
    if isinstance(callback.message, Message):
        await send_card(callback.message, uow, callback_data.rep_id, identity, texts)
    await callback.answer()


@router.callback_query(RepAction.filter(F.action == "hist"))
async def history(callback: CallbackQuery, callback_data: RepAction, uow: UnitOfWork, texts: Texts) -> None:
    rep = await representatives.get(uow, callback_data.rep_id)
    offset = callback_data.before
    items = await interactions.list_for_rep(uow, rep.id, limit=HISTORY_PAGE, offset=offset)
    lines = [texts.t("history.title", name=esc(rep.full_name))]
    lines += [render.interaction_line(item, texts) for item in items] or [texts.t("history.empty")]
    rows = [[keyboards.back_to_card(texts, rep.id)]]
    if len(items) == HISTORY_PAGE:
        older = RepAction(action="hist", rep_id=rep.id, before=offset + HISTORY_PAGE).pack()
        rows.insert(0, [InlineKeyboardButton(text=texts.t("btn.older"), callback_data=older)])
    if isinstance(callback.message, Message):
        await callback.message.answer(
            "\n".join(lines), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows)
        )
    await callback.answer()
