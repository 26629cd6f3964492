"""Know when the dispatcher has finished with an update, error handlers included.

Used where a human or a test drives the bot through the emulator (the console, the test harness,
the bench): after injecting an update they wait for exactly that update to be done. It wraps
``Dispatcher.feed_update``, which polling and webhooks both go through, so it sees the update after
aiogram's own error handling has run.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update


class UpdateTracker:
    def __init__(self, dispatcher: Dispatcher) -> None:
        self._waiters: dict[int, asyncio.Future[float]] = {}
        self.durations: dict[int, float] = {}
        original = dispatcher.feed_update

        async def feed_update(bot: Bot, update: Update, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await original(bot, update, **kwargs)
            finally:
                elapsed = time.perf_counter() - started
                self.durations[update.update_id] = elapsed
                waiter = self._future(update.update_id)
                if not waiter.done():
                    waiter.set_result(elapsed)

        dispatcher.feed_update = feed_update  # type: ignore[method-assign]

    def _future(self, update_id: int) -> asyncio.Future[float]:
        return self._waiters.setdefault(update_id, asyncio.get_running_loop().create_future())

    async def wait(self, update_id: int, within_s: float = 10.0) -> float:
        """Seconds the dispatcher spent on the update."""
        return await asyncio.wait_for(asyncio.shield(self._future(update_id)), within_s)

    def forget(self, update_id: int) -> None:
        self._waiters.pop(update_id, None)
