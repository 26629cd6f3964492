"""The dispatcher against the Telegram emulator: every approved message once, paced, with 429, 403 and
5xx handled, and database outages survived without a send that is not recorded."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from chronos.emulators import TelegramEmulator
from crm.db import UnitOfWork
from crm.models import NudgeMessage, Representative
from crm.schemas.nudges import NudgeMessageDTO, SendOutcome
from jobs.nudge_dispatch import DispatchConfig, Dispatcher
from jobs.telegram_sender import BotApiSender
from tests.jobs.conftest import open_policy, sending_campaign


def deliveries(telegram: TelegramEmulator) -> Counter[int]:
    return Counter(int(c.params["chat_id"]) for c in telegram.calls("sendMessage") if c.ok)


async def rows(factory: async_sessionmaker[AsyncSession], campaign_id: int) -> list[NudgeMessageDTO]:
    async with UnitOfWork(factory) as uow:
        found = await uow.session.scalars(
            select(NudgeMessage).where(NudgeMessage.campaign_id == campaign_id).order_by(NudgeMessage.id)
        )
        return [NudgeMessageDTO.model_validate(row) for row in found]


async def drain(dispatcher: Dispatcher, within_s: float = 60) -> None:
    await asyncio.wait_for(dispatcher.run(asyncio.Event(), until_idle=True), within_s)


async def test_every_message_is_sent_once_and_recorded(
    committing_session_factory: async_sessionmaker[AsyncSession],
    telegram: TelegramEmulator,
    sender: BotApiSender,
) -> None:
    campaign = await sending_campaign(committing_session_factory, telegram, 12)
    dispatcher = Dispatcher(committing_session_factory, sender, DispatchConfig(policy=open_policy()))
    await drain(dispatcher)
    assert deliveries(telegram) == Counter(campaign.chat_ids)
    stored = await rows(committing_session_factory, campaign.id)
    assert {r.status for r in stored} == {"sent"}
    assert all(r.telegram_message_id is not None and r.last_error is None for r in stored)
    texts = [str(c.params["text"]) for c in telegram.calls("sendMessage")]
    assert all(t.endswith("برای لغو پیام‌ها /stop را بفرستید") for t in texts)


async def test_429_is_honoured_and_the_message_still_goes_once(
    committing_session_factory: async_sessionmaker[AsyncSession],
    telegram: TelegramEmulator,
    sender: BotApiSender,
) -> None:
    campaign = await sending_campaign(committing_session_factory, telegram, 4)
    telegram.inject_fault("sendMessage", kind="429", retry_after=1, times=1)
    # 20/s: one request in flight at a time, so every send after the 429 was started after it.
    config = DispatchConfig(policy=open_policy(rate=20))
    dispatcher = Dispatcher(committing_session_factory, sender, config)
    await drain(dispatcher)
    calls = telegram.calls("sendMessage")
    assert [c.response_status for c in calls].count(429) == 1
    first_429 = next(c for c in calls if c.response_status == 429)
    after = [c.at for c in calls if c.at > first_429.at and c.ok]
    assert after
    assert min(after) - first_429.at >= 0.95  # nobody sent during retry_after
    assert deliveries(telegram) == Counter(campaign.chat_ids)


async def test_blocked_rep_is_marked_unreachable_and_others_continue(
    committing_session_factory: async_sessionmaker[AsyncSession],
    telegram: TelegramEmulator,
    sender: BotApiSender,
) -> None:
    campaign = await sending_campaign(committing_session_factory, telegram, 5)
    blocked_chat = campaign.chat_ids[2]
    telegram.block_chat(blocked_chat)
    dispatcher = Dispatcher(committing_session_factory, sender, DispatchConfig(policy=open_policy()))
    await drain(dispatcher)
    assert deliveries(telegram) == Counter(c for c in campaign.chat_ids if c != blocked_chat)
    stored = {r.chat_id: r for r in await rows(committing_session_factory, campaign.id)}
    assert stored[blocked_chat].status == "failed"
    assert "403" in (stored[blocked_chat].last_error or "")
    async with UnitOfWork(committing_session_factory) as uow:
        unreachable = await uow.session.scalar(
            select(Representative.unreachable_at).where(Representative.id == campaign.rep_ids[2])
        )
    assert unreachable is not None


async def test_server_errors_are_retried_with_backoff_then_sent(
    committing_session_factory: async_sessionmaker[AsyncSession],
    telegram: TelegramEmulator,
    sender: BotApiSender,
) -> None:
    campaign = await sending_campaign(committing_session_factory, telegram, 2)
    telegram.inject_fault("sendMessage", kind="500", times=1)
    dispatcher = Dispatcher(committing_session_factory, sender, DispatchConfig(policy=open_policy()))
    await drain(dispatcher)
    assert deliveries(telegram) == Counter(campaign.chat_ids)
    stored = await rows(committing_session_factory, campaign.id)
    assert sorted(r.attempts for r in stored) == [1, 2]


class _SenderBug(BaseException):
    """Stands in for a programming error that escapes a dispatcher loop."""


class _FailsOnChat:
    """The real Bot API sender, except that one chat makes the call raise (a bug, not a Telegram error)."""

    def __init__(self, sender: BotApiSender, chat_id: int) -> None:
        self._sender, self._chat_id = sender, chat_id

    async def send_text(self, chat_id: int, text: str) -> SendOutcome:
        if chat_id == self._chat_id:
            raise _SenderBug(chat_id)
        return await self._sender.send_text(chat_id, text)


async def test_a_failing_loop_stops_the_dispatcher_and_the_others_record_their_batch(
    committing_session_factory: async_sessionmaker[AsyncSession],
    telegram: TelegramEmulator,
    sender: BotApiSender,
) -> None:
    campaign = await sending_campaign(committing_session_factory, telegram, 30)
    broken = campaign.chat_ids[10]
    config = DispatchConfig(policy=open_policy(rate=200), max_in_flight=4)  # 4 loops, batches of 4
    dispatcher = Dispatcher(committing_session_factory, _FailsOnChat(sender, broken), config)
    stop = asyncio.Event()
    with pytest.raises(_SenderBug):
        await asyncio.wait_for(dispatcher.run(stop), 30)
    assert stop.is_set(), "the failure stops the whole dispatcher (and the scheduler process with it)"
    stored = await rows(committing_session_factory, campaign.id)
    delivered = deliveries(telegram)
    assert all(n == 1 for n in delivered.values())
    for row in stored:
        if row.chat_id in delivered:  # every message Telegram accepted has its outcome recorded
            assert row.status == "sent"
            assert row.telegram_message_id is not None
    # Only the message whose send blew up has no outcome; a restart reports it as unconfirmed.
    assert {row.chat_id for row in stored if row.status == "sending"} == {broken}
    assert any(row.status == "pending" for row in stored), "the others stopped instead of draining"
