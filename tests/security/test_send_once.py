"""Nothing sent twice, nothing lost: a /draft sent to a representative and an agent's answer go through
the outbox of one-off messages (claim committed, send, record).

Before, both called sendMessage inside the update's transaction or before recording it: a crash or an
error after Telegram took the message left nothing logged, and pressing the button again sent it a
second time. The crash tests SIGKILL a real `chronos bot` while the emulator is accepting the message
(delivered, unanswered: the hardest moment); the error test breaks the database right after the send.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlalchemy import Row, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from bot.callbacks import KnowledgeAction, RepReply
from bot.delivery import BotSender
from bot.texts.fa import FA
from chronos.emulators import EmulatedUser, RecordedCall, TelegramEmulator
from crm.db import UnitOfWork
from crm.models import Interaction
from crm.services import knowledge_assist
from tests.bot.harness import BotHarness, alerts, sent_texts
from tests.factories import make_agent, make_rep
from tests.security.bot_process import BotProcess, free_port, lock_waiter, terminate_backend, until

REP_CHAT = 7_570_001
REFUSING_CHAT, SENDER_CHAT = 7_570_002, 7_570_003  # the harness's emulator keeps every chat's history


async def _draft(factory: async_sessionmaker[AsyncSession], agent_id: int, rep_id: int) -> tuple[int, str]:
    async with UnitOfWork(factory) as uow:
        dto = await knowledge_assist.draft(
            uow,
            kind="telegram",
            tone="friendly",
            goal="پیگیری قطعی سرور آلمان",
            agent_id=agent_id,
            rep_id=rep_id,
        )
    return dto.suggestion_id, dto.draft.text


async def _interactions(factory: async_sessionmaker[AsyncSession], source: str) -> list[Row[Any]]:
    """What was logged under ``source``: who, what, and whether its sentiment was left alone."""
    async with UnitOfWork(factory) as uow:
        query = select(
            Interaction.representative_id,
            Interaction.agent_id,
            Interaction.ai_suggestion_id,
            Interaction.direction,
            Interaction.body,
            Interaction.crt_authored,
            Interaction.sentiment_label,
        ).where(Interaction.source == source)
        return list((await uow.session.execute(query)).all())


async def _outbox(factory: async_sessionmaker[AsyncSession]) -> list[tuple[str, str, int | None, str | None]]:
    async with UnitOfWork(factory) as uow:
        rows = await uow.session.execute(
            text("SELECT key, status, telegram_message_id, last_error FROM outbound_message ORDER BY id")
        )
        return [(r.key, r.status, r.telegram_message_id, r.last_error) for r in rows]


def _to(emulator: TelegramEmulator, chat_id: int) -> list[str]:
    return [m.text or "" for m in emulator.messages_to(chat_id)]


def _kill_when_telegram_takes(emulator: TelegramEmulator, pid: int, chat_id: int) -> list[RecordedCall]:
    """SIGKILL the bot while the emulator is accepting its message to ``chat_id`` (stored, not answered)."""
    taken: list[RecordedCall] = []

    def on_call(call: RecordedCall) -> None:
        if call.method == "sendMessage" and call.ok and call.params.get("chat_id") == chat_id and not taken:
            taken.append(call)
            os.kill(pid, signal.SIGKILL)

    emulator.on_call(on_call)  # the emulator lives for this test only
    return taken


async def _reply_to(emulator: TelegramEmulator, user: EmulatedUser, mark: int, within_s: float = 60) -> str:
    """The text of the bot's first message or edit to ``user`` after call number ``mark``."""

    def replies() -> list[str]:
        return [
            str(c.params.get("text", ""))
            for c in emulator.calls()[mark:]
            if c.method in {"sendMessage", "editMessageText"} and c.ok and c.params.get("chat_id") == user.id
        ]

    async def answered() -> bool:
        return bool(replies())

    await until(answered, within_s, f"a reply to {user.first_name}")
    return replies()[0]


