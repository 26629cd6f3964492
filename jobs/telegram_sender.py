"""The Bot API adapter behind ``crm.schemas.nudges.MessageSender``: one plain-text ``sendMessage``,
classified for the outbox.

It is a thin aiohttp call rather than aiogram's ``Bot`` because the dispatcher must tell *where* a
failure happened: a connection that never opened carried nothing (safe to retry), while a timeout or a
dropped connection after the request was written may have delivered it (never retried).
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from crm.schemas.nudges import SendOutcome

TELEGRAM_API = "https://api.telegram.org"
GONE = ("chat not found", "user is deactivated", "bot was blocked", "bot can't initiate")


def classify(status: int, body: dict[str, Any]) -> SendOutcome:
    if body.get("ok") is True:
        result = body.get("result") or {}
        message_id = result.get("message_id") if isinstance(result, dict) else None
        if isinstance(message_id, int):
            return SendOutcome("delivered", message_id=message_id)
        return SendOutcome("unconfirmed", error="unconfirmed: Telegram answered without a message id")
    code = int(body.get("error_code") or status)
    description = str(body.get("description") or f"HTTP {status}")
    if code == 429:
        parameters = body.get("parameters") or {}
        retry_after = parameters.get("retry_after", 1) if isinstance(parameters, dict) else 1
        return SendOutcome("retry_after", retry_after=float(retry_after), error=description)
    if code == 403 or (code == 400 and any(marker in description.lower() for marker in GONE)):
        return SendOutcome("blocked", error=f"{code}: {description}")
    if 400 <= code < 500:
        return SendOutcome("permanent", error=f"{code}: {description}")
    return SendOutcome("transient", error=f"{code}: {description}")


class BotApiSender:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        token: str,
        *,
        base_url: str | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self._session = session
        self._url = f"{(base_url or TELEGRAM_API).rstrip('/')}/bot{token}/sendMessage"
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def send_text(self, chat_id: int, text: str) -> SendOutcome:
        try:
            async with self._session.post(
                self._url, json={"chat_id": chat_id, "text": text}, timeout=self._timeout
            ) as response:
                raw = await response.read()
                status = response.status
        except aiohttp.ClientConnectorError as exc:  # no connection: the request never left
            return SendOutcome("transient", error=f"connection failed: {exc}")
        except (TimeoutError, aiohttp.ClientError) as exc:
            return SendOutcome("unconfirmed", error=f"unconfirmed: {type(exc).__name__}: {exc}"[:300])
        try:
            body = json.loads(raw)
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        if not body and status == 200:
            return SendOutcome("unconfirmed", error="unconfirmed: unreadable answer from Telegram")
        return classify(status, body)
