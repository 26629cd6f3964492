"""The bot's own ``MessageSender`` (``crm.schemas.nudges``) for the outbox of one-off messages.

It sends through the bot's session (429s are already retried there, ``bot.sender``) and classifies the
outcome for ``crm.services.outbox``: where a failure happened decides whether the message may have
arrived. A connection that never opened carried nothing; a timeout or a dropped connection after the
request was written may have delivered it, so it is reported unconfirmed and never sent again.
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiohttp import ClientConnectorError

from crm.schemas.nudges import SendOutcome


class BotSender:
    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def send_text(self, chat_id: int, text: str) -> SendOutcome:
        """Plain text, exactly as given (no HTML parsing)."""
        try:
            sent = await self._bot.send_message(chat_id, text, parse_mode=None)
        except TelegramRetryAfter as exc:
            return SendOutcome("retry_after", retry_after=float(exc.retry_after), error=f"429: {exc.message}")
        except TelegramForbiddenError as exc:
            return SendOutcome("blocked", error=f"403: {exc.message}")
        except TelegramServerError as exc:
            return SendOutcome("transient", error=f"5xx: {exc.message}")
        except TelegramNetworkError as exc:
            if isinstance(exc.__cause__, ClientConnectorError):  # never reached Telegram
                return SendOutcome("transient", error=f"connection failed: {exc.message}")
            return SendOutcome("unconfirmed", error=f"unconfirmed: {exc.message}"[:300])
        except TelegramAPIError as exc:  # 400 chat not found, message too long, …
            return SendOutcome("permanent", error=f"refused: {exc.message}"[:300])
        return SendOutcome("delivered", message_id=sent.message_id)
