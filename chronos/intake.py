"""Updates into the inbox first, then into the dispatcher: shared by polling, the webhook and the console.

:class:`UpdateIntake` commits each update to ``update_inbox`` before the caller tells Telegram it
arrived (``chronos.polling`` confirms the offset after :meth:`UpdateIntake.receive`; the webhook
answers 200 after :meth:`UpdateIntake.receive_raw`), then feeds them to
``Dispatcher.feed_update`` with at most ``concurrency`` in flight. On start :meth:`UpdateIntake.resume`
feeds again every update a previous run left unfinished. The update's unit of work
(``bot.middlewares.unit_of_work``) is the one place that dedupes: it claims the row (a copy of a
finished update is dropped there) and so marks it handled, or failed; the intake settles only updates
that never reached it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.middlewares.unit_of_work import ATTEMPT
from crm.db import UnitOfWork
from crm.services import update_inbox

log = logging.getLogger(__name__)

STOP_GRACE_S = 20.0
"""How long a stop waits for updates in flight; the rest are cancelled (and resumed on the next start)."""


def raw(update: Update) -> dict[str, Any]:
    """The update as Telegram sent it (aiogram's model round-trips through this)."""
    return update.model_dump(mode="json", exclude_unset=True, by_alias=True)


class UpdateIntake:
    def __init__(
        self,
        dispatcher: Dispatcher,
        bot: Bot,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        concurrency: int,
    ) -> None:
        self._dp = dispatcher
        self._bot = bot
        self._session_factory = session_factory
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()

    async def receive(self, updates: Sequence[Update]) -> None:
        """Commit a batch, to :meth:`handle` next. Raises when the database does: then nothing may be
        confirmed to Telegram."""
        async with UnitOfWork(self._session_factory) as uow:
            await update_inbox.receive(uow, self._bot.id, [(u.update_id, raw(u)) for u in updates])

    async def receive_raw(self, payload: dict[str, Any]) -> None:
        """The webhook's update: committed, then handled in the background. ``ValueError`` when it has
        no update id; a database error propagates (the webhook answers 500 and Telegram retries)."""
        update_id = payload.get("update_id")
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            raise ValueError("an update needs an integer update_id")
        async with UnitOfWork(self._session_factory) as uow:
            await update_inbox.receive(uow, self._bot.id, [(update_id, payload)])
        self._spawn(self._parse_and_handle(update_id, payload))

    async def resume(self) -> int:
        """Feed again what a previous run left unfinished (oldest first); give up on updates that used
        every attempt. Returns how many were resumed."""
        async with UnitOfWork(self._session_factory) as uow:
            due, given_up = await update_inbox.resume(uow, self._bot.id)
        if given_up:
            log.error("gave up on update(s) %s: the bot stopped while handling each of them", given_up)
        for row in due:
            await self._parse_and_handle(row.update_id, row.payload)
        if due:
            log.warning("resumed %d update(s) left unfinished by the last run", len(due))
        return len(due)

    async def handle(self, update: Update) -> None:
        """Wait for a free slot, then handle the update in the background."""
        await self._slots.acquire()
        self._spawn(self._run(update), slot_held=True)

    async def drain(self, grace_s: float = STOP_GRACE_S) -> None:
        """Wait for the updates in flight; cancel what is left after ``grace_s``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace_s
        while self._tasks and (remaining := deadline - loop.time()) > 0:
            await asyncio.wait(set(self._tasks), timeout=remaining)
        pending = set(self._tasks)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if pending:
            log.warning("stopped with %d update(s) unfinished, resumed on the next start", len(pending))

    def _spawn(self, work: Awaitable[None], *, slot_held: bool = False) -> None:
        async def run() -> None:
            try:
                await work
            finally:
                if slot_held:
                    self._slots.release()

        task = asyncio.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _parse_and_handle(self, update_id: int, payload: dict[str, Any]) -> None:
        try:
            update = Update.model_validate(payload, context={"bot": self._bot})
        except ValidationError as exc:
            log.error("update %s cannot be read; recorded as failed", update_id, exc_info=exc)
            await self._record(update_inbox.fail, update_id, exc, payload)
            return
        await self.handle(update)

    async def _run(self, update: Update) -> None:
        attempt = update_inbox.Attempt()
        try:
            response = await self._dp.feed_update(self._bot, update, **{ATTEMPT: attempt})
            if isinstance(response, TelegramMethod):
                await self._dp.silent_call_request(self._bot, response)
        except Exception as exc:
            log.exception("update %s failed", update.update_id)
            if not attempt.settled:
                await self._record(update_inbox.fail, update.update_id, exc, raw(update))
        else:
            if not attempt.settled:
                await self._record(update_inbox.settle, update.update_id)

    async def _record(self, outcome: Callable[..., Awaitable[None]], update_id: int, *args: Any) -> None:
        try:
            async with UnitOfWork(self._session_factory) as uow:
                await outcome(uow, self._bot.id, update_id, *args)
        except Exception:  # the row stays unfinished and is resumed on the next start
            log.warning("could not record the outcome of update %s", update_id, exc_info=True)
