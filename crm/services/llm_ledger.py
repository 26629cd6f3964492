"""The gateway's usage ledger in PostgreSQL (table ``llm_call``): one row per logical LLM call.

Each record is written in its own short transaction, so a ledger row survives even when the
feature's own transaction rolls back, and the daily cost cap sees every call. A call reserves its
most possible cost before it is sent (:meth:`DatabaseUsageLedger.reserve`), so concurrent calls —
in any process — can never spend past the cap together.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ai.llm.ledger import LLMCallRecord, UsageStats
from crm.models import LLMCall


def _start_of_today(now: dt.datetime) -> dt.datetime:
    return now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


RESERVATION_LOCK = 0x4C4C4D43  # "LLMC": serialises cost reservations across processes


def _money(cost_usd: float) -> Decimal:
    return Decimal(str(round(cost_usd, 6)))


def _row(call: LLMCallRecord) -> LLMCall:
    return LLMCall(
        template_id=call.template_id,
        template_version=str(call.template_version),
        model=call.model,
        engine=call.engine,
        tokens_in=call.tokens_in,
        tokens_out=call.tokens_out,
        cost_usd=_money(call.cost_usd),
        latency_ms=call.latency_ms,
        attempts=call.attempts,
        status=call.status,
        cache_hit=call.cache_hit,
        error=call.error,
        created_at=call.created_at,
    )


class DatabaseUsageLedger:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory

    async def record(self, call: LLMCallRecord) -> None:
        async with self._session_factory() as session, session.begin():
            session.add(_row(call))

    async def reserve(self, call: LLMCallRecord, cap_usd: float) -> int | None:
        """One transaction, serialised by an advisory lock: today's total (reservations included) plus
        this call's most, against the cap; a row in ``reserved`` holds the amount until it settles.
        A process that dies in between leaves its reservation counted for the rest of the day."""
        since = _start_of_today(call.created_at)
        async with self._session_factory() as session, session.begin():
            await session.execute(select(func.pg_advisory_xact_lock(RESERVATION_LOCK)))
            spent = await session.scalar(
                select(func.coalesce(func.sum(LLMCall.cost_usd), 0)).where(LLMCall.created_at >= since)
            )
            if float(spent or 0) + call.cost_usd > cap_usd:
                return None
            row = _row(replace(call, status="reserved"))
            session.add(row)
            await session.flush()
            return row.id

    async def settle(self, reservation: int, call: LLMCallRecord) -> None:
        async with self._session_factory() as session, session.begin():
            await session.execute(
                update(LLMCall)
                .where(LLMCall.id == reservation)
                .values(
                    tokens_in=call.tokens_in,
                    tokens_out=call.tokens_out,
                    cost_usd=_money(call.cost_usd),
                    latency_ms=call.latency_ms,
                    attempts=call.attempts,
                    status=call.status,
                    cache_hit=call.cache_hit,
                    error=call.error,
                )
            )

    async def cost_today(self) -> float:
        since = _start_of_today(dt.datetime.now(dt.UTC))
        async with self._session_factory() as session:
            total = await session.scalar(
                select(func.coalesce(func.sum(LLMCall.cost_usd), 0)).where(LLMCall.created_at >= since)
            )
        return float(total or 0)

    async def stats_today(self) -> UsageStats:
        since = _start_of_today(dt.datetime.now(dt.UTC))
        async with self._session_factory() as session:
            rows = (
                await session.execute(
                    select(
                        LLMCall.status,
                        func.count(),
                        func.sum(LLMCall.tokens_in),
                        func.sum(LLMCall.tokens_out),
                        func.sum(LLMCall.cost_usd),
                        func.sum(case((LLMCall.cache_hit, 1), else_=0)),
                    )
                    .where(LLMCall.created_at >= since)
                    .group_by(LLMCall.status)
                )
            ).all()
        return UsageStats(
            calls=sum(int(r[1]) for r in rows),
            tokens_in=sum(int(r[2] or 0) for r in rows),
            tokens_out=sum(int(r[3] or 0) for r in rows),
            cost_usd=float(sum(Decimal(r[4] or 0) for r in rows)),
            cache_hits=sum(int(r[5] or 0) for r in rows),
            by_status={str(r[0]): int(r[1]) for r in rows},
        )
