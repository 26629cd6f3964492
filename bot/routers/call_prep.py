"""Call prep in the bot: ``/prep <code|name|phone>`` and the card's button show the briefing; under it
👍/👎 (``bot.routers.feedback``) and «How did it go?», which logs the call linked to the briefing.
``/i_123``, ``/t_45``, ``/p_9``, ``/v_3`` and ``/u_7`` open the records a briefing cites.

Agents only (router-level filter): for anyone else these commands fall through to the fallback router,
which refuses and audits strangers. Rendering is in :mod:`bot.call_prep_view`.
"""

from __future__ import annotations

import re

from aiogram import Bot, F, Router
from aiogram.enums import ChatAction
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from ai.call_prep.schema import EvidenceRef
from ai.llm import LLMGateway
from bot import call_prep_view as view
from bot import keyboards, render
from bot.callbacks import CallPrep, Choice, RepAction
from bot.filters import IsAgent
from bot.keyboards import LivePrompt
from bot.render import esc
from bot.routers import feedback
from bot.texts import Texts
from crm.db import UnitOfWork
from crm.enums import Outcome, values
from crm.errors import NotFound
from crm.schemas.activity import InteractionDTO
from crm.services import call_prep, call_prep_records
from crm.services.access import Identity
from crm.services.call_prep import AmbiguousRepresentative

router = Router(name=__name__)
router.message.filter(IsAgent())
router.callback_query.filter(IsAgent())

RECORD = re.compile(r"^([itpvu])_([1-9][0-9]{0,17})$")
MAX_QUERY = 100
SKIP = "-"


class OutcomeStates(StatesGroup):
    outcome = State()
    note = State()


async def _send_briefing(
    bot: Bot,
    chat_id: int,
    rep_id: int,
    uow: UnitOfWork,
    identity: Identity,
    texts: Texts,
    gateway: LLMGateway | None,
) -> None:
    assert identity.agent is not None
    await bot.send_chat_action(chat_id, ChatAction.TYPING)
    dto = await call_prep.prepare(
        uow, rep_id, identity.agent.id, gateway=gateway, locale=identity.agent.locale
    )
    parts = render.split_message(view.briefing(dto, texts))
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            feedback.buttons(texts, dto.suggestion_id),
            [
                InlineKeyboardButton(
                    text=texts.t("btn.call_done"),
                    callback_data=CallPrep(action="done", sid=dto.suggestion_id).pack(),
                )
            ],
            [keyboards.back_to_card(texts, rep_id)],
        ]
    )
    for n, part in enumerate(parts, 1):
        await bot.send_message(chat_id, part, reply_markup=markup if n == len(parts) else None)


@router.message(Command("prep"))
async def prep(
    message: Message,
    command: CommandObject,
    uow: UnitOfWork,
    identity: Identity,
    texts: Texts,
    state: FSMContext,
    bot: Bot,
    gateway: LLMGateway | None = None,
) -> None:
    await state.clear()
    query = (command.args or "").strip()[:MAX_QUERY]
    if not query:
        await message.answer(texts.t("prep.ask"))
        return
    try:
        rep = await call_prep.find_rep(uow, query)
    except NotFound:
        await message.answer(texts.t("prep.none", query=esc(query)))
        return
    except AmbiguousRepresentative as many:
        builder = InlineKeyboardBuilder()
        for hit in many.choices:
            option = hit.representative
            builder.button(
                text=f"{option.full_name} · {option.code}",
                callback_data=CallPrep(action="rep", rep_id=option.id),
            )
        builder.adjust(1)
        await message.answer(texts.t("prep.choose", query=esc(query)), reply_markup=builder.as_markup())
        return
    await _send_briefing(bot, message.chat.id, rep.id, uow, identity, texts, gateway)


@router.callback_query(RepAction.filter(F.action == "prep"))
@router.callback_query(CallPrep.filter(F.action == "rep"))
async def from_button(
    callback: CallbackQuery,
    callback_data: RepAction | CallPrep,
    uow: UnitOfWork,
    identity: Identity,
    texts: Texts,
    bot: Bot,
    gateway: LLMGateway | None = None,
) -> None:
    await callback.answer()
    await _send_briefing(bot, callback.from_user.id, callback_data.rep_id, uow, identity, texts, gateway)


