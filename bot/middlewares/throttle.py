"""Per-user throttling before any database work: a token bucket per Telegram user."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, Update

from bot.texts import Texts


class ThrottleMiddleware(BaseMiddleware):
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._capacity = float(per_minute)
        self._rate = per_minute / 60.0
        self._clock = clock
        self._buckets: dict[int, tuple[float, float]] = {}
        self._warned: set[int] = set()

    def _allow(self, user_id: int) -> bool:
        now = self._clock()
        tokens, last = self._buckets.get(user_id, (self._capacity, now))
        tokens = min(self._capacity, tokens + (now - last) * self._rate)
        if tokens < 1:
            self._buckets[user_id] = (tokens, now)
            return False
        self._buckets[user_id] = (tokens - 1, now)
        self._warned.discard(user_id)
        return True

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        inner = event.message or event.callback_query
        user = inner.from_user if isinstance(inner, Message | CallbackQuery) else None
        if user is None or self._allow(user.id):
            return await handler(event, data)
        texts = Texts(user.language_code or "fa")
        if isinstance(inner, CallbackQuery):
            await inner.answer(texts.t("throttled"))
        elif isinstance(inner, Message) and user.id not in self._warned:
            self._warned.add(user.id)
            await inner.answer(texts.t("throttled"))
        return None
