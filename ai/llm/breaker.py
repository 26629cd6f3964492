"""Circuit breaker for the provider: closed → open after N consecutive failures → half-open probe.

* closed: requests flow; ``breaker_failures`` consecutive failures open the breaker.
* open: requests are refused without touching the network until ``reset_after_s`` has passed.
* half-open: exactly one probe request is let through; its success closes the breaker, its failure
  re-opens it for another ``reset_after_s``. Other requests are refused while the probe is out.

Failures are transport-level (5xx, connection errors, timeouts, malformed bodies). A 429 or an invalid
JSON answer proves the provider is up, so it counts as success here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    def __init__(
        self, failure_threshold: int, reset_after_s: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if failure_threshold < 1 or reset_after_s <= 0:
            raise ValueError("failure_threshold must be >= 1 and reset_after_s > 0")
        self._threshold = failure_threshold
        self._reset_after_s = reset_after_s
        self._clock = clock
        self._consecutive_failures = 0
        self._opened_at: float | None = None
        self._probe_in_flight = False

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._probe_in_flight or self._clock() - self._opened_at >= self._reset_after_s:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def allow_request(self) -> bool:
        """Ask before each request; a True in half-open state makes this request the probe."""
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and not self._probe_in_flight:
            self._probe_in_flight = True
            return True
        return False

    def record_success(self) -> None:
        self._consecutive_failures = 0
        self._opened_at = None
        self._probe_in_flight = False

    def record_failure(self) -> None:
        self._consecutive_failures += 1
        if self._probe_in_flight or self._consecutive_failures >= self._threshold:
            self._opened_at = self._clock()
        self._probe_in_flight = False

    def abandon(self) -> None:
        """The allowed request ended with neither verdict (cancelled): free the probe slot."""
        self._probe_in_flight = False
