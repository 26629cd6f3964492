"""`chronos bot --webhook` as a real process: Telegram's secret-token header is required, and updates
the Bot API pushes are answered."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
from collections.abc import AsyncIterator

import aiohttp
import pytest

from chronos.botapp import WEBHOOK_PATH
from chronos.emulators import TelegramEmulator
from crm.db import UnitOfWork
from tests.factories import make_agent

SECRET = "s3cret-token_value"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def webhook_bot(
    database_url: str, committing_session_factory: object
) -> AsyncIterator[tuple[TelegramEmulator, str]]:
    port = _free_port()
    async with TelegramEmulator() as emulator:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "BOT_TOKEN": emulator.token,
            "BOT_API_SERVER": emulator.base_url,
            "BOT_WEBHOOK_URL": f"http://127.0.0.1:{port}",
            "BOT_WEBHOOK_SECRET": SECRET,
            "BOT_WEBHOOK_PORT": str(port),
            "CHRONOS_LOG_LEVEL": "WARNING",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "chronos", "bot", "--webhook", env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            await emulator.wait_for("setWebhook", timeout=60)
            yield emulator, f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
        finally:
            process.terminate()
            with contextlib.suppress(ProcessLookupError):
                await asyncio.wait_for(process.wait(), 20)


async def test_webhook_requires_the_secret_header(webhook_bot: tuple[TelegramEmulator, str]) -> None:
    _, url = webhook_bot
    update = {
        "update_id": 1,
        "message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}, "text": "hi"},
    }
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json=update) as missing:
            assert missing.status == 401
        async with http.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}) as wrong:
            assert wrong.status == 401


async def test_webhook_delivers_updates_to_the_bot(
    webhook_bot: tuple[TelegramEmulator, str], db: UnitOfWork
) -> None:
    emulator, _ = webhook_bot
    async with db:
        agent = await make_agent(db, name="وبهوک")
    user = emulator.user(agent.telegram_user_id, "Hook")
    emulator.send_text(user, "/start")
    reply = await emulator.wait_for(
        lambda c: c.method == "sendMessage" and c.params.get("chat_id") == user.id, timeout=20
    )
    assert "وبهوک" in str(reply.params["text"])
    assert emulator.webhook is not None
    assert [d.status for d in emulator.webhook_deliveries] == [200]