@pytest.fixture
async def bot_process(
    database_url: str, committing_session_factory: object, tmp_path: Path
) -> AsyncIterator[BotProcess]:
    async with TelegramEmulator() as emulator:
        process = BotProcess(emulator, database_url, tmp_path, webhook=False)
        try:
            yield process
        finally:
            await process.stop_all()


async def test_sigkill_mid_draft_send_then_press_again_one_message_recorded_unconfirmed(
    bot_process: BotProcess, committing_session_factory: async_sessionmaker[AsyncSession]
) -> None:
    factory, emulator = committing_session_factory, bot_process.emulator
    async with UnitOfWork(factory) as uow:
        agent = await make_agent(uow, name="نگار")
        rep = await make_rep(uow, name="رضا کریمی", telegram_user_id=REP_CHAT)
    suggestion_id, body = await _draft(factory, agent.id, rep.id)
    agent_user = emulator.user(agent.telegram_user_id, "Negar")
    emulator.user(REP_CHAT, "Reza")
    first = await bot_process.start()
    emulator.send_command(agent_user, "start")
    await _reply_to(emulator, agent_user, 0)
    confirm = KnowledgeAction(action="confirm", id=suggestion_id).pack()
    taken = _kill_when_telegram_takes(emulator, first.pid, REP_CHAT)
    emulator.press_button(agent_user, emulator.messages_to(agent_user.id)[-1], confirm, check=False)
    assert await asyncio.wait_for(first.wait(), 60) == -signal.SIGKILL
    assert len(taken) == 1
    assert _to(emulator, REP_CHAT) == [body]  # Telegram has it; the bot never heard back

    await bot_process.start()
    mark = len(emulator.calls())
    emulator.press_button(agent_user, emulator.messages_to(agent_user.id)[-1], confirm, check=False)
    reply = await _reply_to(emulator, agent_user, mark)

    assert _to(emulator, REP_CHAT) == [body], "exactly one message reached the representative"
    assert reply == FA["kb.draft.unconfirmed"].format(name="رضا کریمی")
    [logged] = await _interactions(factory, "kb_draft")
    assert (logged.representative_id, logged.agent_id, logged.ai_suggestion_id) == (
        rep.id,
        agent.id,
        suggestion_id,
    )
    assert (logged.body, logged.crt_authored, logged.sentiment_label) == (body, True, None)
    [(key, status, message_id, error)] = await _outbox(factory)
    assert (key, status, message_id) == (f"draft:{suggestion_id}", "sent", None)
    assert str(error).startswith("unconfirmed: ")


async def test_sigkill_mid_answer_send_the_answer_is_logged_once_and_never_repeated(
    bot_process: BotProcess, committing_session_factory: async_sessionmaker[AsyncSession]
) -> None:
    """The answer Telegram took before the kill is on the representative's record after the restart
    (before: nothing was logged), unconfirmed, and never sent again."""
    factory, emulator = committing_session_factory, bot_process.emulator
    async with UnitOfWork(factory) as uow:
        agent = await make_agent(uow, name="نگار")
        rep = await make_rep(uow, name="رضا کریمی", telegram_user_id=REP_CHAT, assigned_agent_id=agent.id)
    agent_user = emulator.user(agent.telegram_user_id, "Negar")
    rep_user = emulator.user(REP_CHAT, "Reza")
    first = await bot_process.start()
    emulator.send_text(rep_user, "سرور آلمان هنوز کند است")
    await _reply_to(emulator, agent_user, 0)
    forwarded = emulator.messages_to(agent_user.id)[-1]
    mark = len(emulator.calls())
    emulator.press_button(agent_user, forwarded, RepReply(rep_id=rep.id).pack())
    await _reply_to(emulator, agent_user, mark)
    taken = _kill_when_telegram_takes(emulator, first.pid, REP_CHAT)
    answer = "سلام، بررسی می‌کنیم و خبر می‌دهیم"
    emulator.send_text(agent_user, answer)
    assert await asyncio.wait_for(first.wait(), 60) == -signal.SIGKILL
    assert len(taken) == 1

    await bot_process.start()

    async def logged() -> bool:
        return len(await _interactions(factory, "telegram_answer")) >= 1

    await until(logged, 30, "the cut-off answer recorded on the representative")
    await asyncio.sleep(1.0)  # whatever the restarted bot would do with it, it has done by now
    answers = [t for t in _to(emulator, REP_CHAT) if t == answer]
    assert answers == [answer], "exactly once"
    [row] = await _interactions(factory, "telegram_answer")
    assert (row.representative_id, row.agent_id, row.direction, row.body) == (
        rep.id,
        agent.id,
        "outbound",
        answer,
    )
    assert (row.crt_authored, row.sentiment_label) == (True, None)
    [(_, status, message_id, error)] = await _outbox(factory)
    assert (status, message_id) == ("sent", None)
    assert str(error).startswith("unconfirmed: ")


