"""One unit of work per update, and the update's inbox claim inside it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.types import TelegramObject, Update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm.db import UnitOfWork
from crm.services import update_inbox

log = logging.getLogger(__name__)

ATTEMPT = "inbox_attempt"
"""Workflow data the intake passes with an update: an :class:`update_inbox.Attempt`."""


class UnitOfWorkMiddleware(BaseMiddleware):
    """Opens the update's unit of work, claims its inbox row, and commits what is left at the end.

    The claim marks the row handled inside the handler's transaction, so it commits with the handler's
    first commit: a crash before that leaves the row unfinished (resumed on start), and an update whose
    effect committed never takes effect twice (a redelivered copy finds its row finished and is dropped).
    When the handler raises, the transaction rolls back, claim included, and the row is recorded as
    failed with the error.
    """

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        bot: Bot = data["bot"]
        attempt: update_inbox.Attempt | None = data.get(ATTEMPT)
        async with UnitOfWork(self._session_factory) as uow:
            claimed = await update_inbox.claim(uow, bot.id, event.update_id)
            if attempt is not None:
                attempt.settled = True
            if not claimed:
                return None
            data["uow"] = uow
            try:
                result = await handler(event, data)
                await uow.commit()
            except Exception as exc:
                await uow.rollback()
                await _record_failure(uow, bot.id, event, exc)
                raise
            return result


async def _record_failure(uow: UnitOfWork, bot_id: int, event: Update, exc: Exception) -> None:
    """Best effort: when the database is what failed, the row stays unfinished and is resumed later."""
    payload = event.model_dump(mode="json", exclude_unset=True, by_alias=True)
    try:
        await update_inbox.fail(uow, bot_id, event.update_id, exc, payload)
    except Exception:
        log.warning("could not record update %s as failed", event.update_id, exc_info=True)
