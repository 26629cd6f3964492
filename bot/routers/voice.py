"""Voice notes from agents: voice, audio files, video notes, videos (and audio sent as a document).

The handler reads the message and hands it to the voice pipeline (``dp["voice"]``, wired by the
composition root), which stores it, shows the status message and queues it. When the representative
is not obvious (a forward from their linked account, or their code in the caption) the agent picks
them: recent representatives as buttons, or a search. The status message's buttons rate (👍/👎),
correct or retry the transcript.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageOriginUser,
)

from bot import keyboards
from bot.callbacks import VoiceAction
from bot.filters import IsAgent
from bot.media import VOICE_CONTENT, voice_incoming
from bot.render import esc
from bot.texts import Texts
from bot.voice_status import VoiceStatusRenderer
from crm.db import UnitOfWork
from crm.schemas.voice import RepRef, VoiceNoteView
from crm.services import voice_notes, voice_review
from crm.services.access import Identity
from crm.services.voice_pipeline import IntakeOutcome, VoicePipeline

router = Router(name=__name__)
router.message.filter(IsAgent())
router.callback_query.filter(IsAgent())

MAX_QUERY = 100


class VoiceStates(StatesGroup):
    search = State()
    correction = State()


def rep_buttons(note_id: int, reps: list[RepRef], texts: Texts) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                text=f"{rep.full_name} · {rep.code}",
                callback_data=VoiceAction(action="rep", note_id=note_id, rep_id=rep.id).pack(),
            )
        ]
        for rep in reps
    ]
    search = VoiceAction(action="find", note_id=note_id).pack()
    rows.append([InlineKeyboardButton(text=texts.t("btn.voice_search"), callback_data=search)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


@router.message(VOICE_CONTENT)
async def receive(
    message: Message,
    uow: UnitOfWork,
    identity: Identity,
    texts: Texts,
    voice: VoicePipeline | None = None,
) -> None:
    assert identity.agent is not None
    if voice is None:
        await message.answer(texts.t("voice.unavailable"))
        return
    origin = message.forward_origin
    rep_id = await voice_review.guess_representative(
        uow,
        forwarded_from_user_id=origin.sender_user.id if isinstance(origin, MessageOriginUser) else None,
        caption=message.caption,
    )
    data = voice_incoming(
        message, agent_id=identity.agent.id, chat_id=message.chat.id, representative_id=rep_id
    )
    result = await voice.intake(uow, data, identity.actor)
    note = result.view.note
    if result.outcome == IntakeOutcome.DUPLICATE:
        status = texts.t(f"voice.status.{note.status.value}")
        await message.reply(texts.t("voice.duplicate", id=note.id, status=status))
    elif result.outcome == IntakeOutcome.REJECTED:
        renderer = VoiceStatusRenderer.for_limits(voice.limits)
        await message.reply(renderer.render(result.view, texts, position=None, progress=None)[0])
    elif note.representative_id is None:
        reps = await voice_notes.recent_representatives(uow, identity.agent.id)
        await message.answer(texts.t("voice.pick_rep"), reply_markup=rep_buttons(note.id, reps, texts))


async def _refresh_status(voice: VoicePipeline | None, view: VoiceNoteView) -> None:
    if voice is not None and voice.events is not None and not view.note.unfinished:
        await voice.events.show(view)


@router.callback_query(VoiceAction.filter(F.action == "rep"))
async def pick_rep(
    callback: CallbackQuery,
    callback_data: VoiceAction,
    uow: UnitOfWork,
    identity: Identity,
    texts: Texts,
    state: FSMContext,
    voice: VoicePipeline | None = None,
) -> None:
    assert identity.agent is not None
    view = await voice_review.attribute(uow, callback_data.note_id, callback_data.rep_id, identity.agent.id)
    await state.clear()
    rep = view.representative
    assert rep is not None
    text = texts.t("voice.rep_set", name=esc(rep.full_name), code=esc(rep.code))
    await keyboards.advance(callback, text, keyboards.to_card(texts, rep.id))
    await _refresh_status(voice, view)


@router.callback_query(VoiceAction.filter(F.action == "find"))
async def ask_search(
    callback: CallbackQuery, callback_data: VoiceAction, texts: Texts, state: FSMContext, bot: Bot
) -> None:
    await state.set_state(VoiceStates.search)
    await state.set_data({"note_id": callback_data.note_id})
    await keyboards.ask(
        bot, callback.from_user.id, state, texts.t("voice.ask_search"), keyboards.cancel_only(texts)
    )
    await callback.answer()


@router.message(VoiceStates.search, F.text & ~F.text.startswith("/"))
async def search(message: Message, uow: UnitOfWork, texts: Texts, state: FSMContext, bot: Bot) -> None:
    query = (message.text or "").strip()[:MAX_QUERY]
    data = await state.get_data()
    hits = await voice_review.search_representatives(uow, query)
    await keyboards.retire(bot, message.chat.id, data.get(keyboards.PROMPT))
    if not hits:
        await keyboards.ask(
            bot,
            message.chat.id,
            state,
            texts.t("voice.search_none", query=esc(query)),
            keyboards.cancel_only(texts),
        )
        return
    await state.clear()
    await message.answer(
        texts.t("voice.search_results"), reply_markup=rep_buttons(data["note_id"], hits, texts)
    )


@router.callback_query(VoiceAction.filter(F.action.in_({"up", "down"})))
async def rate(
    callback: CallbackQuery, callback_data: VoiceAction, uow: UnitOfWork, identity: Identity, texts: Texts
) -> None:
    assert identity.agent is not None
    rating = 1 if callback_data.action == "up" else -1
    await voice_review.rate(uow, callback_data.note_id, identity.agent.id, rating)
    other = "down" if callback_data.action == "up" else "up"
    chosen_label, other_label = texts.t(f"btn.voice_{callback_data.action}"), texts.t(f"btn.voice_{other}")
    await keyboards.show_vote(
        callback,
        callback_data.pack(),
        VoiceAction(action=other, note_id=callback_data.note_id).pack(),
        (chosen_label, other_label),
    )
    await callback.answer(texts.t("voice.rated"))


@router.callback_query(VoiceAction.filter(F.action == "fix"))
async def ask_correction(
    callback: CallbackQuery, callback_data: VoiceAction, texts: Texts, state: FSMContext, bot: Bot
) -> None:
    await state.set_state(VoiceStates.correction)
    await state.set_data({"note_id": callback_data.note_id})
    text = texts.t("voice.ask_correction", limit=voice_review.MAX_CORRECTION_CHARS)
    await keyboards.ask(bot, callback.from_user.id, state, text, keyboards.cancel_only(texts))
    await callback.answer()


@router.message(VoiceStates.correction, F.text & ~F.text.startswith("/"))
async def correction(
    message: Message,
    uow: UnitOfWork,
    identity: Identity,
    texts: Texts,
    state: FSMContext,
    bot: Bot,
    voice: VoicePipeline | None = None,
) -> None:
    assert identity.agent is not None
    text = await keyboards.step_text(message, texts, voice_review.MAX_CORRECTION_CHARS)
    if text is None:
        return
    data = await state.get_data()
    async with keyboards.final_step(state):
        await voice_review.correct(uow, data["note_id"], text, identity.agent.id)
    await keyboards.retire(bot, message.chat.id, data.get(keyboards.PROMPT))
    view = await voice_notes.view(uow, data["note_id"])
    rep = view.representative
    await message.answer(
        texts.t("voice.corrected"), reply_markup=keyboards.to_card(texts, rep.id) if rep else None
    )
    await _refresh_status(voice, view)


@router.callback_query(VoiceAction.filter(F.action == "retry"))
async def retry(
    callback: CallbackQuery,
    callback_data: VoiceAction,
    uow: UnitOfWork,
    identity: Identity,
    texts: Texts,
    voice: VoicePipeline | None = None,
) -> None:
    assert identity.agent is not None
    if voice is None:
        await callback.answer(texts.t("voice.unavailable"), show_alert=True)
        return
    await voice_notes.retry(uow, callback_data.note_id, identity.agent.id, voice.limits.max_attempts)
    voice.submit(callback_data.note_id)
    await callback.answer(texts.t("voice.requeued"))
