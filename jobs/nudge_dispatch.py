"""The outbox dispatcher: sends approved nudges at a paced rate, recording each one before and after.

Each loop reserves a batch of slots from the pacer (about 20 ms worth; one message at 25/s), waits
for the last of them, claims that many due messages (``FOR UPDATE SKIP LOCKED``, marked ``sending``
and committed under a fresh claim token), sends them at once (each after its chat's interval), then
records every outcome in one transaction. Failures of the database never
cause a send without a record: a failed claim sends nothing (and its token is released once the
database is back, in case the claim committed), and outcomes are kept in memory and written again
until the database accepts them. On start, rows another run left in ``sending`` are reconciled as
sent-unconfirmed (at-most-once; see docs/nudges.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import itertools
import logging
import math
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm.db import UnitOfWork
from crm.enums import CampaignStatus, NudgeMessageStatus
from crm.models import NudgeCampaign, NudgeMessage
from crm.schemas.nudges import ClaimedMessage, MessageSender, NudgePolicy, SendOutcome, SendResult
from crm.services import nudge_outbox
from jobs.pacing import ChatGate, Pacer

log = logging.getLogger(__name__)
T = TypeVar("T")
DB_ERRORS = (DBAPIError, OperationalError, InterfaceError, OSError, ConnectionError)
RELEASE_ON_EXIT_S = 10.0


@dataclass(frozen=True)
class DispatchConfig:
    policy: NudgePolicy = field(default_factory=NudgePolicy)
    max_in_flight: int = 8
    poll_interval_s: float = 1.0
    batch_window_s: float = 0.02
    """A loop claims about this many seconds' worth of slots at a time (at least one message)."""

    @property
    def batch(self) -> int:
        wanted = math.ceil(self.policy.global_rate_per_s * self.batch_window_s)
        return max(1, min(self.max_in_flight, wanted))

    @property
    def loops(self) -> int:
        return max(1, min(4, self.max_in_flight // self.batch))


@dataclass
class DispatchCounters:
    claimed: int = 0
    delivered: int = 0
    unconfirmed: int = 0
    retried: int = 0
    failed: int = 0
    reconciled: int = 0
    db_errors: int = 0


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Dispatcher:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        sender: MessageSender,
        config: DispatchConfig | None = None,
        *,
        now: Callable[[], dt.datetime] = _utcnow,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.config = config or DispatchConfig()
        self.run_id = uuid.uuid4().hex[:20]
        self.counters = DispatchCounters()
        self._sessions = session_factory
        self._sender = sender
        self._now = now
        self._sleep = sleep
        self._pacer = Pacer(self.config.policy.global_rate_per_s, sleep=sleep)
        self._gate = ChatGate(self.config.policy.per_chat_interval_s, sleep=sleep)
        self._in_flight = asyncio.Semaphore(self.config.max_in_flight)
        self._tokens = itertools.count(1)
        self._unreleased: list[str] = []

    @property
    def pacer(self) -> Pacer:
        return self._pacer

    async def _db(self, operation: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        async with UnitOfWork(self._sessions) as uow:
            return await operation(uow)

    async def _db_retrying(self, operation: Callable[[UnitOfWork], Awaitable[T]], stop: asyncio.Event) -> T:
        """Retry through a database outage; outcomes of real sends must not be lost."""
        delay, deadline = 0.1, None
        while True:
            try:
                return await self._db(operation)
            except DB_ERRORS as exc:
                self.counters.db_errors += 1
                log.warning(
                    "nudge outbox: database unavailable (%s); retrying in %.1fs", type(exc).__name__, delay
                )
                if stop.is_set():
                    deadline = deadline or asyncio.get_running_loop().time() + 30
                    if asyncio.get_running_loop().time() > deadline:
                        raise
                await self._sleep(delay)
                delay = min(delay * 2, 5.0)

    async def recover(self, stop: asyncio.Event | None = None) -> list[int]:
        reconcile = functools.partial(nudge_outbox.reconcile_orphans, token=self.run_id)
        ids = await self._db_retrying(reconcile, stop or asyncio.Event())
        self.counters.reconciled += len(ids)
        if ids:
            log.warning(
                "nudge outbox: %d messages were in flight when a dispatcher stopped: unconfirmed", len(ids)
            )
        return ids

    async def run(self, stop: asyncio.Event, *, until_idle: bool = False) -> DispatchCounters:
        """Dispatch until ``stop`` is set (or, with ``until_idle``, until nothing is left to send)."""
        await self.recover(stop)
        loops = (self._loop_or_stop(stop, until_idle) for _ in range(self.config.loops))
        outcomes = await asyncio.gather(*loops, return_exceptions=True)
        await self._release_on_exit()
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        return self.counters

    async def _loop_or_stop(self, stop: asyncio.Event, until_idle: bool) -> None:
        try:
            await self._loop(stop, until_idle)
        except BaseException:
            # The other loops finish their batch (its outcomes are recorded) and stop; run() raises.
            stop.set()
            raise

    async def _release_on_exit(self) -> None:
        """Claims that failed just before the stop sent nothing: back to pending, not left 'sending'
        (a restart would have to report them sent-unconfirmed)."""
        try:
            await asyncio.wait_for(self._release(), RELEASE_ON_EXIT_S)
        except Exception:  # never hides the error that stopped the loops
            log.warning(
                "nudge outbox: %d failed claims not released (database unavailable); a restart reports "
                "their rows as unconfirmed",
                len(self._unreleased),
            )

    async def _idle(self, stop: asyncio.Event, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=max(0.01, seconds))

    async def _release(self) -> None:
        # Several loops share the list: a token is taken before the await, so only one loop releases it.
        while self._unreleased:
            token = self._unreleased.pop(0)
            try:
                await self._db(functools.partial(nudge_outbox.release, token=token))
            except BaseException:
                self._unreleased.append(token)
                raise

    async def _loop(self, stop: asyncio.Event, until_idle: bool) -> None:
        window = self.config.policy.window
        while not stop.is_set():
            now = self._now()
            if not window.is_open(now):
                wait = (window.next_open(now) - now).total_seconds()
                await self._idle(stop, min(self.config.poll_interval_s * 30, wait))
                continue
            slots = self._pacer.reserve(self.config.batch)
            await self._pacer.wait(slots[-1])
            if stop.is_set():  # e.g. a sibling loop failed while this one waited for its slots
                break
            token = f"{self.run_id}-{next(self._tokens)}"
            try:
                await self._release()
                claim = functools.partial(
                    nudge_outbox.claim,
                    limit=len(slots),
                    token=token,
                    per_chat_interval_s=self.config.policy.per_chat_interval_s,
                )
                rows = await self._db(claim)
            except DB_ERRORS as exc:
                self.counters.db_errors += 1
                self._unreleased.append(token)  # the claim may have committed without us seeing its rows
                log.warning("nudge outbox: claim failed (%s); nothing was sent", type(exc).__name__)
                await self._idle(stop, self.config.poll_interval_s)
                continue
            if not rows:
                await self._db_retrying(nudge_outbox.skip_ineligible, stop)
                if until_idle and not await self._work_left():
                    return
                await self._idle(stop, self.config.poll_interval_s)
                continue
            self.counters.claimed += len(rows)
            # The batch goes out at once (its slots were waited for before the claim), so a claimed
            # row is written to Telegram within moments of being marked 'sending'.
            settled = await asyncio.gather(*(self._send(row) for row in rows), return_exceptions=True)
            results = [result for result in settled if isinstance(result, SendResult)]
            record = functools.partial(
                nudge_outbox.record, results=results, token=token, policy=self.config.policy
            )
            await self._db_retrying(record, stop)  # the batch's other sends are recorded even after a bug
            self._count(results)
            for failure in settled:
                if isinstance(failure, BaseException):
                    raise failure

    async def _send(self, row: ClaimedMessage) -> SendResult:
        await self._gate.enter(row.chat_id)
        async with self._in_flight:
            try:
                outcome = await self._sender.send_text(row.chat_id, row.body)
            except Exception as exc:  # a sender bug: the request may have gone out, so never resend
                log.exception("nudge sender failed on message %s", row.id)
                outcome = SendOutcome("unconfirmed", error=f"unconfirmed: sender error {type(exc).__name__}")
        if outcome.status == "retry_after":
            self._pacer.pause(outcome.retry_after)
        return SendResult(row, outcome, self._now())

    def _count(self, results: list[SendResult]) -> None:
        for result in results:
            status = result.outcome.status
            if status == "delivered":
                self.counters.delivered += 1
            elif status == "unconfirmed":
                self.counters.unconfirmed += 1
            elif (
                status in ("retry_after", "transient")
                and result.message.attempts < self.config.policy.max_attempts
            ):
                self.counters.retried += 1
            else:
                self.counters.failed += 1

    async def _work_left(self) -> bool:
        async def count(uow: UnitOfWork) -> int:
            return int(
                await uow.session.scalar(
                    select(func.count())
                    .select_from(NudgeMessage)
                    .join(NudgeCampaign, NudgeCampaign.id == NudgeMessage.campaign_id)
                    .where(
                        NudgeCampaign.status == CampaignStatus.SENDING.value,
                        NudgeMessage.status.in_(
                            [NudgeMessageStatus.PENDING.value, NudgeMessageStatus.SENDING.value]
                        ),
                    )
                )
                or 0
            )

        return await self._db(count) > 0
