"""The loopback Bot API emulator, driven by the real aiogram client over HTTP."""

from __future__ import annotations

import asyncio
import struct
import time
import zlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import SendMessage
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
)
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from chronos.emulators import RecordedCall, TelegramEmulator

AGENT_ID = 1001


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=f"btn {d}", callback_data=d) for d in data]]
    )


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    pixels = b"".join(b"\x00" + b"\x00\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(pixels))
        + chunk(b"IEND", b"")
    )


def make_bot(emulator: TelegramEmulator, token: str | None = None) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(emulator.base_url))
    return Bot(token or emulator.token, session=session)


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator() as running:
        running.user(AGENT_ID, "Sara", username="sara_crt")
        yield running


@pytest.fixture
async def bot(emulator: TelegramEmulator) -> AsyncIterator[Bot]:
    client = make_bot(emulator)
    yield client
    await client.session.close()


async def test_get_me_describes_the_bot(bot: Bot, emulator: TelegramEmulator) -> None:
    me = await bot.get_me()

    assert me.id == 123456789
    assert me.is_bot
    assert me.username == "chronos_test_bot"
    assert emulator.calls("getMe")[0].response_status == 200


async def test_wrong_token_is_unauthorized(emulator: TelegramEmulator) -> None:
    intruder = make_bot(emulator, token="42:not-the-token")
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await intruder.get_me()
    finally:
        await intruder.session.close()


async def test_send_message_echoes_keyboard_and_records_decoded_params(
    bot: Bot, emulator: TelegramEmulator
) -> None:
    first = await bot.send_message(AGENT_ID, "سلام", reply_markup=keyboard("ok", "no"))
    second = await bot.send_message(AGENT_ID, "دوم")

    assert (first.message_id, second.message_id) == (1, 2)
    assert first.chat.id == AGENT_ID
    assert first.from_user is not None
    assert first.from_user.is_bot
    assert first.reply_markup is not None
    assert first.reply_markup.model_dump(exclude_none=True) == keyboard("ok", "no").model_dump(
        exclude_none=True
    )
    call = emulator.calls("sendMessage")[0]
    assert call.params["chat_id"] == AGENT_ID
    assert call.params["reply_markup"]["inline_keyboard"][0][1]["callback_data"] == "no"
    assert [m.text for m in emulator.messages_to(AGENT_ID)] == ["سلام", "دوم"]
    last = emulator.last_message(AGENT_ID)
    assert last is not None
    assert last.message_id == 2


async def test_html_is_stored_as_text_with_entities(bot: Bot) -> None:
    sent = await bot.send_message(AGENT_ID, "  <b>سرویس</b> V2Ray &amp; 😀<i>x</i>\n", parse_mode="HTML")

    assert sent.text == "سرویس V2Ray & 😀x"
    assert sent.entities is not None
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [("bold", 0, 5), ("italic", 16, 1)]
    with pytest.raises(TelegramBadRequest, match="Unsupported start tag"):
        await bot.send_message(AGENT_ID, "a <br> b", parse_mode="HTML")


async def test_edit_message_text_updates_the_store(bot: Bot, emulator: TelegramEmulator) -> None:
    sent = await bot.send_message(AGENT_ID, "در حال پردازش…", reply_markup=keyboard("cancel"))

    edited = await bot.edit_message_text(
        "انجام شد", chat_id=AGENT_ID, message_id=sent.message_id, reply_markup=keyboard("up", "down")
    )
    assert isinstance(edited, Message)
    assert edited.edit_date is not None
    stored = emulator.last_message(AGENT_ID)
    assert stored is not None
    assert (stored.text, stored.callback_data, stored.edit_count) == ("انجام شد", ["up", "down"], 1)

    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "انجام شد", chat_id=AGENT_ID, message_id=sent.message_id, reply_markup=keyboard("up", "down")
        )
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=AGENT_ID, message_id=999)

    await bot.edit_message_reply_markup(chat_id=AGENT_ID, message_id=sent.message_id)
    assert emulator.last_message(AGENT_ID) is not None
    assert emulator.last_message(AGENT_ID).inline_keyboard == []  # type: ignore[union-attr]


