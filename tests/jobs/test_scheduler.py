"""The one active scheduler against a real PostgreSQL: the advisory lock that keeps a second instance on
standby, and the APScheduler job store (schema ``scheduler``) that keeps a campaign's start job across a
restart.

The schedulers run in-process (``run_scheduler`` with a stop event, settings read from the environment as
``chronos scheduler`` reads them); the lock holder is found in ``pg_locks``, the jobs in
``scheduler.apscheduler_jobs``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from chronos.cli.run import scheduler_process
from chronos.runtime import open_runtime
from chronos.scheduler import (
    LOCK_CHECK_S,
    LOCK_KEY,
    TAKEOVER_GRACE_S,
    LockLost,
    build_scheduler,
    run_scheduler,
    single_instance,
)
from chronos.settings import Settings, load_settings
from crm.db import UnitOfWork
from crm.enums import AgentRole, CampaignStatus
from crm.models import NudgeCampaign
from crm.schemas.nudges import CampaignCreate
from crm.schemas.types import Actor
from crm.services import nudges
from jobs import nudges as nudge_jobs
from tests.factories import make_agent, make_rep
from tests.jobs.conftest import TEMPLATE, open_policy

T = TypeVar("T")
_chat_ids = itertools.count(5_300_001)

LOCK_HOLDER = text(
    """
    SELECT l.pid FROM pg_locks l JOIN pg_database d ON d.oid = l.database
    WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database()
      AND l.classid = 0 AND l.objid::bigint = :key AND l.objsubid = 1
    """
)
BACKEND_PID = text("SELECT pg_backend_pid()")


async def lock_holder(engine: AsyncEngine) -> int | None:
    """The backend pid holding the scheduler's advisory lock in this database, if any."""
    async with engine.connect() as conn:
        pid = await conn.scalar(LOCK_HOLDER, {"key": LOCK_KEY})
    return int(pid) if pid is not None else None


async def eventually(check: Callable[[], Awaitable[T]], within_s: float, what: str) -> T:
    """Poll until ``check`` returns something truthy (the state changes in another task or backend)."""
    deadline = time.monotonic() + within_s
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"not within {within_s} s: {what}")
        await asyncio.sleep(0.05)


async def acquire_without_waiting(engine: AsyncEngine) -> None:
    async with single_instance(engine, wait=False):
        pass


@dataclass
class Standby:
    """A second instance waiting for the lock (``wait=True``); ``pid`` is its connection once active."""

    task: asyncio.Task[None]
    active: asyncio.Event
    release: asyncio.Event
    pid: int | None = None


def start_standby(engine: AsyncEngine, poll_s: float = 0.05, grace_s: float = TAKEOVER_GRACE_S) -> Standby:
    active, release = asyncio.Event(), asyncio.Event()
    standby: Standby

    async def hold() -> None:
        async with single_instance(engine, wait=True, poll_s=poll_s, takeover_grace_s=grace_s) as conn:
            standby.pid = int(await conn.scalar(BACKEND_PID))
            await conn.commit()
            active.set()
            await release.wait()

    standby = Standby(asyncio.create_task(hold()), active, release)
    return standby


async def stop_standby(standby: Standby) -> None:
    """Release the lock if the standby got it; stop its waiting if it never did (a failed test)."""
    standby.release.set()
    if not standby.active.is_set():
        standby.task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(standby.task, 5)


@dataclass
class Running:
    task: asyncio.Task[None]
    stop: asyncio.Event


@contextlib.asynccontextmanager
async def running_scheduler(settings: Settings) -> AsyncIterator[Running]:
    """``run_scheduler`` as ``chronos scheduler --no-wait`` runs it, until the block ends (or it stops)."""
    stop = asyncio.Event()
    async with open_runtime(settings) as runtime:
        task = asyncio.create_task(run_scheduler(runtime, stop, wait_for_lock=False))
        try:
            yield Running(task, stop)
        finally:
            stop.set()
            done, _ = await asyncio.wait({task}, timeout=15)
            if not done:
                task.cancel()
            with contextlib.suppress(BaseException):
                await task


