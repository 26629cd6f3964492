"""Callback answers and 403s as Telegram gives them, through the real aiogram client."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import CallbackQuery

from chronos.emulators import TelegramEmulator
from tests.emulators.test_telegram_emulator import AGENT_ID, keyboard, make_bot

REP_ID = 3003


class ManualClock:
    """The emulator's clock, moved by the test instead of by sleeping."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def emulator(clock: ManualClock) -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(clock=clock) as running:
        running.user(AGENT_ID, "Sara")
        yield running


@pytest.fixture
async def bot(emulator: TelegramEmulator) -> AsyncIterator[Bot]:
    client = make_bot(emulator)
    yield client
    await client.session.close()


async def pressed_query_id(bot: Bot, emulator: TelegramEmulator) -> str:
    sent = await bot.send_message(AGENT_ID, "choose", reply_markup=keyboard("ok"))
    agent = emulator.user(AGENT_ID, "Sara")
    update_id = emulator.press_button(agent, sent.message_id, "ok")
    return str(emulator.update(update_id)["callback_query"]["id"])


async def test_a_callback_query_is_answered_once_within_the_window(
    bot: Bot, emulator: TelegramEmulator, clock: ManualClock
) -> None:
    query_id = await pressed_query_id(bot, emulator)
    clock.advance(14.5)

    assert await bot.answer_callback_query(query_id, text="ثبت شد")
    with pytest.raises(TelegramBadRequest, match="query is too old and response timeout expired"):
        await bot.answer_callback_query(query_id)


async def test_a_callback_query_expires_after_fifteen_seconds(
    bot: Bot, emulator: TelegramEmulator, clock: ManualClock
) -> None:
    query_id = await pressed_query_id(bot, emulator)
    clock.advance(15.5)  # e.g. the handler waited on the LLM before answering

    with pytest.raises(TelegramBadRequest) as caught:
        await bot.answer_callback_query(query_id, text="دیر شد")

    assert caught.value.message == (
        "Bad Request: query is too old and response timeout expired or query ID is invalid"
    )
    assert emulator.calls("answerCallbackQuery")[-1].response_status == 400


async def test_the_window_is_configurable(clock: ManualClock) -> None:
    async with TelegramEmulator(clock=clock, callback_answer_window_s=60) as emulator:
        emulator.user(AGENT_ID, "Sara")
        bot = make_bot(emulator)
        try:
            query_id = await pressed_query_id(bot, emulator)
            clock.advance(59)
            assert await bot.answer_callback_query(query_id)
        finally:
            await bot.session.close()


async def test_a_handler_that_waits_on_slow_work_before_answering_is_refused(
    bot: Bot, emulator: TelegramEmulator, clock: ManualClock
) -> None:
    router = Router(name="answer_order")

    @router.callback_query(F.data == "slow")
    async def work_then_answer(query: CallbackQuery) -> None:
        clock.advance(20)  # an LLM call made before answering the press
        await query.answer("انجام شد")

    @router.callback_query(F.data == "fast")
    async def answer_then_work(query: CallbackQuery) -> None:
        await query.answer("در حال آماده‌سازی…")
        clock.advance(20)

    dp = Dispatcher()
    dp.include_router(router)
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
    try:
        agent = emulator.user(AGENT_ID, "Sara")
        sent = await bot.send_message(AGENT_ID, "choose", reply_markup=keyboard("slow", "fast"))
        emulator.press_button(agent, sent.message_id, "slow")
        late = await emulator.wait_for("answerCallbackQuery")
        emulator.clear_calls()
        emulator.press_button(agent, sent.message_id, "fast")
        prompt = await emulator.wait_for("answerCallbackQuery")
    finally:
        await dp.stop_polling()
        with contextlib.suppress(asyncio.CancelledError):
            await polling

    assert late.response_status == 400
    assert "query is too old" in str(late.response["description"])
    assert prompt.ok


async def test_an_answer_over_200_characters_is_refused_and_the_query_stays_open(
    bot: Bot, emulator: TelegramEmulator
) -> None:
    query_id = await pressed_query_id(bot, emulator)

    with pytest.raises(TelegramBadRequest, match="MESSAGE_TOO_LONG"):
        await bot.answer_callback_query(query_id, text="ا" * 201, show_alert=True)

    assert await bot.answer_callback_query(query_id, text="ا" * 200, show_alert=True)


async def test_a_user_who_never_started_the_bot_cannot_be_written_to_until_they_do(
    bot: Bot, emulator: TelegramEmulator
) -> None:
    rep = emulator.user(REP_ID, "Reza", started=False)

    with pytest.raises(TelegramForbiddenError) as caught:
        await bot.send_message(REP_ID, "سلام")
    assert caught.value.message == "Forbidden: bot can't initiate conversation with a user"
    with pytest.raises(TelegramBadRequest, match="chat not found"):  # an id Telegram never saw
        await bot.send_message(REP_ID + 1, "سلام")

    emulator.send_command(rep, "start")
    assert (await bot.send_message(REP_ID, "سلام")).text == "سلام"


async def test_a_deactivated_user_is_forbidden_and_cannot_act(bot: Bot, emulator: TelegramEmulator) -> None:
    rep = emulator.user(REP_ID, "Reza")
    await bot.send_message(REP_ID, "سلام")

    emulator.deactivate_user(REP_ID)

    with pytest.raises(TelegramForbiddenError) as caught:
        await bot.send_message(REP_ID, "سلام دوباره")
    assert caught.value.message == "Forbidden: user is deactivated"
    with pytest.raises(ValueError, match="deactivated"):
        emulator.send_text(rep, "hello")
    with pytest.raises(KeyError):
        emulator.deactivate_user(999_999)
