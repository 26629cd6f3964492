"""The usage ledger: one :class:`LLMCallRecord` per logical gateway call.

A logical call is one ``complete_json`` invocation. Its retries and its repair request are summed into
the same record (``attempts`` counts the HTTP requests made; tokens and cost cover all of them) and
``status`` is the final outcome. Refusals without network (cost cap, open breaker) and cache hits
are recorded too, with zero tokens. The DB-backed ledger (table ``llm_call``) implements the same
Protocol; ``attempts`` has no column there unless the table grows one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, tzinfo
from typing import Protocol

from ai.llm.errors import CallStatus


@dataclass(frozen=True)
class LLMCallRecord:
    template_id: str
    template_version: int
    model: str
    engine: str
    tokens_in: int
    tokens_out: int
    cost_usd: float
    latency_ms: int
    status: CallStatus
    cache_hit: bool
    error: str | None
    created_at: datetime
    attempts: int = 0


@dataclass(frozen=True)
class UsageStats:
    calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    cache_hits: int = 0
    by_status: dict[str, int] = field(default_factory=dict)

    @property
    def cache_hit_rate(self) -> float:
        return self.cache_hits / self.calls if self.calls else 0.0


Reservation = int
"""A handle on a reserved call, to settle it."""


class UsageLedger(Protocol):
    async def record(self, call: LLMCallRecord) -> None:
        """A call that spent nothing it had to reserve (a cache hit, a refusal)."""
        ...

    async def reserve(self, call: LLMCallRecord, cap_usd: float) -> Reservation | None:
        """Hold ``call.cost_usd`` (the most the call can cost) against today's cap, atomically across
        every caller (processes included): None, holding nothing, when it does not fit."""
        ...

    async def settle(self, reservation: Reservation, call: LLMCallRecord) -> None:
        """Replace the reservation by what the call really cost and how it ended."""
        ...

    async def cost_today(self) -> float: ...

    async def stats_today(self) -> UsageStats: ...


class InMemoryUsageLedger:
    """Keeps every record and running per-day totals (O(1) cost checks); for tests, benches and demos.

    "Today" is the calendar day in ``day_tz`` (UTC unless told otherwise) of ``now()``.
    """

    def __init__(self, *, now: Callable[[], datetime] | None = None, day_tz: tzinfo = UTC) -> None:
        self._now = now or (lambda: datetime.now(UTC))
        self._day_tz = day_tz
        self.records: list[LLMCallRecord] = []
        self._cost_by_day: dict[date, float] = {}

    def _day(self, moment: datetime) -> date:
        return moment.astimezone(self._day_tz).date()

    async def record(self, call: LLMCallRecord) -> None:
        self.records.append(call)
        day = self._day(call.created_at)
        self._cost_by_day[day] = self._cost_by_day.get(day, 0.0) + call.cost_usd

    async def reserve(self, call: LLMCallRecord, cap_usd: float) -> Reservation | None:
        # No await between the check and the booking: atomic within the event loop.
        day = self._day(call.created_at)
        if self._cost_by_day.get(day, 0.0) + call.cost_usd > cap_usd:
            return None
        await self.record(replace(call, status="reserved"))
        return len(self.records) - 1

    async def settle(self, reservation: Reservation, call: LLMCallRecord) -> None:
        held = self.records[reservation]
        day = self._day(held.created_at)
        self._cost_by_day[day] = self._cost_by_day.get(day, 0.0) - held.cost_usd + call.cost_usd
        self.records[reservation] = replace(call, created_at=held.created_at)

    async def cost_today(self) -> float:
        return self._cost_by_day.get(self._day(self._now()), 0.0)

    async def stats_today(self) -> UsageStats:
        today = self._day(self._now())
        todays = [call for call in self.records if self._day(call.created_at) == today]
        return UsageStats(
            calls=len(todays),
            tokens_in=sum(call.tokens_in for call in todays),
            tokens_out=sum(call.tokens_out for call in todays),
            cost_usd=sum(call.cost_usd for call in todays),
            cache_hits=sum(1 for call in todays if call.cache_hit),
            by_status=dict(Counter(call.status for call in todays)),
        )
