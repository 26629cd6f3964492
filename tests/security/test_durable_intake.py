"""Nothing Telegram delivered is lost: an update is in the inbox before Telegram is told it arrived, and
one the bot died handling is handled on the next start, once.

The kill tests run `chronos bot` as a real process (polling, then webhook) against the emulator. The
representative's message is held mid-handler by a lock on ``interaction`` (its effect cannot commit),
Telegram has already been told the update arrived (it is no longer pending), and the process is
SIGKILLed. After a restart the message is logged and forwarded to the agent exactly once. Before the
inbox, aiogram had confirmed the offset (polling) or answered 200 (webhook) before the handler ran, so
the update was gone for good."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.sender import build_bot
from chronos.botapp import SECRET_HEADER, WEBHOOK_PATH, build_webhook_app
from chronos.emulators import TelegramEmulator
from chronos.emulators.telegram import DEFAULT_TOKEN
from chronos.intake import UpdateIntake
from crm.db import UnitOfWork
from crm.models import Interaction, UpdateInbox
from crm.services.update_inbox import MAX_ATTEMPTS
from tests.bot.harness import BotHarness, alerts
from tests.factories import make_agent, make_rep
from tests.security.bot_process import (
    SECRET,
    BotProcess,
    lock_waiter,
    table_locked,
    terminate_backend,
    until,
)

REP_CHAT = 7_560_001
BOT_ID = int(DEFAULT_TOKEN.split(":")[0])
WORDS = "سلام، سرور آلمان از دیشب قطع است"


async def _logged(factory: async_sessionmaker[AsyncSession]) -> int:
    async with UnitOfWork(factory) as uow:
        return int(
            await uow.session.scalar(
                select(func.count()).select_from(Interaction).where(Interaction.body == WORDS)
            )
            or 0
        )


def _forwarded(emulator: TelegramEmulator, chat_id: int) -> int:
    return sum(1 for m in emulator.messages_to(chat_id) if WORDS in (m.text or ""))


def _pending(emulator: TelegramEmulator, update_id: int) -> bool:
    return any(u["update_id"] == update_id for u in emulator.pending_updates)


@pytest.mark.parametrize("webhook", [False, True], ids=["polling", "webhook"])
async def test_sigkill_mid_handler_then_restart_the_update_takes_effect_exactly_once(
    webhook: bool,
    database_url: str,
    engine: AsyncEngine,
    committing_session_factory: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    factory = committing_session_factory
    async with UnitOfWork(factory) as uow:
        agent = await make_agent(uow, name="نگار")
        await make_rep(uow, name="رضا کریمی", telegram_user_id=REP_CHAT, assigned_agent_id=agent.id)
    async with TelegramEmulator() as emulator:
        bot = BotProcess(emulator, database_url, tmp_path, webhook=webhook)
        emulator.user(agent.telegram_user_id, "Negar")
        rep = emulator.user(REP_CHAT, "Reza")
        try:
            first = await bot.start()
            async with table_locked(engine, "interaction"):
                update_id = emulator.send_text(rep, WORDS)
                pid, query = await lock_waiter(engine, 60)
                assert "interaction" in query, query  # the handler is writing its effect
                await until(lambda: _not_pending(emulator, update_id), 30, "Telegram told it arrived")
                await bot.kill(first)
                await terminate_backend(engine, pid)
            assert await _logged(factory) == 0, "nothing of the update committed before the kill"
            assert not _pending(emulator, update_id), "Telegram will not send it again"

            await bot.start()

            async def logged_once() -> bool:
                return await _logged(factory) >= 1 and _forwarded(emulator, agent.telegram_user_id) >= 1

            await until(logged_once, 60, "the update handled after the restart")
            await asyncio.sleep(1.0)  # a second copy, if there were one, would be handled by now
            assert await _logged(factory) == 1, bot.logs()
            assert _forwarded(emulator, agent.telegram_user_id) == 1
            assert emulator.pending_updates == []
            async with UnitOfWork(factory) as uow:
                row = (
                    await uow.session.execute(
                        text(
                            "SELECT status, attempts, payload IS NULL AS forgotten FROM update_inbox "
                            "WHERE update_id = :id"
                        ),
                        {"id": update_id},
                    )
                ).one()
            assert (row.status, row.attempts, row.forgotten) == ("handled", 2, True)
            if webhook:  # one delivery, answered 200 once it was stored; never retried
                assert [d.status for d in emulator.webhook_deliveries] == [200]
        finally:
            await bot.stop_all()


async def _not_pending(emulator: TelegramEmulator, update_id: int) -> bool:
    return not _pending(emulator, update_id)


# In process, through the harness's dispatcher


def _message(update_id: int, chat_id: int, message_id: int, words: str) -> dict[str, object]:
    person = {"id": chat_id, "is_bot": False, "first_name": "Reza"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Reza"},
            "from": person,
            "text": words,
        },
    }


async def _inbox(db: UnitOfWork, update_id: int) -> tuple[str, int, str | None]:
    async with db:
        row = await db.session.get(UpdateInbox, (BOT_ID, update_id))
        assert row is not None
        return row.status, row.attempts, row.last_error


async def test_resume_handles_what_a_dead_run_left_and_gives_up_on_a_poison_update(
    harness: BotHarness, db: UnitOfWork, committing_session_factory: async_sessionmaker[AsyncSession]
) -> None:
    """One update was in flight when the last run died (attempt 1): it is handled. Another killed the
    bot on each of its attempts: it is failed with the reason and never handled again."""
    async with db:
        agent = await make_agent(db)
        await make_rep(db, telegram_user_id=REP_CHAT, assigned_agent_id=agent.id)
    harness.emulator.user(agent.telegram_user_id, "Agent")
    harness.emulator.user(REP_CHAT, "Reza")
    unfinished, poison = 50_000_001, 50_000_002
    async with db:
        for update_id, attempts, words in ((unfinished, 1, WORDS), (poison, MAX_ATTEMPTS, "سم")):
            db.session.add(
                UpdateInbox(
                    bot_id=BOT_ID,
                    update_id=update_id,
                    attempts=attempts,
                    payload=_message(update_id, REP_CHAT, update_id % 1000, words),
                )
            )
        await db.commit()
    intake = UpdateIntake(harness.dispatcher, harness.bot, committing_session_factory, concurrency=2)
    assert await intake.resume() == 1
    await harness.tracker.wait(unfinished)
    await intake.drain()
    assert await _inbox(db, unfinished) == ("handled", 2, None)
    status, attempts, error = await _inbox(db, poison)
    assert (status, attempts) == ("failed", MAX_ATTEMPTS)
    assert error == f"gave up after {MAX_ATTEMPTS} attempts: the bot stopped each time before it finished"
    assert _forwarded(harness.emulator, agent.telegram_user_id) == 1
    assert not any("سم" in (m.text or "") for m in harness.emulator.messages_to(agent.telegram_user_id))
    assert await intake.resume() == 0  # nothing left: neither is ever handled again


async def test_a_handler_that_raised_is_failed_with_its_error_and_not_resumed(
    harness: BotHarness, db: UnitOfWork, committing_session_factory: async_sessionmaker[AsyncSession]
) -> None:
    """The user was told (with an alert) that it did not work; running it again behind their back on
    the next start would surprise them. The row says what went wrong."""
    async with db:
        agent = await make_agent(db)
    user = harness.emulator.user(agent.telegram_user_id, "Agent")
    await harness.text(user, "/help")
    update_id = harness.emulator.press_button(user, harness.last(user), "r:card:999999:0", check=False)
    calls = await harness.deliver(update_id)
    assert alerts(calls)
    status, attempts, error = await _inbox(db, update_id)
    assert (status, attempts) == ("failed", 1)
    assert str(error).startswith("NotFound: ")
    intake = UpdateIntake(harness.dispatcher, harness.bot, committing_session_factory, concurrency=2)
    assert await intake.resume() == 0


async def test_an_update_the_database_refuses_is_not_confirmed_to_telegram(
    harness: BotHarness, db: UnitOfWork, engine: AsyncEngine
) -> None:
    """The inbox insert fails (its connection is killed while it waits): the batch is not confirmed, so
    Telegram still holds it; it is stored on the next try and handled once."""
    async with db:
        agent = await make_agent(db)
        await make_rep(db, telegram_user_id=REP_CHAT, assigned_agent_id=agent.id)
    harness.emulator.user(agent.telegram_user_id, "Agent")
    rep = harness.emulator.user(REP_CHAT, "Reza")
    async with table_locked(engine, "update_inbox"):
        update_id = harness.emulator.send_text(rep, WORDS)
        pid, query = await lock_waiter(engine, 10)
        assert query.lstrip().startswith("INSERT INTO update_inbox"), query
        await terminate_backend(engine, pid)
        await asyncio.sleep(0.3)
        assert _pending(harness.emulator, update_id), "not confirmed while it is not stored"
        await lock_waiter(engine, 10)  # the same batch again, after a backoff
    await harness.deliver(update_id)
    assert _forwarded(harness.emulator, agent.telegram_user_id) == 1
    assert await _inbox(db, update_id) == ("handled", 1, None)
    await until(lambda: _not_pending(harness.emulator, update_id), 15, "confirmed once stored")


async def test_the_webhook_answers_200_only_once_the_update_is_stored(
    harness: BotHarness,
    db: UnitOfWork,
    engine: AsyncEngine,
    committing_session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """A database that refuses the update gets Telegram a 500 (it sends the update again) and nothing
    is handled; the next delivery is stored, answered 200 and handled once. aiogram's handler answered
    200 at once and handled the update afterwards."""
    async with db:
        agent = await make_agent(db)
        await make_rep(db, telegram_user_id=REP_CHAT, assigned_agent_id=agent.id)
    harness.emulator.user(agent.telegram_user_id, "Agent")
    bot = build_bot(harness.emulator.token, api_server=harness.emulator.base_url)
    app = build_webhook_app(harness.dispatcher, bot, SECRET, committing_session_factory, concurrency=2)
    update = _message(60_000_001, REP_CHAT, 1, WORDS)
    headers = {SECRET_HEADER: SECRET}
    async with TestServer(app) as server, aiohttp.ClientSession() as http:
        url = str(server.make_url(WEBHOOK_PATH))
        async with table_locked(engine, "update_inbox"):
            posting = asyncio.ensure_future(http.post(url, json=update, headers=headers))
            pid, _ = await lock_waiter(engine, 10)
            await asyncio.sleep(0.2)
            assert not posting.done(), "no answer before the update is stored"
            await terminate_backend(engine, pid)
            async with await posting as refused:
                assert refused.status == 500
        assert _forwarded(harness.emulator, agent.telegram_user_id) == 0
        async with http.post(url, json=update, headers=headers) as stored:
            assert stored.status == 200
        await harness.tracker.wait(60_000_001)
    assert _forwarded(harness.emulator, agent.telegram_user_id) == 1
    assert await _inbox(db, 60_000_001) == ("handled", 1, None)
