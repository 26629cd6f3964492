"""👍/👎 under any AI output, then (on 👎) a reason from the fixed list and an optional comment.

Generic: a feature puts :func:`buttons` under its message with the ``ai_suggestion`` id, and this
router does the rest through :mod:`crm.services.feedback`. The reason and comment steps are prompts
of their own (see ``bot.keyboards.LivePrompt``), so an old prompt's buttons never count twice.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message

from bot import keyboards
from bot.callbacks import Choice, Feedback
from bot.filters import IsAgent
from bot.keyboards import LivePrompt
from bot.texts import Texts
from crm.db import UnitOfWork
from crm.enums import FeedbackReason, values
from crm.services import feedback
from crm.services.access import Identity

router = Router(name=__name__)
router.message.filter(IsAgent())
router.callback_query.filter(IsAgent())

SKIP = "-"
SID = "feedback_suggestion"


class FeedbackStates(StatesGroup):
    reason = State()
    comment = State()


def buttons(texts: Texts, suggestion_id: int) -> list[InlineKeyboardButton]:
    """The 👍/👎 row for any suggestion."""
    return [
        InlineKeyboardButton(
            text=texts.t("btn.fb_up"), callback_data=Feedback(action="up", sid=suggestion_id).pack()
        ),
        InlineKeyboardButton(
            text=texts.t("btn.fb_down"), callback_data=Feedback(action="down", sid=suggestion_id).pack()
        ),
    ]


def _pair(sid: int, chosen: str) -> tuple[str, str]:
    other = "down" if chosen == "up" else "up"
    return Feedback(action=chosen, sid=sid).pack(), Feedback(action=other, sid=sid).pack()


def _labels(texts: Texts, chosen: str) -> tuple[str, str]:
    up, down = texts.t("btn.fb_up"), texts.t("btn.fb_down")
    return (up, down) if chosen == "up" else (down, up)


@router.callback_query(Feedback.filter(F.action == "up"))
async def up(
    callback: CallbackQuery, callback_data: Feedback, uow: UnitOfWork, identity: Identity, texts: Texts
) -> None:
    assert identity.agent is not None
    await feedback.vote(uow, callback_data.sid, identity.agent.id, feedback.UP)
    await keyboards.show_vote(callback, *_pair(callback_data.sid, "up"), _labels(texts, "up"))
    await callback.answer(texts.t("fb.thanks"))


@router.callback_query(Feedback.filter(F.action == "down"))
async def down(
    callback: CallbackQuery,
    callback_data: Feedback,
    uow: UnitOfWork,
    identity: Identity,
    texts: Texts,
    state: FSMContext,
    bot: Bot,
) -> None:
    assert identity.agent is not None
    await feedback.vote(uow, callback_data.sid, identity.agent.id, feedback.DOWN)
    await keyboards.show_vote(callback, *_pair(callback_data.sid, "down"), _labels(texts, "down"))
    await state.set_state(FeedbackStates.reason)
    await state.set_data({SID: callback_data.sid})
    options = [(reason.value, texts.t(f"fb.reason.{reason.value}")) for reason in FeedbackReason]
    await keyboards.ask(
        bot,
        callback.from_user.id,
        state,
        texts.t("fb.ask_reason"),
        keyboards.choices(texts, "fb_reason", options),
    )
    await callback.answer()


@router.callback_query(
    FeedbackStates.reason,
    Choice.filter((F.field == "fb_reason") & F.value.in_(set(values(FeedbackReason)))),
    LivePrompt(),
)
async def reason(
    callback: CallbackQuery,
    callback_data: Choice,
    uow: UnitOfWork,
    identity: Identity,
    texts: Texts,
    state: FSMContext,
) -> None:
    assert identity.agent is not None
    data = await state.get_data()
    await feedback.set_reason(uow, int(data[SID]), identity.agent.id, FeedbackReason(callback_data.value))
    await state.set_state(FeedbackStates.comment)
    await keyboards.advance(
        callback, texts.t("fb.ask_comment"), keyboards.choices(texts, "fb_comment", [], skip=True)
    )


@router.message(FeedbackStates.comment, F.text & ~F.text.startswith("/"))
async def comment(
    message: Message, uow: UnitOfWork, identity: Identity, texts: Texts, state: FSMContext, bot: Bot
) -> None:
    assert identity.agent is not None
    text = await keyboards.step_text(message, texts, feedback.MAX_COMMENT_CHARS)
    if text is None:
        return
    data = await state.get_data()
    async with keyboards.final_step(state):
        await feedback.set_comment(uow, int(data[SID]), identity.agent.id, text)
    await keyboards.retire(bot, message.chat.id, data.get(keyboards.PROMPT))
    await message.answer(texts.t("fb.saved"))


@router.callback_query(
    FeedbackStates.comment, Choice.filter((F.field == "fb_comment") & (F.value == SKIP)), LivePrompt()
)
async def skip_comment(callback: CallbackQuery, texts: Texts, state: FSMContext) -> None:
    await state.clear()
    await keyboards.advance(callback, texts.t("fb.saved"))
