"""Resolve who sent the update (agent / representative / stranger) and their locale."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

from bot.texts import Texts
from crm.db import UnitOfWork
from crm.services import access


class IdentityMiddleware(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        user = data.get("event_from_user")
        if user is None:
            return None
        uow: UnitOfWork = data["uow"]
        identity = await access.identify(uow, user.id)
        data["identity"] = identity
        locale = identity.agent.locale.value if identity.agent is not None else (user.language_code or "fa")
        data["texts"] = Texts("en" if locale.startswith("en") else "fa")
        return await handler(event, data)
