"""One unit of work per update, and update dedupe inside it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.types import TelegramObject, Update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm.db import UnitOfWork
from crm.services import access


class UnitOfWorkMiddleware(BaseMiddleware):
    """Opens the update's unit of work, claims the update id, and commits what is left at the end.

    A redelivered update (same update_id) finds its claim and is dropped with no effect. When the
    handler raises, the transaction rolls back, claim included, so a retry can still succeed.
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
        async with UnitOfWork(self._session_factory) as uow:
            if not await access.claim_update(uow, bot.id, event.update_id):
                return None
            data["uow"] = uow
            result = await handler(event, data)
            await uow.commit()
            return result
