"""One emulator, bot and dispatcher per test session (aiogram routers attach to one dispatcher);
each test gets a clean database and a clean record of Bot API calls.

A plugin of the root conftest (``pytest_plugins``), so every test directory (bot, security, …) shares
the one dispatcher."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.dispatcher import build_dispatcher
from bot.sender import build_bot
from chronos.emulators import TelegramEmulator
from chronos.runtime import build_gateway
from chronos.settings import load_settings
from crm.db import UnitOfWork, create_session_factory
from crm.services.llm_ledger import DatabaseUsageLedger
from tests.bot.harness import BotHarness, running


@pytest.fixture(scope="session")
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator() as emu:
        yield emu


@pytest.fixture(scope="session")
async def session_harness(emulator: TelegramEmulator, engine: AsyncEngine) -> AsyncIterator[BotHarness]:
    bot = build_bot(emulator.token, api_server=emulator.base_url, send_retries=3)
    session_factory = create_session_factory(engine)
    http = httpx.AsyncClient()
    offline = build_gateway(load_settings(), http, DatabaseUsageLedger(session_factory))
    dp = build_dispatcher(session_factory, throttle_per_minute=600)
    try:
        async with running(emulator, bot, dp, session_factory) as harness:
            # Read per update from the dispatcher's workflow data, so a test may swap the gateway (or
            # the hub) for one on a model emulator while polling runs.
            dp.workflow_data["gateway"] = offline
            yield harness
    finally:
        await bot.session.close()
        await http.aclose()


@pytest.fixture
async def harness(
    session_harness: BotHarness, committing_session_factory: async_sessionmaker[AsyncSession]
) -> AsyncIterator[BotHarness]:
    session_harness.emulator.clear_calls()
    yield session_harness
    session_harness.emulator.clear_faults()


@pytest.fixture
def db(committing_session_factory: async_sessionmaker[AsyncSession]) -> UnitOfWork:
    """A unit of work on the same committed data the bot sees."""
    return UnitOfWork(committing_session_factory)