@pytest.fixture
def scheduler_settings(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> Callable[[int], Settings]:
    """Settings from the environment, pointed at the test database; no bot token (nothing is sent)."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("CHRONOS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CHRONOS_LOG_LEVEL", "WARNING")
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.setenv("NUDGE_AUTO_DRAFT", "false")
    monkeypatch.setenv("NUDGE_QUIET_START_HOUR", "0")
    monkeypatch.setenv("NUDGE_QUIET_END_HOUR", "0")
    monkeypatch.setenv("NUDGE_SKIP_FRIDAYS", "false")
    monkeypatch.setenv("NUDGE_SKIP_MOURNING_DAYS", "false")

    def settings(sync_interval_s: int) -> Settings:
        monkeypatch.setenv("NUDGE_SYNC_INTERVAL_S", str(sync_interval_s))
        loaded = load_settings()
        assert loaded.bot.token is None
        assert loaded.database.url is not None
        assert loaded.nudge.sync_interval_s == sync_interval_s
        return loaded

    return settings


async def _clear_job_store(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM scheduler.apscheduler_jobs"))


@pytest.fixture
async def job_store(engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """An empty ``scheduler.apscheduler_jobs`` (not one of the CRM tables the other fixtures truncate)."""
    await _clear_job_store(engine)
    yield engine
    await _clear_job_store(engine)


async def stored_jobs(engine: AsyncEngine) -> dict[str, float | None]:
    async with engine.connect() as conn:
        rows = await conn.execute(text("SELECT id, next_run_time FROM scheduler.apscheduler_jobs"))
        return {row.id: row.next_run_time for row in rows}


# --- 1. one active scheduler, the others stand by ---------------------------------------------------


async def test_second_instance_is_refused_or_stands_by_until_the_first_releases(engine: AsyncEngine) -> None:
    assert await lock_holder(engine) is None
    async with single_instance(engine, wait=True) as first:
        first_pid = int(await first.scalar(BACKEND_PID))
        await first.commit()
        assert await lock_holder(engine) == first_pid

        with pytest.raises(LockLost):
            await acquire_without_waiting(engine)

        standby = start_standby(engine, poll_s=0.05, grace_s=0.6)
        try:
            await asyncio.sleep(0.5)  # about ten polls of pg_try_advisory_lock, all refused
            assert not standby.active.is_set(), "the standby became active while the first holds the lock"
            assert not standby.task.done()
            assert await lock_holder(engine) == first_pid
        except BaseException:
            await stop_standby(standby)
            raise

    try:
        # The first released the lock (end of its block): the standby takes it at its next poll, and
        # starts only after its grace period (the old holder may not have noticed yet).
        await asyncio.sleep(0.3)
        assert not standby.active.is_set(), "the standby started without its takeover grace"
        await asyncio.wait_for(standby.active.wait(), 2)
        assert standby.pid is not None
        assert standby.pid != first_pid
        assert await lock_holder(engine) == standby.pid
        with pytest.raises(LockLost):
            await acquire_without_waiting(engine)
    finally:
        await stop_standby(standby)
    assert await lock_holder(engine) is None


STOPS_WITHIN_S = LOCK_CHECK_S + 1.5  # a scheduler whose lock connection died has stopped by then


async def test_standby_takes_over_when_the_active_schedulers_connection_is_terminated(
    engine: AsyncEngine,
    job_store: AsyncEngine,
    scheduler_settings: Callable[[int], Settings],
) -> None:
    """The realistic takeover: the active process's lock connection goes away (pg_terminate_backend, as
    after a network cut or a server-side kill). The standby becomes active, and the old process notices
    at its next lock check and stops with :class:`LockLost` (the CLI's exit code 3) before the standby,
    after its takeover grace, starts: the two are never active at once."""
    async with running_scheduler(scheduler_settings(1)) as active:
        holder = await eventually(lambda: lock_holder(engine), 10, "the scheduler holds the advisory lock")
        assert not active.task.done()

        with pytest.raises(LockLost):
            await acquire_without_waiting(engine)
        standby = start_standby(engine, poll_s=0.1)  # the production grace: TAKEOVER_GRACE_S
        try:
            await asyncio.sleep(0.5)
            assert not standby.active.is_set(), "standby became active beside a running scheduler"
            assert await lock_holder(engine) == holder

            async with engine.connect() as admin:
                assert await admin.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": holder})
            terminated_at = time.monotonic()

            # The old scheduler must stop by itself (at its next lock check), not keep dispatching,
            # and it does so while the standby is still in its grace period.
            done, _ = await asyncio.wait({active.task}, timeout=STOPS_WITHIN_S)
            assert done, f"the scheduler whose lock connection died still runs after {STOPS_WITHIN_S} s"
            with pytest.raises(LockLost):
                active.task.result()
            assert not standby.active.is_set(), "the standby started while the old scheduler still ran"

            await asyncio.wait_for(standby.active.wait(), TAKEOVER_GRACE_S + 2)
            assert time.monotonic() - terminated_at >= TAKEOVER_GRACE_S
            assert standby.pid is not None
            assert standby.pid != holder
            assert await lock_holder(engine) == standby.pid, "the standby holds the lock"
        finally:
            await stop_standby(standby)
    assert await lock_holder(engine) is None


async def test_a_standby_whose_connection_dies_reconnects_and_keeps_waiting(
    engine: AsyncEngine, database_url: str
) -> None:
    """A database restart or network cut drops the standby's connection too: it keeps standing by."""
    standby_engine = create_async_engine(
        database_url, connect_args={"server_settings": {"application_name": "chronos-standby-test"}}
    )
    try:
        async with single_instance(engine, wait=True) as first:
            first_pid = int(await first.scalar(BACKEND_PID))
            await first.commit()
            standby = start_standby(standby_engine, poll_s=0.05, grace_s=0.1)
            try:
                await asyncio.sleep(0.3)
                async with engine.connect() as admin:
                    killed = await admin.scalar(
                        text(
                            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                            "WHERE application_name = 'chronos-standby-test'"
                        )
                    )
                assert killed == 1
                await asyncio.sleep(0.5)
                assert not standby.task.done(), "the standby died with its connection"
                assert not standby.active.is_set()
                assert await lock_holder(engine) == first_pid
            except BaseException:
                await stop_standby(standby)
                raise
        try:
            await asyncio.wait_for(standby.active.wait(), 3)
            assert await lock_holder(engine) == standby.pid
        finally:
            await stop_standby(standby)
    finally:
        await standby_engine.dispose()


# --- 2. the job store survives a restart --------------------------------------------------------------

RESTORED = "restored from the job store"
LEAD_S = 6.0  # the campaign's start, from the moment it is approved


async def scheduled_campaign(factory: async_sessionmaker[AsyncSession], when: dt.datetime) -> int:
    """Two linked representatives; a campaign for ``when`` submitted and approved by a supervisor."""
    policy = open_policy()
    now = dt.datetime.now(dt.UTC)
    async with UnitOfWork(factory) as uow:
        supervisor = await make_agent(uow, role=AgentRole.SUPERVISOR)
        for n in range(2):
            await make_rep(uow, name=f"نماینده {n}", telegram_user_id=next(_chat_ids))
        actor = Actor.agent(supervisor.id)
        campaign = await nudges.create(
            uow,
            CampaignCreate(name="پیگیری زمان‌دار", purpose="احوال‌پرسی", template=TEMPLATE, scheduled_for=when),
            actor,
        )
        campaign = await nudges.submit(uow, campaign.id, actor, policy=policy, now=now)
        decision = await nudges.approve(uow, campaign.id, campaign.revision, actor, policy=policy, now=now)
    assert decision.campaign.status == CampaignStatus.SCHEDULED
    assert decision.campaign.scheduled_for == when
    return decision.campaign.id


async def campaign_state(
    factory: async_sessionmaker[AsyncSession], campaign_id: int
) -> tuple[str, dt.datetime | None]:
    async with UnitOfWork(factory) as uow:
        row = (
            await uow.session.execute(
                select(NudgeCampaign.status, NudgeCampaign.started_at).where(NudgeCampaign.id == campaign_id)
            )
        ).one()
    return str(row.status), row.started_at


def _running_scheduler_instance() -> Any:
    with contextlib.suppress(RuntimeError):
        return nudge_jobs.context().scheduler
    return None


async def test_a_campaigns_start_job_survives_a_restart_and_starts_it_on_time(
    committing_session_factory: async_sessionmaker[AsyncSession],
    database_url: str,
    job_store: AsyncEngine,
    scheduler_settings: Callable[[int], Settings],
) -> None:
    factory = committing_session_factory
    when = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=LEAD_S)).replace(microsecond=0)
    campaign_id = await scheduled_campaign(factory, when)
    job_id = f"{nudge_jobs.START_JOB_PREFIX}{campaign_id}"
    assert job_id not in await stored_jobs(job_store)

    # First run: the startup sync puts the campaign's date job into the PostgreSQL job store.
    async with running_scheduler(scheduler_settings(1)) as first:

        async def job_stored() -> bool:
            return job_id in await stored_jobs(job_store)

        await eventually(job_stored, 5, f"{job_id} in scheduler.apscheduler_jobs")
        await asyncio.sleep(1.2)  # at least one periodic sync too: it keeps the one job, adds no other
        first.stop.set()
        await asyncio.wait_for(first.task, 5)  # a clean stop: no exception
    assert first.task.exception() is None

    # Between the runs: nothing running, the job is in the table, due at the campaign's time.
    stored = await stored_jobs(job_store)
    assert set(stored) == {"nudge-sync", job_id}
    assert stored[job_id] == pytest.approx(when.timestamp(), abs=1e-3)
    assert await campaign_state(factory, campaign_id) == ("scheduled", None)

    # A new scheduler instance over the same database reads it back (paused: it runs nothing).
    reader = build_scheduler(database_url)
    reader.start(paused=True)
    try:
        jobs = {job.id: job for job in reader.get_jobs()}
        reader.modify_job(job_id, name=RESTORED)  # a mark only the stored job carries
    finally:
        reader.shutdown(wait=False)
    assert set(jobs) == {"nudge-sync", job_id}
    restored = jobs[job_id]
    assert restored.func_ref == "jobs.nudges:start_campaign"
    assert tuple(restored.args) == (campaign_id,)
    assert restored.next_run_time == when

    # Second run, with the periodic sync an hour away: its one startup sync comes before the campaign is
    # due, so only the restored date job can start it.
    assert dt.datetime.now(dt.UTC) < when - dt.timedelta(seconds=1.5), "setup too slow for this test"
    executed: list[tuple[str, BaseException | None]] = []
    async with running_scheduler(scheduler_settings(3600)) as second:
        scheduler = await eventually(_async(_running_scheduler_instance), 5, "the second scheduler is active")
        scheduler.add_listener(
            lambda event: executed.append((event.job_id, event.exception)),
            EVENT_JOB_EXECUTED | EVENT_JOB_ERROR,
        )
        restored_job = scheduler.get_job(job_id)
        assert restored_job is not None
        assert restored_job.name == RESTORED, "the job came from the store, not from a fresh sync"
        assert await campaign_state(factory, campaign_id) == ("scheduled", None)

        async def started() -> bool:
            return (await campaign_state(factory, campaign_id))[0] == "sending"

        await eventually(started, LEAD_S + 5, f"campaign {campaign_id} sending")
        await eventually(_async(lambda: bool(executed)), 2, "the start job reports its run")
        assert executed == [(job_id, None)], "only the campaign's date job ran, and without error"
        status, started_at = await campaign_state(factory, campaign_id)
        assert status == "sending"
        assert started_at is not None
        assert started_at >= when, "started by its job at its time, not before"
        assert job_id not in await stored_jobs(job_store), "a date job is removed once it ran"
        second.stop.set()
        await asyncio.wait_for(second.task, 5)
    assert second.task.exception() is None


def _async(check: Callable[[], T]) -> Callable[[], Awaitable[T]]:
    async def run() -> T:
        return check()

    return run


@pytest.fixture(autouse=True)
def _no_job_context_left() -> Iterator[None]:
    yield
    assert _running_scheduler_instance() is None, "run_scheduler left its job context configured"


async def test_make_run_keeps_one_scheduler_process_running_beside_the_bot(
    engine: AsyncEngine, job_store: AsyncEngine, scheduler_settings: Callable[[int], Settings]
) -> None:
    """`chronos up` (make run) starts `chronos scheduler` as a child, restarts it when it dies, and stops
    it on the way out."""
    scheduler_settings(1)  # the environment the child process inherits
    async with scheduler_process():
        first = await eventually(lambda: lock_holder(engine), 60, "the child scheduler holds the lock")
        async with engine.connect() as admin:  # the child's lock connection dies: it exits with code 3
            assert await admin.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})

        async def replaced() -> int | None:
            holder = await lock_holder(engine)
            return holder if holder not in (None, first) else None

        await eventually(replaced, 60, "a restarted scheduler holds the lock")
    assert await lock_holder(engine) is None, "the scheduler stops with make run"
