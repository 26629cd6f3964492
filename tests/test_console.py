"""`chronos console` as a user sees it: a ConsoleSession fed typed lines, over a real emulator and a real
aiogram dispatcher polling it, with Rich output captured."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from rich.console import Console

from bot.sender import build_bot
from chronos import terminal
from chronos.console_session import ConsoleSession, Person
from chronos.emulators import TelegramEmulator
from chronos.emulators.tracking import UpdateTracker
from chronos.terminal import rtl
from tests.emulators.test_telegram_emulator import png

AGENT = Person(6_100_001, "نگار رضایی", "agent")
REP = Person(6_100_002, "Reza [bold]Karimi[/bold]", "representative")
SUPERVISOR = Person(6_100_003, "مینا کاظمی", "supervisor")
CHART = png(40, 20)


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=f"btn {d}", callback_data=d) for d in data]]
    )


LONG_PERSIAN = " ".join(f"واژه{n}" for n in range(1, 80))


def bot_router(pressed: list[tuple[int, str]]) -> Router:
    router = Router(name="console_test")

    @router.message(F.text == "markup")
    async def markup(message: Message) -> None:
        await message.answer("[bold]Important[/bold] at <b>9</b> [red]")
        await message.answer("[bold]مهم[/bold] ساعت ۹")

    @router.message(F.text == "nudge")
    async def nudge(message: Message, bot: Bot) -> None:
        await bot.send_message(REP.telegram_id, "سلام رضا، حالتان چطور است؟", reply_markup=keyboard("rep_ok"))
        await message.answer("ارسال شد")

    @router.message(F.text == "ping agent")
    async def ping_agent(message: Message, bot: Bot) -> None:
        await bot.send_message(AGENT.telegram_id, "پیام برای کارشناس")

    @router.message(F.text == "two")
    async def two(message: Message) -> None:
        await message.answer("first", reply_markup=keyboard("a1", "a2"))
        await message.answer("second", reply_markup=keyboard("b1"))

    @router.message(F.text == "files")
    async def files(message: Message) -> None:
        await message.answer_photo(BufferedInputFile(CHART, "arc.png"), caption="قوس احساسی")
        await message.answer_document(BufferedInputFile(b"%PDF-1.4", "../گزارش ماه.pdf"))

    @router.message(F.text == "long")
    async def long(message: Message) -> None:
        await message.answer(LONG_PERSIAN)

    @router.message(F.text == "bad html")
    async def bad_html(message: Message) -> None:
        await message.answer("a < b")

    @router.callback_query()
    async def press(query: CallbackQuery) -> None:
        pressed.append((query.from_user.id, str(query.data)))
        await query.answer(f"pressed {query.data}")

    return router


@dataclass
class Console_:
    session: ConsoleSession
    emulator: TelegramEmulator
    pressed: list[tuple[int, str]]
    media: Path
    _buffer: io.StringIO

    @property
    def output(self) -> str:
        return self._buffer.getvalue()

    async def type(self, *lines: str) -> str:
        """Type the lines; return what the console printed meanwhile."""
        start = len(self.output)
        for line in lines:
            assert await self.session.handle(line)
        return self.output[start:]


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[Console_]:
    async with TelegramEmulator() as emulator:
        emulator.user(REP.telegram_id, REP.name)
        bot = build_bot(emulator.token, api_server=emulator.base_url, send_retries=1)
        pressed: list[tuple[int, str]] = []
        dp = Dispatcher()
        dp.include_router(bot_router(pressed))
        tracker = UpdateTracker(dp)
        polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
        buffer = io.StringIO()
        out = Console(file=buffer, width=200)

        async def switch(role: str) -> Person:
            assert role == "supervisor"
            return SUPERVISOR

        session = ConsoleSession(
            emulator,
            tracker,
            AGENT,
            out,
            media_dir=tmp_path / "media",
            people={REP.telegram_id: REP},
            switch=switch,
            reply_timeout_s=10,
        )
        emulator.on_call(session.show)
        try:
            await emulator.wait_for("getUpdates")
            yield Console_(session, emulator, pressed, tmp_path / "media", buffer)
        finally:
            await dp.stop_polling()
            with contextlib.suppress(asyncio.CancelledError):
                await polling
            await bot.session.close()


async def test_bot_text_that_looks_like_rich_markup_is_printed_as_written(console: Console_) -> None:
    shown = await console.type("markup")

    assert "🤖 #1 [bold]Important[/bold] at 9 [red]" in shown
    assert f"🤖 #2\n{rtl('[bold]مهم[/bold] ساعت ۹')}" in shown  # a Persian message is its own paragraph


async def test_a_message_for_someone_else_is_shown_with_whom_it_is_for(console: Console_) -> None:
    shown = await console.type("nudge")

    assert f"→ to Reza [bold]Karimi[/bold] (representative) #1\n{rtl('سلام رضا، حالتان چطور است؟')}" in shown
    assert "[1.1] btn rep_ok" in shown
    assert f"🤖 #2\n{rtl('ارسال شد')}" in shown


async def test_buttons_of_an_older_message_can_be_pressed_by_number(console: Console_) -> None:
    shown = await console.type("two")
    assert "🤖 #1 first" in shown
    assert "[1.1] btn a1   [1.2] btn a2" in shown
    assert "[2.1] btn b1" in shown

    answers = await console.type("#1.2", "#1")

    assert console.pressed == [(AGENT.telegram_id, "a2"), (AGENT.telegram_id, "b1")]
    assert "⚠ pressed a2" in answers
    assert "⚠ pressed b1" in answers


async def test_a_button_of_another_persons_message_is_pressed_as_them(console: Console_) -> None:
    await console.type("nudge")

    shown = await console.type("#1.1")

    assert console.pressed == [(REP.telegram_id, "rep_ok")]
    assert "message #1 is for Reza [bold]Karimi[/bold] (representative): pressing as them" in shown
    # "#N" means your own last message with buttons, never someone else's.
    assert "none of your messages has buttons" in await console.type("#1")
    assert console.pressed == [(REP.telegram_id, "rep_ok")]


async def test_pressing_what_is_not_there_gives_a_hint(console: Console_) -> None:
    await console.type("two")

    assert "there is no message #7" in await console.type("#7.1")
    assert "message #1 has buttons 1–2" in await console.type("#1.3")
    assert "message #2 has only button 1" in await console.type("#2")  # #N: your last message
    assert console.pressed == []


async def test_photos_and_documents_are_saved_and_their_path_printed(console: Console_) -> None:
    shown = await console.type("files")

    photo = console.media / f"{AGENT.telegram_id}-2.png"
    document = console.media / f"{AGENT.telegram_id}-3-گزارش_ماه.pdf"
    assert photo.read_bytes() == CHART
    assert document.read_bytes() == b"%PDF-1.4"
    assert f"#1 [photo: {photo}]\n{rtl('قوس احساسی')}" in shown
    assert f"#2 [document: {document}]" in shown
    assert sorted(p.name for p in console.media.iterdir()) == sorted([photo.name, document.name])


async def test_a_message_telegram_refuses_is_reported(console: Console_) -> None:
    shown = await console.type("bad html")

    assert f"✗ Telegram refused a message to {AGENT.label}: Bad Request: can't parse entities" in shown


async def test_after_switching_role_messages_for_the_old_role_are_labelled(console: Console_) -> None:
    assert f"You are now {SUPERVISOR.label}." in await console.type(":as supervisor")
    assert "roles: agent, supervisor, admin, representative" in await console.type(":as boss")

    shown = await console.type("ping agent")

    assert f"→ to {AGENT.label} #1\n{rtl('پیام برای کارشناس')}" in shown
    assert console.emulator.history(SUPERVISOR.telegram_id)[0].text == "ping agent"


async def test_you_can_become_the_person_a_message_is_for(console: Console_) -> None:
    await console.type("nudge")

    assert f"You are now {REP.label}." in await console.type(":as #1")
    await console.type("#1")  # now your own last message with buttons

    assert console.session.me == REP
    assert console.pressed == [(REP.telegram_id, "rep_ok")]
    assert "there is no message #9" in await console.type(":as #9")
    assert console.session.me == REP


async def test_a_long_persian_message_reads_from_its_first_line_down(
    console: Console_, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The console reordered each message before Rich wrapped it, so wrapped Persian ran bottom-to-top."""
    monkeypatch.setattr(terminal, "_mode", terminal.Bidi.ON)
    shown = await console.type("long")
    first_word, last_word = rtl("واژه1"), rtl("واژه79")  # each word in this terminal's visual form
    lines = [line for line in shown.splitlines() if line.strip() and not line.startswith("🤖")]
    assert len(lines) > 1  # wrapped
    assert first_word in lines[0]  # the first word is on the first drawn line, not the last
    assert last_word in lines[-1]
