"""The one active scheduler: APScheduler 3 with its job store in PostgreSQL, and the nudge dispatcher.

It runs as its own process (``chronos scheduler``) so that bot restarts, deploys and webhook replicas
never move or duplicate it, and a crash of either side leaves the other running. A PostgreSQL advisory
lock, held on a dedicated connection for the life of the process, makes it the only active one: a
second instance waits as a standby and takes over when the first one's connection goes away. If the
lock connection itself fails, the process stops (exit code 3) rather than risk two dispatchers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ai.text.calendar import TEHRAN
from chronos.database import to_sync_url
from chronos.nudge_runtime import campaign_drafter, card_announcer, dispatch_config, nudge_policy
from chronos.runtime import Runtime
from chronos.settings import Settings
from jobs import nudges as nudge_jobs
from jobs.nudge_dispatch import DB_ERRORS, Dispatcher
from jobs.telegram_sender import BotApiSender

log = logging.getLogger(__name__)

LOCK_KEY = 0x4E554447  # "NUDG": the single active scheduler
JOB_SCHEMA = "scheduler"
LOCK_CHECK_S = 2.0
"""How often the active scheduler checks its lock connection (it stops at the first failure)."""
TAKEOVER_GRACE_S = 2 * LOCK_CHECK_S + 1.0
"""A check sleeps LOCK_CHECK_S and may then wait LOCK_CHECK_S for its answer: the old holder has
stopped within 2 × LOCK_CHECK_S of losing its connection, before a standby starts."""


class LockLost(RuntimeError):
    """The advisory lock's connection failed; another scheduler may take over."""


def build_scheduler(database_url: str) -> AsyncIOScheduler:
    store = SQLAlchemyJobStore(url=to_sync_url(database_url), tableschema=JOB_SCHEMA)
    return AsyncIOScheduler(
        jobstores={"default": store},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        timezone=TEHRAN,
    )


def register_jobs(scheduler: AsyncIOScheduler, settings: Settings) -> None:
    """The periodic jobs, idempotently (same ids, replaced on every start)."""
    scheduler.add_job(
        "jobs.nudges:sync_campaigns",
        "interval",
        seconds=settings.nudge.sync_interval_s,
        id="nudge-sync",
        replace_existing=True,
    )
    if settings.nudge.auto_draft:
        scheduler.add_job(
            "jobs.nudges:auto_draft",
            "cron",
            day_of_week="sat",
            hour=10,
            id="nudge-auto-draft",
            replace_existing=True,
        )
    elif scheduler.get_job("nudge-auto-draft") is not None:
        scheduler.remove_job("nudge-auto-draft")


@contextlib.asynccontextmanager
async def single_instance(
    engine: AsyncEngine, *, wait: bool, poll_s: float = 5.0, takeover_grace_s: float = TAKEOVER_GRACE_S
) -> AsyncIterator[AsyncConnection]:
    """Hold the advisory lock for the block; wait for it (standby) or raise :class:`LockLost`.

    A standby that had to wait gets the lock as soon as the active process's connection is gone, but
    that process only notices at its next lock check; so the standby waits ``takeover_grace_s`` (longer
    than the check interval) before it starts, and the two never run at once. A standby whose own
    connection fails (a database restart) reconnects and keeps waiting.
    """
    conn = await engine.connect()
    waited = False
    try:
        while True:
            try:
                acquired = await conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY})
                await conn.commit()
            except DB_ERRORS as exc:
                if not wait:
                    raise LockLost(f"cannot reach the database for the scheduler lock: {exc}") from exc
                log.warning("scheduler lock: database unavailable (%s); standing by", type(exc).__name__)
                waited = True  # an active scheduler may still be running: take over only after the grace
                with contextlib.suppress(Exception):
                    await conn.close()
                await asyncio.sleep(poll_s)
                conn = await _reconnect(engine, poll_s)
                continue
            if acquired:
                break
            if not wait:
                raise LockLost("another chronos scheduler holds the lock")
            if not waited:
                log.info("another scheduler is active; standing by")
            waited = True
            await asyncio.sleep(poll_s)
        if waited and takeover_grace_s > 0:
            log.info("took over the scheduler lock; starting in %.0f s", takeover_grace_s)
            await asyncio.sleep(takeover_grace_s)
        yield conn
    finally:
        with contextlib.suppress(Exception):
            await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
        with contextlib.suppress(Exception):
            await conn.close()


async def _reconnect(engine: AsyncEngine, poll_s: float) -> AsyncConnection:
    while True:
        try:
            return await engine.connect()
        except DB_ERRORS:
            await asyncio.sleep(poll_s)


async def _watch_lock(conn: AsyncConnection, stop: asyncio.Event) -> None:
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), LOCK_CHECK_S)
        if stop.is_set():
            return
        try:
            # Bounded: a half-open connection (failover, network cut) must not keep us running.
            async with asyncio.timeout(LOCK_CHECK_S):
                await conn.scalar(text("SELECT 1"))
                await conn.commit()
        except Exception as exc:
            stop.set()
            raise LockLost("lost the scheduler lock's database connection") from exc


async def run_scheduler(runtime: Runtime, stop: asyncio.Event, *, wait_for_lock: bool = True) -> None:
    """Run until ``stop``: the job store scheduler and, when a bot token is set, the dispatcher."""
    settings = runtime.settings
    async with (
        single_instance(runtime.engine, wait=wait_for_lock) as lock,
        card_announcer(settings, runtime.session_factory) as announce,
    ):
        log.info("scheduler active (advisory lock %#x)", LOCK_KEY)
        scheduler = build_scheduler(runtime.database_url)
        with campaign_drafter(settings, runtime.gateway) as drafter:
            nudge_jobs.configure(
                nudge_jobs.JobContext(
                    runtime.session_factory,
                    nudge_policy(settings),
                    scheduler=scheduler,
                    drafter_factory=drafter,
                    announce=announce,
                )
            )
            try:
                await _run_jobs(runtime, scheduler, lock, stop)
            finally:
                nudge_jobs.configure(None)


async def _run_jobs(
    runtime: Runtime, scheduler: AsyncIOScheduler, lock: AsyncConnection, stop: asyncio.Event
) -> None:
    settings = runtime.settings
    register_jobs(scheduler, settings)
    scheduler.start()
    tasks: list[asyncio.Task[Any]] = [asyncio.create_task(_watch_lock(lock, stop))]
    http = aiohttp.ClientSession()
    try:
        await nudge_jobs.sync_campaigns()
        if settings.bot.token is not None:
            sender = BotApiSender(
                http,
                settings.bot.token.get_secret_value(),
                base_url=settings.bot.api_server,
                timeout_s=settings.nudge.send_timeout_s,
            )
            dispatcher = Dispatcher(runtime.session_factory, sender, dispatch_config(settings))
            tasks.append(asyncio.create_task(dispatcher.run(stop)))
        else:
            log.warning("BOT_TOKEN is not set: campaigns are scheduled but nothing is sent")
        for task in tasks:  # any of them ending early (a bug, a lost lock) stops the process, loudly
            task.add_done_callback(lambda _: stop.set())
        await stop.wait()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
        scheduler.shutdown(wait=False)
        await http.close()
