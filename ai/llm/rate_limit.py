"""Async token bucket: ``requests_per_minute`` sustained, bursts up to the same number."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class TokenBucket:
    def __init__(
        self,
        rate_per_minute: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate_per_minute < 1:
            raise ValueError("rate_per_minute must be positive")
        self._capacity = float(rate_per_minute)
        self._per_second = rate_per_minute / 60.0
        self._clock = clock
        self._sleep = sleep
        self._tokens = self._capacity
        self._updated_at = clock()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self._capacity, self._tokens + (now - self._updated_at) * self._per_second)
        self._updated_at = now

    async def acquire(self, max_wait_s: float) -> bool:
        """Take one token, waiting for it (FIFO) unless that would take longer than ``max_wait_s``."""
        async with self._lock:
            self._refill()
            if self._tokens < 1.0:
                wait_s = (1.0 - self._tokens) / self._per_second
                if wait_s > max_wait_s:
                    return False
                await self._sleep(wait_s)
                self._refill()
            self._tokens = max(0.0, self._tokens - 1.0)
            return True
