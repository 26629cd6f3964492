"""Log an interaction from the rep card: channel → outcome (or skip) → note (or skip) → saved.

The interaction is outbound, by the agent, at the moment of saving, with source ``bot`` and the final
update's ``chat:message`` as idempotency key, so a redelivered or repeated last step logs it once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot import keyboards
from bot.callbacks import Choice, RepAction
from bot.filters import IsAgent
from bot.keyboards import LivePrompt
from bot.render import esc
from bot.texts import Texts
from crm.db import UnitOfWork
from crm.enums import Channel, Direction, Outcome, values
from crm.schemas.activity import InteractionCreate, InteractionDTO
from crm.services import interactions, representatives
from crm.services.access import Identity

router = Router(name=__name__)
router.message.filter(IsAgent())
router.callback_query.filter(IsAgent())

MAX_NOTE_CHARS = 2000
SKIP = "-"
# Voice notes are logged by the voice pipeline, not by hand.
MANUAL_CHANNELS = tuple(c for c in Channel if c != Channel.VOICE_NOTE)


class LogStates(StatesGroup):
    channel = State()
    outcome = State()
    note = State()


@router.callback_query(RepAction.filter(F.action == "log"))
async def begin(
    callback: CallbackQuery,
    callback_data: RepAction,
    uow: UnitOfWork,
    texts: Texts,
    state: FSMContext,
    bot: Bot,
) -> None:
    rep = await representatives.get(uow, callback_data.rep_id)
    await state.set_state(LogStates.channel)
    await state.set_data({"rep_id": rep.id})
    options = [(c.value, texts.t(f"channel.{c.value}")) for c in MANUAL_CHANNELS]
    await keyboards.ask(
        bot,
        callback.from_user.id,
        state,
        texts.t("interaction.ask_channel", name=esc(rep.full_name)),
        keyboards.choices(texts, "channel", options),
    )
    await callback.answer()


@router.callback_query(
    LogStates.channel,
    Choice.filter((F.field == "channel") & F.value.in_({c.value for c in MANUAL_CHANNELS})),
    LivePrompt(),
)
async def pick_channel(
    callback: CallbackQuery, callback_data: Choice, texts: Texts, state: FSMContext
) -> None:
    await state.update_data({"channel": callback_data.value})
    await state.set_state(LogStates.outcome)
    options = [(o.value, texts.t(f"outcome.{o.value}")) for o in Outcome]
    await keyboards.advance(
        callback, texts.t("interaction.ask_outcome"), keyboards.choices(texts, "outcome", options, skip=True)
    )


@router.callback_query(
    LogStates.outcome,
    Choice.filter((F.field == "outcome") & F.value.in_({*values(Outcome), SKIP})),
    LivePrompt(),
)
async def pick_outcome(
    callback: CallbackQuery, callback_data: Choice, texts: Texts, state: FSMContext
) -> None:
    await state.update_data({"outcome": None if callback_data.value == SKIP else callback_data.value})
    await state.set_state(LogStates.note)
    await keyboards.advance(
        callback, texts.t("interaction.ask_note"), keyboards.choices(texts, "note", [], skip=True)
    )


@router.message(LogStates.note, F.text & ~F.text.startswith("/"))
async def write_note(
    message: Message, uow: UnitOfWork, identity: Identity, texts: Texts, state: FSMContext, bot: Bot
) -> None:
    note = await keyboards.step_text(message, texts, MAX_NOTE_CHARS)
    if note is None:
        return
    data = await state.get_data()
    item = await _save(uow, identity, state, data, note, f"{message.chat.id}:{message.message_id}")
    await keyboards.retire(bot, message.chat.id, data.get(keyboards.PROMPT))
    await message.answer(
        _saved_text(item, texts), reply_markup=keyboards.to_card(texts, item.representative_id)
    )


@router.callback_query(LogStates.note, Choice.filter((F.field == "note") & (F.value == SKIP)), LivePrompt())
async def skip_note(
    callback: CallbackQuery, uow: UnitOfWork, identity: Identity, texts: Texts, state: FSMContext
) -> None:
    assert isinstance(callback.message, Message)  # LivePrompt checked it
    key = f"{callback.message.chat.id}:{callback.message.message_id}"
    item = await _save(uow, identity, state, await state.get_data(), None, key)
    await keyboards.advance(
        callback, _saved_text(item, texts), keyboards.to_card(texts, item.representative_id)
    )


async def _save(
    uow: UnitOfWork,
    identity: Identity,
    state: FSMContext,
    data: dict[str, Any],
    note: str | None,
    key: str,
) -> InteractionDTO:
    assert identity.agent is not None
    outcome = data.get("outcome")
    async with keyboards.final_step(state):
        item, _ = await interactions.log(
            uow,
            InteractionCreate(
                representative_id=data["rep_id"],
                agent_id=identity.agent.id,
                channel=Channel(data["channel"]),
                direction=Direction.OUTBOUND,
                occurred_at=dt.datetime.now(dt.UTC),
                summary=note,
                outcome=Outcome(outcome) if outcome else None,
                source="bot",
                idempotency_key=key,
            ),
            identity.actor,
        )
    return item


def _saved_text(item: InteractionDTO, texts: Texts) -> str:
    outcome = item.outcome.value if item.outcome is not None else "none"
    return texts.t(
        "interaction.saved",
        channel=texts.t(f"channel.{item.channel.value}"),
        outcome=texts.t(f"outcome.{outcome}"),
    )