# In process, through the harness


class DatabaseFailsAfterTheSend:
    """Right after Telegram accepts the message to ``chat_id``, the bot's next write to ``interaction``
    (recording it) dies with its connection. A transaction held open across the send (the old code)
    has its connection ended instead, so its commit fails: an error between send and record either way.
    """

    def __init__(self, emulator: TelegramEmulator, engine: AsyncEngine, chat_id: int) -> None:
        self._engine, self._chat_id = engine, chat_id
        self._done = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.unsubscribe = emulator.on_call(self._on_call)

    async def _on_call(self, call: RecordedCall) -> None:
        if not (call.method == "sendMessage" and call.ok and call.params.get("chat_id") == self._chat_id):
            return
        if self._tasks:
            return
        self.unsubscribe()
        locker = await self._engine.connect()
        await locker.execute(text("SET lock_timeout = '300ms'"))
        try:
            await locker.execute(text("LOCK TABLE interaction IN ACCESS EXCLUSIVE MODE"))
        except DBAPIError:  # someone holds it across the send: end that transaction
            await locker.rollback()
            await locker.execute(
                text(
                    "SELECT pg_terminate_backend(l.pid) FROM pg_locks AS l JOIN pg_class AS c ON c.oid = l.relation "
                    "WHERE c.relname = 'interaction' AND l.pid <> pg_backend_pid()"
                )
            )
            await locker.commit()
            await locker.close()
            self._done.set()
            return
        self._tasks.append(asyncio.create_task(self._kill_the_recording(locker)))

    async def _kill_the_recording(self, locker: AsyncConnection) -> None:
        try:
            with contextlib.suppress(AssertionError):
                pid, _ = await lock_waiter(self._engine, 10)
                await terminate_backend(self._engine, pid)
        finally:
            await locker.rollback()
            await locker.close()
            self._done.set()

    async def wait(self) -> None:
        await asyncio.wait_for(self._done.wait(), 20)


