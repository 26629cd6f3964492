"""Telegram's limits, handled in one place.

* :class:`RetryAfterMiddleware` sits on the bot's HTTP session: every API call that gets a 429
  waits ``retry_after`` and tries again, a bounded number of times.
* :class:`NotModifiedIsSuccess`: an edit that changes nothing is a success, not an error.
* :func:`send_long` splits text over 4096 characters at line breaks.
* :func:`build_bot` is the one way to make a ``Bot``: every process that talks to Telegram uses it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import InlineKeyboardMarkup, Message

from bot.render import split_message

log = logging.getLogger(__name__)

MAX_RETRY_AFTER_S = 60


class PinResponseModels(BaseRequestMiddleware):
    """Keep aiogram's ``Response[T]`` models alive.

    aiogram parametrises ``Response[method.__returning__]`` on every call, and pydantic caches
    parametrised models only weakly, so after each garbage collection the model is rebuilt (~20–40 ms
    of schema generation per API call, measured in bench_bot). A strong reference per method type
    keeps the cache warm.
    """

    def __init__(self) -> None:
        self._pinned: dict[type[Any], Any] = {}

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Any:
        if type(method) not in self._pinned:
            self._pinned[type(method)] = Response[method.__returning__]  # type: ignore[name-defined]
        return await make_request(bot, method)


class RetryAfterMiddleware(BaseRequestMiddleware):
    def __init__(self, retries: int = 3, sleep: Any = asyncio.sleep) -> None:
        self.retries = retries
        self._sleep = sleep

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Any:
        attempt = 0
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                attempt += 1
                if attempt > self.retries or exc.retry_after > MAX_RETRY_AFTER_S:
                    raise
                log.warning(
                    "429 on %s, retrying in %ss (%d/%d)",
                    type(method).__name__,
                    exc.retry_after,
                    attempt,
                    self.retries,
                )
                await self._sleep(exc.retry_after)


class NotModifiedIsSuccess(BaseRequestMiddleware):
    """An edit that changes nothing ("message is not modified": a double tap, the same page again) has
    done what it was asked: it answers True, as an edit of an inline message does, instead of failing
    the update with a false error."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Any:
        try:
            return await make_request(bot, method)
        except TelegramBadRequest as exc:
            if type(method).__name__.startswith("EditMessage") and "message is not modified" in exc.message:
                return True
            raise


async def send_long(
    bot: Bot, chat_id: int, text: str, reply_markup: InlineKeyboardMarkup | None = None
) -> list[Message]:
    """Send text of any length; the keyboard goes on the last part."""
    parts = split_message(text)
    sent = []
    for index, part in enumerate(parts):
        markup = reply_markup if index == len(parts) - 1 else None
        sent.append(await bot.send_message(chat_id, part, reply_markup=markup))
    return sent


def build_bot(token: str, *, api_server: str | None = None, send_retries: int = 3) -> Bot:
    """The Bot over real HTTP (Telegram, or a local Bot API server), with both middlewares."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_server)) if api_server else AiohttpSession()
    session.middleware(PinResponseModels())
    session.middleware(RetryAfterMiddleware(retries=send_retries))
    session.middleware(NotModifiedIsSuccess())
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