@router.message(Command(RECORD))
async def open_record(message: Message, command: CommandObject, uow: UnitOfWork, texts: Texts) -> None:
    found = command.regexp_match
    assert found is not None
    evidence = EvidenceRef.parse(found.group(0))
    assert evidence is not None  # RECORD only matches tokens
    record = await call_prep_records.open_record(uow, evidence)
    markup = InlineKeyboardMarkup(inline_keyboard=[[keyboards.back_to_card(texts, record.representative.id)]])
    await message.answer(view.record(record, texts), reply_markup=markup)


# «How did it go?»: outcome → note (or skip) → an interaction linked to the briefing.


@router.callback_query(CallPrep.filter(F.action == "done"))
async def begin_outcome(
    callback: CallbackQuery,
    callback_data: CallPrep,
    uow: UnitOfWork,
    texts: Texts,
    state: FSMContext,
    bot: Bot,
) -> None:
    dto = await call_prep.get(uow, callback_data.sid)
    await state.set_state(OutcomeStates.outcome)
    await state.set_data({"prep_sid": dto.suggestion_id})
    options = [(o.value, texts.t(f"outcome.{o.value}")) for o in Outcome]
    question = texts.t("prep.ask_outcome", name=esc(dto.representative.full_name))
    await keyboards.ask(
        bot, callback.from_user.id, state, question, keyboards.choices(texts, "prep_outcome", options)
    )
    await callback.answer()


@router.callback_query(
    OutcomeStates.outcome,
    Choice.filter((F.field == "prep_outcome") & F.value.in_(set(values(Outcome)))),
    LivePrompt(),
)
async def pick_outcome(
    callback: CallbackQuery, callback_data: Choice, texts: Texts, state: FSMContext
) -> None:
    await state.update_data({"prep_outcome": callback_data.value})
    await state.set_state(OutcomeStates.note)
    await keyboards.advance(
        callback, texts.t("prep.ask_note"), keyboards.choices(texts, "prep_note", [], skip=True)
    )


@router.message(OutcomeStates.note, F.text & ~F.text.startswith("/"))
async def write_note(
    message: Message, uow: UnitOfWork, identity: Identity, texts: Texts, state: FSMContext, bot: Bot
) -> None:
    note = await keyboards.step_text(message, texts, call_prep.MAX_NOTE_CHARS)
    if note is None:
        return
    data = await state.get_data()
    item = await _save_outcome(uow, identity, state, data, note, f"{message.chat.id}:{message.message_id}")
    await keyboards.retire(bot, message.chat.id, data.get(keyboards.PROMPT))
    await message.answer(_saved(item, texts), reply_markup=keyboards.to_card(texts, item.representative_id))


@router.callback_query(
    OutcomeStates.note, Choice.filter((F.field == "prep_note") & (F.value == SKIP)), LivePrompt()
)
async def skip_note(
    callback: CallbackQuery, uow: UnitOfWork, identity: Identity, texts: Texts, state: FSMContext
) -> None:
    assert isinstance(callback.message, Message)  # LivePrompt checked it
    key = f"{callback.message.chat.id}:{callback.message.message_id}"
    item = await _save_outcome(uow, identity, state, await state.get_data(), None, key)
    await keyboards.advance(callback, _saved(item, texts), keyboards.to_card(texts, item.representative_id))


def _saved(item: InteractionDTO, texts: Texts) -> str:
    outcome = item.outcome.value if item.outcome is not None else "none"
    return texts.t("prep.outcome_saved", outcome=texts.t(f"outcome.{outcome}"))


async def _save_outcome(
    uow: UnitOfWork,
    identity: Identity,
    state: FSMContext,
    data: dict[str, object],
    note: str | None,
    key: str,
) -> InteractionDTO:
    assert identity.agent is not None
    outcome = Outcome(str(data["prep_outcome"]))
    async with keyboards.final_step(state):
        return await call_prep.record_outcome(
            uow, int(str(data["prep_sid"])), identity.agent.id, outcome, note, idempotency_key=f"prep:{key}"
        )
