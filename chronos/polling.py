"""Long polling that confirms an update to Telegram only once it is in the inbox.

aiogram's ``start_polling`` asks for the next batch (whose ``offset`` confirms the last one) while the
handlers of the last batch are still running, so an update in flight when the process died was never
sent again. Here each batch is committed to ``update_inbox`` (:class:`chronos.intake.UpdateIntake`)
before the next ``getUpdates``; if the database refuses, the same batch is retried and nothing is
confirmed. Handling reuses aiogram's ``Dispatcher.feed_update``, at most ``concurrency`` at once.

Lifecycle of :meth:`InboxPolling.run`: the dispatcher's startup hooks, resume of what the last run left
unfinished, polling until :meth:`InboxPolling.stop` (or SIGTERM/SIGINT with ``handle_signals``), then
up to ``STOP_GRACE_S`` for the updates in flight, the shutdown hooks, and the bot's session closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Coroutine
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import GetUpdates
from aiogram.types import Update
from aiogram.utils.backoff import Backoff, BackoffConfig
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from chronos.intake import UpdateIntake

log = logging.getLogger(__name__)

BACKOFF = BackoffConfig(min_delay=1.0, max_delay=5.0, factor=1.3, jitter=0.1)  # aiogram's default
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class InboxPolling:
    def __init__(
        self,
        dispatcher: Dispatcher,
        bot: Bot,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        concurrency: int,
        polling_timeout: int = 10,
        allowed_updates: list[str] | None = None,
        close_bot_session: bool = True,
    ) -> None:
        self.intake = UpdateIntake(dispatcher, bot, session_factory, concurrency=concurrency)
        self._dp = dispatcher
        self._bot = bot
        self._timeout = polling_timeout
        # By default the update types the routers handle (as aiogram's start_polling resolves them).
        self._allowed = dispatcher.resolve_used_update_types() if allowed_updates is None else allowed_updates
        self._close_bot_session = close_bot_session
        self._stop = asyncio.Event()

    def stop(self) -> None:
        """Ask :meth:`run` to stop (it returns once the updates in flight are done)."""
        self._stop.set()

    async def run(self, *, handle_signals: bool = False) -> None:
        loop = asyncio.get_running_loop()
        if handle_signals:
            for sig in STOP_SIGNALS:
                loop.add_signal_handler(sig, self.stop)
        workflow: dict[str, Any] = {"dispatcher": self._dp, "bots": [self._bot], **self._dp.workflow_data}
        try:
            await self._dp.emit_startup(bot=self._bot, **workflow)
            try:
                await self._until_stopped(self._resume_and_poll())
            finally:
                await self.intake.drain()
                await self._dp.emit_shutdown(bot=self._bot, **workflow)
        finally:
            if self._close_bot_session:
                await self._bot.session.close()
            if handle_signals:
                for sig in STOP_SIGNALS:
                    loop.remove_signal_handler(sig)

    async def _until_stopped(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` until it ends or a stop is asked for; a stop cancels it (an uncommitted batch
        is simply not confirmed, so Telegram sends it again)."""
        task = asyncio.ensure_future(work)
        stopping = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pending in (task, stopping):
                pending.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pending
        if task.done() and not task.cancelled():
            task.result()

    async def _resume_and_poll(self) -> None:
        await self.intake.resume()
        get_updates = GetUpdates(timeout=self._timeout, allowed_updates=self._allowed)
        request_timeout = int((self._bot.session.timeout or 0) + self._timeout)
        backoff = Backoff(config=BACKOFF)
        while True:
            try:
                updates = await self._bot(get_updates, request_timeout=request_timeout)
            except Exception as exc:
                log.error("failed to fetch updates (%s: %s); retrying in %.1f s", type(exc).__name__, exc,
                          backoff.next_delay)  # fmt: skip
                await backoff.asleep()
                continue
            backoff.reset()
            if not updates:
                continue
            await self._commit(updates)
            get_updates.offset = updates[-1].update_id + 1  # confirmed by the next getUpdates
            for update in updates:
                await self.intake.handle(update)

    async def _commit(self, updates: list[Update]) -> None:
        backoff = Backoff(config=BACKOFF)
        while True:
            try:
                await self.intake.receive(updates)
                return
            except Exception as exc:
                log.error("could not store %d update(s) (%s); not confirming them, retrying in %.1f s",
                          len(updates), type(exc).__name__, backoff.next_delay)  # fmt: skip
                await backoff.asleep()