async def test_validation_errors_match_telegram(bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(AGENT_ID, "ا" * 4097)
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(AGENT_ID, "")
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(AGENT_ID, "x", reply_markup=keyboard("d" * 65))
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(555, "x")
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query("12345")


async def test_fault_429_surfaces_as_retry_after(bot: Bot, emulator: TelegramEmulator) -> None:
    emulator.inject_fault("sendMessage", "429", retry_after=7)

    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(AGENT_ID, "nudge")

    assert caught.value.retry_after == 7
    assert emulator.calls("sendMessage")[0].response_status == 429
    assert (await bot.send_message(AGENT_ID, "nudge")).message_id == 1


async def test_fault_500_and_slow(bot: Bot, emulator: TelegramEmulator) -> None:
    emulator.inject_fault(None, "500")
    emulator.inject_fault("sendChatAction", "slow", delay=0.3)

    with pytest.raises(TelegramServerError):
        await bot.get_me()
    started = time.monotonic()
    assert await bot.send_chat_action(AGENT_ID, "typing")
    assert time.monotonic() - started >= 0.3


async def test_blocked_chat_is_forbidden(bot: Bot, emulator: TelegramEmulator) -> None:
    emulator.block_chat(AGENT_ID)

    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(AGENT_ID, "hello")

    emulator.unblock_chat(AGENT_ID)
    assert (await bot.send_message(AGENT_ID, "hello")).text == "hello"


async def test_uploaded_document_round_trips_through_get_file(bot: Bot, emulator: TelegramEmulator) -> None:
    payload = b"%PDF-1.4 report" * 100
    sent = await bot.send_document(AGENT_ID, BufferedInputFile(payload, "report.pdf"), caption="گزارش")

    assert sent.document is not None
    assert (sent.document.file_name, sent.document.file_size) == ("report.pdf", len(payload))
    assert sent.caption == "گزارش"
    file = await bot.get_file(sent.document.file_id)
    assert file.file_path is not None
    assert file.file_path.endswith(".pdf")
    downloaded = await bot.download(sent.document.file_id)
    assert downloaded is not None
    assert downloaded.read() == payload
    assert emulator.calls("sendDocument")[0].params["document"]["size"] == len(payload)


async def test_photo_sizes_come_from_the_image(bot: Bot) -> None:
    sent = await bot.send_photo(AGENT_ID, BufferedInputFile(png(400, 200), "chart.png"))

    assert sent.photo is not None
    assert [(p.width, p.height) for p in sent.photo] == [(90, 45), (320, 160), (400, 200)]
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(AGENT_ID, BufferedInputFile(b"not an image", "x.png"))


async def test_injected_voice_can_be_downloaded(bot: Bot, emulator: TelegramEmulator) -> None:
    rep = emulator.user(2002, "Reza")
    audio = b"OggS" + bytes(range(256)) * 10
    agent = emulator.user(AGENT_ID, "Sara")

    update_id = emulator.send_voice(agent, audio, duration=4, forward_from=rep)
    again = emulator.send_voice(agent, audio, duration=4)

    voice = emulator.update(update_id)["message"]["voice"]
    assert voice["file_size"] == len(audio)
    assert voice["file_unique_id"] == emulator.update(again)["message"]["voice"]["file_unique_id"]
    updates = await bot.get_updates()
    message = updates[0].message
    assert message is not None
    assert message.voice is not None
    assert message.forward_origin is not None
    assert message.forward_origin.type == "user"
    downloaded = await bot.download(message.voice)
    assert downloaded is not None
    assert downloaded.read() == audio


async def test_get_updates_long_polls_and_confirms_by_offset(bot: Bot, emulator: TelegramEmulator) -> None:
    agent = emulator.user(AGENT_ID, "Sara")
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    started = time.monotonic()
    update_id = emulator.send_command(agent, "prep", "رضا")

    updates = await poll
    assert time.monotonic() - started < 1
    assert [u.update_id for u in updates] == [update_id]
    assert updates[0].message is not None
    assert updates[0].message.text == "/prep رضا"
    assert await bot.get_updates(offset=update_id) != []
    assert await bot.get_updates(offset=update_id + 1) == []

    emulator.send_text(agent, "a")
    emulator.send_text(agent, "b")
    assert len(await bot.get_updates(limit=1)) == 1


async def test_competing_get_updates_conflict(bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    second = asyncio.create_task(bot.get_updates(timeout=0))

    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
        await first
    assert await second == []


async def test_allowed_updates_filters_new_updates(bot: Bot, emulator: TelegramEmulator) -> None:
    agent = emulator.user(AGENT_ID, "Sara")
    sent = await bot.send_message(AGENT_ID, "choose", reply_markup=keyboard("a"))
    await bot.get_updates(allowed_updates=["message"])

    emulator.press_button(agent, sent.message_id, "a")
    emulator.send_text(agent, "hi")

    assert [u.event_type for u in await bot.get_updates()] == ["message"]


async def test_redeliver_keeps_the_update_id(bot: Bot, emulator: TelegramEmulator) -> None:
    agent = emulator.user(AGENT_ID, "Sara")
    update_id = emulator.send_text(agent, "once")
    first = await bot.get_updates()

    assert emulator.redeliver(update_id) == update_id
    second = await bot.get_updates(offset=update_id + 1)

    assert [u.update_id for u in second] == [update_id]
    assert second[0].model_dump() == first[0].model_dump()


async def test_real_dispatcher_polls_messages_and_callbacks(bot: Bot, emulator: TelegramEmulator) -> None:
    router = Router(name="echo")

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(f"echo: {message.text}", reply_markup=keyboard("like"))

    @router.callback_query(F.data == "like")
    async def like(query: CallbackQuery) -> None:
        await query.answer("ثبت شد")
        assert isinstance(query.message, Message)
        await query.message.edit_text("liked")

    dp = Dispatcher()
    dp.include_router(router)
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=2))
    try:
        agent = emulator.user(AGENT_ID, "Sara")
        emulator.send_text(agent, "سلام")
        reply = await emulator.wait_for("sendMessage")
        assert reply.params["text"] == "echo: سلام"

        sent = emulator.last_message(AGENT_ID)
        assert sent is not None
        emulator.press_button(agent, sent, "like")
        answer = await emulator.wait_for("answerCallbackQuery")
        assert answer.ok
        assert answer.params["text"] == "ثبت شد"
        await emulator.wait_for("editMessageText")
        assert [m.text for m in emulator.messages_to(AGENT_ID)] == ["liked"]
        with pytest.raises(ValueError, match="no button"):
            emulator.press_button(agent, sent, "like")
    finally:
        await dp.stop_polling()
        await polling


