"""A real process kill in the middle of a campaign: `chronos scheduler` runs as a subprocess against the
Telegram emulator, is SIGKILLed, and is started again. Deliveries are counted per chat from the calls
the emulator recorded.

The hard moment is chosen on purpose: the kill happens *while Telegram is accepting* a message, so the
message is delivered but the dispatcher never hears back and its row is still ``sending``. The chosen
policy is at-most-once (docs/nudges.md): on restart that row is reported as sent-unconfirmed and never
sent again; every other message goes exactly once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from chronos.emulators import RecordedCall, TelegramEmulator
from crm.db import UnitOfWork
from crm.models import NudgeCampaign, NudgeMessage
from crm.services.nudge_outbox import UNCONFIRMED_CRASH
from tests.jobs.conftest import open_policy, sending_campaign
from tests.jobs.test_nudge_dispatch import deliveries, rows

RATE = 20  # one request in flight at a time: the kill catches exactly one message mid-send


@pytest.fixture
def start_scheduler(
    database_url: str, telegram: TelegramEmulator, tmp_path: object
) -> Callable[[], asyncio.Future[asyncio.subprocess.Process]]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "BOT_TOKEN": telegram.token,
        "BOT_API_SERVER": telegram.base_url,
        "CHRONOS_LOG_LEVEL": "WARNING",
        "CHRONOS_DATA_DIR": str(tmp_path),
        "NUDGE_GLOBAL_RATE_PER_S": str(RATE),
        "NUDGE_QUIET_START_HOUR": "0",
        "NUDGE_QUIET_END_HOUR": "0",
        "NUDGE_SKIP_FRIDAYS": "false",
        "NUDGE_SKIP_MOURNING_DAYS": "false",
        "NUDGE_POLL_INTERVAL_S": "0.2",
        "NUDGE_SYNC_INTERVAL_S": "1",
    }

    def start() -> asyncio.Future[asyncio.subprocess.Process]:
        return asyncio.ensure_future(
            asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "chronos",
                "scheduler",
                env=env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
        )

    return start


@pytest.fixture
async def processes() -> AsyncIterator[list[asyncio.subprocess.Process]]:
    started: list[asyncio.subprocess.Process] = []
    yield started
    for process in started:
        if process.returncode is None:
            process.terminate()
            await asyncio.wait_for(process.wait(), 30)


async def _open_rows(factory: async_sessionmaker[AsyncSession], campaign_id: int) -> int:
    async with UnitOfWork(factory) as uow:
        return int(
            await uow.session.scalar(
                select(func.count())
                .select_from(NudgeMessage)
                .where(
                    NudgeMessage.campaign_id == campaign_id, NudgeMessage.status.in_(["pending", "sending"])
                )
            )
            or 0
        )


async def _campaign_status(factory: async_sessionmaker[AsyncSession], campaign_id: int) -> str:
    async with UnitOfWork(factory) as uow:
        return str(
            await uow.session.scalar(select(NudgeCampaign.status).where(NudgeCampaign.id == campaign_id))
        )


async def _until(check: Callable[[], Awaitable[bool]], within_s: float) -> None:
    """Poll the database (no event to wait on: the state changes in another process)."""
    async with asyncio.timeout(within_s):
        while not await check():  # noqa: ASYNC110 - polling another process's writes
            await asyncio.sleep(0.2)


async def test_sigkill_while_telegram_accepts_a_message_no_duplicate_no_loss(
    committing_session_factory: async_sessionmaker[AsyncSession],
    telegram: TelegramEmulator,
    start_scheduler: Callable[[], asyncio.Future[asyncio.subprocess.Process]],
    processes: list[asyncio.subprocess.Process],
) -> None:
    factory = committing_session_factory
    campaign = await sending_campaign(factory, telegram, 40, policy=open_policy(rate=RATE))
    first = await start_scheduler()
    processes.append(first)
    accepted: list[RecordedCall] = []

    def kill_on_the_fifteenth(call: RecordedCall) -> None:
        if call.method == "sendMessage" and call.ok:
            accepted.append(call)
            if len(accepted) == 15:
                os.kill(first.pid, signal.SIGKILL)  # before the emulator answers this request

    unsubscribe = telegram.on_call(kill_on_the_fifteenth)
    assert await asyncio.wait_for(first.wait(), 90) == -signal.SIGKILL
    unsubscribe()

    # What the table says right after the crash: 14 confirmed, the 15th in flight, the rest pending.
    after_crash = Counter(r.status for r in await rows(factory, campaign.id))
    assert after_crash == Counter({"sent": 14, "sending": 1, "pending": 25})
    assert sum(deliveries(telegram).values()) == 15

    second = await start_scheduler()
    processes.append(second)

    async def finished() -> bool:
        return await _campaign_status(factory, campaign.id) == "done"

    await _until(finished, 90)
    assert await _open_rows(factory, campaign.id) == 0

    per_chat = deliveries(telegram)
    assert per_chat == Counter(campaign.chat_ids), "every chat exactly once: no duplicate, none lost"
    final = await rows(factory, campaign.id)
    assert {r.status for r in final} == {"sent"}
    unconfirmed = [r for r in final if r.telegram_message_id is None]
    assert [r.last_error for r in unconfirmed] == [UNCONFIRMED_CRASH]
    assert unconfirmed[0].chat_id == int(accepted[14].params["chat_id"])  # the one Telegram took at the kill


async def test_sigkill_before_telegram_got_the_request_is_reported_not_resent(
    committing_session_factory: async_sessionmaker[AsyncSession],
    telegram: TelegramEmulator,
    start_scheduler: Callable[[], asyncio.Future[asyncio.subprocess.Process]],
    processes: list[asyncio.subprocess.Process],
) -> None:
    """The residual case of at-most-once: the request is stuck on its way (a slow Telegram) when the
    process dies. The row says 'unconfirmed'; it is never sent twice, whatever Telegram did with it."""
    factory = committing_session_factory
    campaign = await sending_campaign(factory, telegram, 12, policy=open_policy(rate=RATE))
    first = await start_scheduler()
    processes.append(first)
    accepted: list[RecordedCall] = []

    def slow_down_after_five(call: RecordedCall) -> None:
        if call.method == "sendMessage" and call.ok:
            accepted.append(call)
            if len(accepted) == 5:
                telegram.inject_fault("sendMessage", kind="slow", delay=2.0)

    unsubscribe = telegram.on_call(slow_down_after_five)

    async def stuck() -> bool:
        return len(accepted) >= 5 and any(r.status == "sending" for r in await rows(factory, campaign.id))

    await _until(stuck, 60)
    await asyncio.sleep(0.3)  # the sixth request is inside the emulator's delay
    first.send_signal(signal.SIGKILL)
    await first.wait()
    unsubscribe()
    await asyncio.sleep(2.5)  # whatever the emulator does with the stuck request, it has done it

    second = await start_scheduler()
    processes.append(second)

    async def finished() -> bool:
        return await _campaign_status(factory, campaign.id) == "done"

    await _until(finished, 90)
    per_chat = deliveries(telegram)
    assert max(per_chat.values()) == 1, "never a duplicate"
    final = await rows(factory, campaign.id)
    assert {r.status for r in final} == {"sent"}
    unconfirmed = [r for r in final if r.telegram_message_id is None]
    assert unconfirmed, "the stuck request's row is reported, not silently counted as delivered"
    assert {r.last_error for r in unconfirmed} == {UNCONFIRMED_CRASH}
    confirmed_chats = {r.chat_id for r in final if r.telegram_message_id is not None}
    assert all(per_chat[chat] == 1 for chat in confirmed_chats)
    # Whatever was in flight at the kill (the stuck request, and any other one caught mid-send) reached
    # Telegram once or not at all, and the table says 'unconfirmed' for exactly those rows.
    assert all(per_chat[r.chat_id] in (0, 1) for r in unconfirmed)