async def test_an_error_between_send_and_record_then_press_again_one_message_and_it_is_logged(
    harness: BotHarness,
    db: UnitOfWork,
    engine: AsyncEngine,
    committing_session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with db:
        agent = await make_agent(db, name="نگار")
        rep = await make_rep(db, name="رضا کریمی", telegram_user_id=REP_CHAT)
    suggestion_id, body = await _draft(committing_session_factory, agent.id, rep.id)
    user = harness.emulator.user(agent.telegram_user_id, "Negar")
    harness.emulator.user(REP_CHAT, "Reza")
    await harness.text(user, "/help")
    confirm = KnowledgeAction(action="confirm", id=suggestion_id).pack()
    fault = DatabaseFailsAfterTheSend(harness.emulator, engine, REP_CHAT)
    failed = await harness.press(user, harness.last(user), confirm, check=False)
    await fault.wait()
    assert alerts(failed), "the agent is told it went wrong"
    assert _to(harness.emulator, REP_CHAT) == [body]

    again = await harness.press(user, harness.last(user), confirm, check=False)
    assert _to(harness.emulator, REP_CHAT) == [body], "the second press sends nothing"
    assert FA["kb.draft.unconfirmed"].format(name="رضا کریمی") in sent_texts(again)
    [logged] = await _interactions(committing_session_factory, "kb_draft")
    assert (logged.body, logged.crt_authored, logged.ai_suggestion_id) == (body, True, suggestion_id)
    [(_, status, message_id, error)] = await _outbox(committing_session_factory)
    assert (status, message_id) == ("sent", None)
    assert str(error).startswith("unconfirmed: ")


async def test_a_refusal_releases_the_claim_and_a_later_press_sends_once(
    harness: BotHarness, db: UnitOfWork, committing_session_factory: async_sessionmaker[AsyncSession]
) -> None:
    async with db:
        agent = await make_agent(db, name="نگار")
        rep = await make_rep(db, name="رضا کریمی", telegram_user_id=REFUSING_CHAT)
    suggestion_id, body = await _draft(committing_session_factory, agent.id, rep.id)
    user = harness.emulator.user(agent.telegram_user_id, "Negar")
    harness.emulator.user(REFUSING_CHAT, "Reza")
    await harness.text(user, "/help")
    confirm = KnowledgeAction(action="confirm", id=suggestion_id).pack()
    harness.emulator.block_chat(REFUSING_CHAT)
    try:
        refused = await harness.press(user, harness.last(user), confirm, check=False)
    finally:
        harness.emulator.unblock_chat(REFUSING_CHAT)
    assert FA["kb.draft.send_failed"].format(name="رضا کریمی") in sent_texts(refused)
    assert await _interactions(committing_session_factory, "kb_draft") == []
    [(_, status, _, error)] = await _outbox(committing_session_factory)
    assert status == "failed"
    assert str(error).startswith("403: ")

    sent = await harness.press(user, harness.last(user), confirm, check=False)
    assert FA["kb.draft.sent"].format(name="رضا کریمی") in sent_texts(sent)
    assert _to(harness.emulator, REFUSING_CHAT) == [body]
    assert len(await _interactions(committing_session_factory, "kb_draft")) == 1
    [(_, status, message_id, error)] = await _outbox(committing_session_factory)
    assert (status, error) == ("sent", None)
    assert message_id is not None
    again = await harness.press(user, harness.last(user), confirm, check=False)
    assert FA["kb.draft.already_sent"] in sent_texts(again)
    assert _to(harness.emulator, REFUSING_CHAT) == [body]


async def test_the_bot_sender_tells_a_refusal_from_a_send_that_may_have_arrived(harness: BotHarness) -> None:
    """Refused (nothing arrived: safe to retry) versus unconfirmed (the request left: never again)."""
    emulator = harness.emulator
    emulator.user(SENDER_CHAT, "Reza")
    sender = BotSender(harness.bot)
    assert (await sender.send_text(SENDER_CHAT, "یک")).status == "delivered"
    emulator.block_chat(SENDER_CHAT)
    try:
        assert (await sender.send_text(SENDER_CHAT, "دو")).status == "blocked"
    finally:
        emulator.unblock_chat(SENDER_CHAT)
    emulator.inject_fault("sendMessage", kind="500")
    assert (await sender.send_text(SENDER_CHAT, "سه")).status == "transient"
    closed = Bot(
        emulator.token,
        session=AiohttpSession(api=TelegramAPIServer.from_base(f"http://127.0.0.1:{free_port()}")),
    )
    try:
        assert (
            await BotSender(closed).send_text(SENDER_CHAT, "چهار")
        ).status == "transient"  # never connected
    finally:
        await closed.session.close()
    impatient = Bot(
        emulator.token, session=AiohttpSession(api=TelegramAPIServer.from_base(emulator.base_url), timeout=1)
    )
    emulator.inject_fault("sendMessage", kind="slow", delay=3)
    try:
        outcome = await BotSender(impatient).send_text(SENDER_CHAT, "پنج")
    finally:
        await impatient.session.close()
    assert outcome.status == "unconfirmed"
    assert str(outcome.error).startswith("unconfirmed: ")