async def test_webhook_posts_updates_with_the_secret(bot: Bot, emulator: TelegramEmulator) -> None:
    received: asyncio.Queue[tuple[str | None, dict[str, Any]]] = asyncio.Queue()

    async def hook(request: web.Request) -> web.Response:
        await received.put((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        return web.json_response({})

    async with serve(hook) as url:
        await bot.set_webhook(url, secret_token="s3cr3t-token")
        agent = emulator.user(AGENT_ID, "Sara")
        update_id = emulator.send_text(agent, "via webhook")

        secret, update = await asyncio.wait_for(received.get(), 5)
        assert secret == "s3cr3t-token"
        assert update["update_id"] == update_id
        assert update["message"]["text"] == "via webhook"
        with pytest.raises(TelegramConflictError):
            await bot.get_updates()
        info = await bot.get_webhook_info()
        assert (info.url, info.pending_update_count) == (url, 0)

        emulator.redeliver(update_id)
        assert (await asyncio.wait_for(received.get(), 5))[1] == update
        await bot.delete_webhook()
    assert (await bot.get_webhook_info()).url == ""


async def test_webhook_reply_method_runs_through_aiogram_handler(
    bot: Bot, emulator: TelegramEmulator
) -> None:
    router = Router(name="webhook")

    @router.message()
    async def answer(message: Message) -> SendMessage:
        return message.answer("از وبهوک")

    dp = Dispatcher()
    dp.include_router(router)
    handler = SimpleRequestHandler(dispatcher=dp, bot=bot, secret_token="s3cr3t", handle_in_background=False)
    async with serve(handler.handle) as url:
        await bot.set_webhook(url, secret_token="s3cr3t")
        emulator.send_text(emulator.user(AGENT_ID, "Sara"), "hi")

        call = await emulator.wait_for("sendMessage")
    assert call.params == {"chat_id": AGENT_ID, "text": "از وبهوک"}
    assert emulator.webhook_deliveries[0].status == 200


async def test_failed_webhook_delivery_is_retried(bot: Bot, emulator: TelegramEmulator) -> None:
    statuses = [500, 200]
    delivered = asyncio.Event()

    async def flaky(request: web.Request) -> web.Response:
        status = statuses.pop(0)
        if status == 200:
            delivered.set()
        return web.json_response({}, status=status)

    async with serve(flaky) as url:
        await bot.set_webhook(url)
        update_id = emulator.send_text(emulator.user(AGENT_ID, "Sara"), "retry me")
        await asyncio.wait_for(delivered.wait(), 5)
        info = await bot.get_webhook_info()
        await bot.delete_webhook(drop_pending_updates=True)

    assert [(d.update_id, d.status) for d in emulator.webhook_deliveries] == [
        (update_id, 500),
        (update_id, 200),
    ]
    assert info.last_error_message is not None
    assert "500" in info.last_error_message


async def test_stop_ends_a_pending_long_poll() -> None:
    emulator = await TelegramEmulator().start()
    client = make_bot(emulator)
    try:
        poll = asyncio.create_task(client.get_updates(timeout=30))
        await asyncio.sleep(0.1)
        started = time.monotonic()
        await emulator.stop()
        assert await asyncio.wait_for(poll, 5) == []
        assert time.monotonic() - started < 2
    finally:
        await client.session.close()


async def test_reply_keyboard_is_tracked_per_chat(bot: Bot, emulator: TelegramEmulator) -> None:
    agent = emulator.user(AGENT_ID, "Sara")
    markup = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="بله")]], one_time_keyboard=True)
    sent = await bot.send_message(AGENT_ID, "تایید؟", reply_markup=markup)

    assert sent.reply_markup is None
    keyboard_shown = emulator.reply_keyboard(AGENT_ID)
    assert keyboard_shown is not None
    assert keyboard_shown["keyboard"][0][0]["text"] == "بله"
    emulator.send_text(agent, "بله")
    assert emulator.reply_keyboard(AGENT_ID) is None
    assert [m.from_bot for m in emulator.history(AGENT_ID)] == [True, False]


