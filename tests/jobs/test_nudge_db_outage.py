"""A database outage in the middle of a campaign: for half a second every PostgreSQL backend of the
dispatcher is killed (``pg_terminate_backend``) over and over, while it is claiming, sending and
recording.

The dispatcher runs on its own engine, tagged with an ``application_name``, so only its connections are
killed; the test reads the table through the fixtures' engine. The outage starts while Telegram is
accepting message 10, so both a claim and the record of a real send meet it. A new connection to the
dispatcher's engine takes ``CONNECT_S`` longer, as it does to a database across a network (TCP, TLS,
authentication) rather than the embedded server's Unix socket.

Within one run a database outage must neither duplicate nor lose a message: a failed claim sends
nothing (its token is released once the database answers again) and the outcomes of real sends are
written again until they stick (docs/nudges.md, "Database outages"). No restart happens, so no row may
end up sent-unconfirmed either. The outage leaves several claim tokens to release, and with slow new
connections the loops release them at the same time: each token must be released once, by one loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from chronos.emulators import RecordedCall, TelegramEmulator
from crm.db import create_session_factory
from jobs.nudge_dispatch import DispatchConfig, Dispatcher
from jobs.telegram_sender import BotApiSender
from tests.jobs.conftest import open_policy, sending_campaign
from tests.jobs.test_nudge_dispatch import deliveries, drain, rows

APP = "chronos-outage-test"
REPS = 40
RATE = 50  # batches of one, four loops; 40 messages take about 0.8 s
OUTAGE_FROM = 10  # the accepted sendMessage that starts the outage: mid-campaign
OUTAGE_S = 0.5
KILL_EVERY_S = 0.0  # only yield between rounds
CONNECT_S = 0.2
_TERMINATE = text(
    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
    "WHERE application_name = :app AND pid <> pg_backend_pid()"
)


class Outage:
    """For ``OUTAGE_S``, every backend of the dispatcher's engine is terminated, round after round, from
    an admin connection of the fixtures' engine (a new backend survives a few milliseconds at most)."""

    def __init__(self, admin_engine: AsyncEngine) -> None:
        self._admin_engine = admin_engine
        self.started = asyncio.Event()
        self.killed: list[int] = []

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        async with self._admin_engine.connect() as admin:
            until = loop.time() + OUTAGE_S
            while loop.time() < until:
                self.killed.append(int(await admin.scalar(_TERMINATE, {"app": APP}) or 0))
                await admin.commit()
                self.started.set()
                await asyncio.sleep(KILL_EVERY_S)


async def test_database_outage_mid_campaign_neither_duplicates_nor_loses_a_message(
    database_url: str,
    engine: AsyncEngine,
    committing_session_factory: async_sessionmaker[AsyncSession],
    telegram: TelegramEmulator,
    sender: BotApiSender,
    caplog: pytest.LogCaptureFixture,
) -> None:
    campaign = await sending_campaign(committing_session_factory, telegram, REPS, policy=open_policy(RATE))
    outage = Outage(engine)
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)

    async def connect() -> asyncpg.Connection:
        await asyncio.sleep(CONNECT_S)
        return await asyncpg.connect(dsn, server_settings={"application_name": APP})

    # As crm.db.create_engine builds it (pre-ping included), on connections the outage can find.
    dispatcher_engine = create_async_engine(
        database_url, async_creator=connect, pool_size=5, max_overflow=5, pool_pre_ping=True
    )
    dispatcher = Dispatcher(
        create_session_factory(dispatcher_engine),
        sender,
        DispatchConfig(policy=open_policy(RATE), poll_interval_s=0.2),
    )
    outages: list[asyncio.Task[None]] = []
    accepted = 0

    async def start_outage(call: RecordedCall) -> None:
        nonlocal accepted
        if call.method == "sendMessage" and call.ok:
            accepted += 1
            if accepted == OUTAGE_FROM:
                outages.append(asyncio.get_running_loop().create_task(outage.run()))
                # Telegram answers this message once the outage is on, so its record meets it too.
                await outage.started.wait()

    unsubscribe = telegram.on_call(start_outage)
    try:
        with caplog.at_level(logging.WARNING, logger="jobs.nudge_dispatch"):
            await drain(dispatcher, within_s=15)
    finally:
        unsubscribe()
        outage_errors = await asyncio.gather(*outages, return_exceptions=True)
        await dispatcher_engine.dispose()
    assert outage_errors == [None], "the outage must have started and run to its end"

    # The outage happened and the dispatcher saw it.
    assert sum(outage.killed) > 0, "no dispatcher backend was terminated"
    assert dispatcher.counters.db_errors > 0, f"the outage was not noticed (killed {sum(outage.killed)})"
    warned = caplog.text
    assert "claim failed" in warned, "a claim met the outage"
    assert "database unavailable" in warned, "the record of a real send met the outage"

    per_chat = deliveries(telegram)
    assert max(per_chat.values()) == 1, f"duplicates: {[c for c, n in per_chat.items() if n > 1]}"
    assert per_chat == Counter(campaign.chat_ids), "every chat exactly once: none lost"

    message_ids = {
        int(c.params["chat_id"]): int(c.result["message_id"]) for c in telegram.calls("sendMessage") if c.ok
    }
    stored = await rows(committing_session_factory, campaign.id)
    assert len(stored) == REPS
    assert Counter(r.status for r in stored) == Counter({"sent": REPS}), "nothing left pending or sending"
    unconfirmed = [(r.chat_id, r.last_error) for r in stored if r.telegram_message_id is None]
    assert unconfirmed == [], "a database outage within one run leaves nothing unconfirmed"
    # Every row says exactly what Telegram did: its chat got that very message, at the first attempt.
    assert {r.chat_id: r.telegram_message_id for r in stored} == message_ids
    assert all(r.last_error is None and r.attempts == 1 for r in stored)
