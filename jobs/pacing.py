"""Send pacing: a global ceiling (evenly spaced slots, no bursts) and a minimum interval per chat.

Slots are handed out in order; a 429 pauses every sender until Telegram's ``retry_after`` has passed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class Pacer:
    def __init__(
        self,
        rate_per_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate_per_s <= 0:
            raise ValueError("rate must be positive")
        self.gap = 1.0 / rate_per_s
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._paused_until = 0.0

    def reserve(self, count: int) -> list[float]:
        """``count`` consecutive slot times (clock seconds), at least ``gap`` apart."""
        now = self._clock()
        first = max(self._next, now, self._paused_until)
        slots = [first + i * self.gap for i in range(count)]
        self._next = slots[-1] + self.gap if slots else first
        return slots

    async def wait(self, slot: float) -> None:
        """Sleep until ``slot`` (and past any pause that started since it was reserved)."""
        while True:
            target = max(slot, self._paused_until)
            delay = target - self._clock()
            if delay <= 0:
                return
            await self._sleep(delay)

    def pause(self, seconds: float) -> None:
        until = self._clock() + seconds
        self._paused_until = max(self._paused_until, until)
        self._next = max(self._next, until)


class ChatGate:
    """At most one message per chat per ``interval_s`` from this process."""

    def __init__(
        self,
        interval_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._interval = interval_s
        self._clock = clock
        self._sleep = sleep
        self._last: dict[int, float] = {}

    async def enter(self, chat_id: int) -> None:
        while (last := self._last.get(chat_id)) is not None and (
            delay := last + self._interval - self._clock()
        ) > 0:
            await self._sleep(delay)
        self._last[chat_id] = self._clock()
        if len(self._last) > 100_000:  # forget chats older than the interval
            horizon = self._clock() - self._interval
            self._last = {chat: at for chat, at in self._last.items() if at > horizon}