async def test_recording_helpers(bot: Bot, emulator: TelegramEmulator) -> None:
    seen: list[str] = []
    async_seen: list[str] = []

    async def record_async(call: RecordedCall) -> None:
        async_seen.append(call.method)

    unsubscribe = emulator.on_call(lambda call: seen.append(call.method))
    emulator.on_call(record_async)
    await bot.set_my_commands([BotCommand(command="prep", description="آماده‌سازی تماس")])
    sent = await bot.send_message(AGENT_ID, "x")
    assert await bot.delete_message(AGENT_ID, sent.message_id)
    unsubscribe()
    await bot.get_me()

    assert seen == ["setMyCommands", "sendMessage", "deleteMessage"]
    assert async_seen[-1] == "getMe"
    assert emulator.commands() == [{"command": "prep", "description": "آماده‌سازی تماس"}]
    assert emulator.messages_to(AGENT_ID) == []
    emulator.clear_calls()
    assert emulator.calls() == []
    with pytest.raises(TimeoutError, match="sendPhoto"):
        await emulator.wait_for("sendPhoto", timeout=0.1)
    waiter = asyncio.create_task(emulator.wait_for(lambda call: call.params.get("text") == "later"))
    await bot.send_message(AGENT_ID, "now")
    await bot.send_message(AGENT_ID, "later")
    assert (await waiter).params["text"] == "later"


async def test_json_and_query_string_clients(emulator: TelegramEmulator) -> None:
    base = f"{emulator.base_url}/bot{emulator.token}"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/sendMessage", json={"chat_id": AGENT_ID, "text": "json"}) as response:
            body = await response.json()
        async with http.get(f"{base}/getMe") as response:
            me = await response.json()
        async with http.get(f"{base}/noSuchMethod") as response:
            missing = response.status

    assert body["ok"]
    assert body["result"]["text"] == "json"
    assert me["result"]["is_bot"]
    assert missing == 404


class serve:
    """A throwaway aiohttp server on a free loopback port, as an async context manager of its URL."""

    def __init__(self, handler: Any) -> None:
        self._app = web.Application()
        self._app.router.add_post("/webhook", handler)
        self._runner = web.AppRunner(self._app)

    async def __aenter__(self) -> str:
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        return f"http://127.0.0.1:{self._runner.addresses[0][1]}/webhook"

    async def __aexit__(self, *exc: object) -> None:
        await self._runner.cleanup()
