"""Drive the real dispatcher through the loopback Bot API emulator, one update at a time.

The only instrumentation is chronos.emulators.tracking.UpdateTracker, which tells when an update's
handling (error handlers included) has finished, so a test can wait for exactly that and then assert
on DB state and on the Bot API calls the emulator recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from aiogram import Bot, Dispatcher
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from chronos.emulators import EmulatedUser, RecordedCall, StoredMessage, TelegramEmulator
from chronos.emulators.tracking import UpdateTracker
from chronos.polling import InboxPolling


@dataclass
class BotHarness:
    emulator: TelegramEmulator
    bot: Bot
    dispatcher: Dispatcher
    tracker: UpdateTracker
    timeout: float = 10.0
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    async def deliver(self, update_id: int) -> list[RecordedCall]:
        """Wait until the update was handled; return the Bot API calls made meanwhile."""
        before = len(self.emulator.calls())
        await self.tracker.wait(update_id, self.timeout)
        return [c for c in self.emulator.calls()[before:] if c.method != "getUpdates"]

    async def text(self, user: EmulatedUser, text: str) -> list[RecordedCall]:
        update_id = self.emulator.send_text(user, text)
        return await self.deliver(update_id)

    async def press(
        self, user: EmulatedUser, message: StoredMessage, data: str, *, check: bool = True
    ) -> list[RecordedCall]:
        update_id = self.emulator.press_button(user, message, data, check=check)
        return await self.deliver(update_id)

    async def redeliver(self, update_id: int) -> list[RecordedCall]:
        self.tracker.forget(update_id)
        return await self.deliver(self.emulator.redeliver(update_id))

    def last(self, user: EmulatedUser) -> StoredMessage:
        message = self.emulator.last_message(user.id)
        assert message is not None, "the bot has not written to this user"
        return message

    def button(self, message: StoredMessage, label_part: str) -> str:
        for row in message.inline_keyboard:
            for button in row:
                if label_part in str(button.get("text", "")):
                    return str(button["callback_data"])
        raise AssertionError(f"no button containing {label_part!r} in {message.inline_keyboard}")


def sent_texts(calls: list[RecordedCall]) -> list[str]:
    return [str(c.params.get("text", "")) for c in calls if c.method in {"sendMessage", "editMessageText"}]


def alerts(calls: list[RecordedCall]) -> list[str]:
    return [
        str(c.params.get("text", ""))
        for c in calls
        if c.method == "answerCallbackQuery" and c.params.get("text")
    ]


@contextlib.asynccontextmanager
async def running(
    emulator: TelegramEmulator,
    bot: Bot,
    dispatcher: Dispatcher,
    session_factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[BotHarness]:
    """The production polling loop (every update through the inbox) against the emulator."""
    harness = BotHarness(emulator, bot, dispatcher, UpdateTracker(dispatcher))
    polling = InboxPolling(
        dispatcher, bot, session_factory, concurrency=8, polling_timeout=1, close_bot_session=False
    )
    task = asyncio.create_task(polling.run())
    harness._task = task
    try:
        await emulator.wait_for("getUpdates", timeout=10)
        yield harness
    finally:
        polling.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await task
