"""One chat-completions exchange with the provider, with retries, breaker and rate limit around it.

Retries cover 429 (sleeping ``Retry-After`` when given), 5xx, timeouts, connection errors and
malformed HTTP bodies, up to ``max_retries`` after the first attempt and never past the deadline.
Other 4xx answers (bad key, bad request) are not retried.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from ai.llm.breaker import CircuitBreaker
from ai.llm.config import GatewayConfig, RetryPolicy
from ai.llm.errors import BreakerOpen, LLMTimeout, LLMUnavailable, ProviderError, RateLimited
from ai.llm.rate_limit import TokenBucket


@dataclass(frozen=True)
class ProviderReply:
    content: str
    finish_reason: str | None
    tokens_in: int | None
    tokens_out: int | None


@dataclass
class AttemptTally:
    """Totals over every HTTP request of one logical call (tokens are added by the gateway)."""

    attempts: int = 0
    tokens_in: int = 0
    tokens_out: int = 0


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _usage_int(usage: Mapping[str, Any], key: str) -> int | None:
    value = usage.get(key)
    return value if isinstance(value, int) and value >= 0 else None


def parse_completion(payload: Any) -> ProviderReply:
    """``choices[0].message.content`` and ``usage`` from a chat-completions body; ValueError if absent."""
    if not isinstance(payload, dict):
        raise ValueError("response body is not a JSON object")
    choices = payload.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise ValueError("response has no choices")
    message = choices[0].get("message")
    if not isinstance(message, dict):
        raise ValueError("response choice has no message")
    content = message.get("content")
    if content is not None and not isinstance(content, str):
        raise ValueError("message content is not a string")
    finish_reason = choices[0].get("finish_reason")
    usage = payload.get("usage")
    usage = usage if isinstance(usage, dict) else {}
    return ProviderReply(
        content=content or "",
        finish_reason=finish_reason if isinstance(finish_reason, str) else None,
        tokens_in=_usage_int(usage, "prompt_tokens"),
        tokens_out=_usage_int(usage, "completion_tokens"),
    )


class ChatTransport:
    def __init__(
        self,
        client: httpx.AsyncClient,
        config: GatewayConfig,
        breaker: CircuitBreaker,
        limiter: TokenBucket,
        retry: RetryPolicy,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._client = client
        self._config = config
        self._breaker = breaker
        self._limiter = limiter
        self._retry = retry
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._headers = {"Authorization": f"Bearer {config.api_key}", "Content-Type": "application/json"}

    def _backoff_s(self, retry_number: int) -> float:
        ceiling = min(self._retry.cap_s, self._retry.base_s * 2 ** (retry_number - 1))
        return self._rng.uniform(0.0, ceiling)

    async def send(self, body: Mapping[str, Any], deadline: float, tally: AttemptTally) -> ProviderReply:
        """POST ``body`` until a usable reply, a non-retryable error, the retry limit or the deadline."""
        encoded = json.dumps(body, ensure_ascii=False).encode("utf-8")
        last_error: LLMUnavailable | None = None
        retries_done = 0
        while True:
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise last_error or LLMTimeout("deadline passed before the request could be sent")
            if not self._breaker.allow_request():
                # Mid-call the breaker opened because of this call's own failures: report those.
                raise last_error or BreakerOpen("circuit breaker is open")
            if not await self._limiter.acquire(remaining):
                self._breaker.abandon()
                raise RateLimited("local requests-per-minute limit cannot be met before the deadline")
            outcome, retry_after = await self._attempt(encoded, deadline, tally)
            if isinstance(outcome, ProviderReply):
                return outcome
            last_error = outcome
            retries_done += 1
            if retries_done > self._config.max_retries:
                raise outcome
            delay = retry_after if retry_after is not None else self._backoff_s(retries_done)
            if self._clock() + delay >= deadline:
                raise outcome
            await self._sleep(delay)

    async def _attempt(
        self, encoded: bytes, deadline: float, tally: AttemptTally
    ) -> tuple[ProviderReply | LLMUnavailable, float | None]:
        """One HTTP request; returns the reply, or the retryable error and any Retry-After seconds."""
        tally.attempts += 1
        remaining = max(0.001, deadline - self._clock())
        try:
            async with asyncio.timeout(remaining):
                response = await self._client.post(
                    self._config.completions_url, content=encoded, headers=self._headers, timeout=remaining
                )
        except (TimeoutError, httpx.TimeoutException):
            self._breaker.record_failure()
            return LLMTimeout(f"no answer within {remaining:.2f}s"), None
        except httpx.TransportError as exc:
            self._breaker.record_failure()
            return ProviderError(f"transport error: {type(exc).__name__}: {exc}"), None
        except BaseException:
            self._breaker.abandon()
            raise
        status = response.status_code
        if status == 429:
            self._breaker.record_success()
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            if retry_after is not None:
                retry_after = min(retry_after, self._retry.max_retry_after_s)
            return RateLimited(f"HTTP 429 (Retry-After {retry_after})"), retry_after
        if status >= 500:
            self._breaker.record_failure()
            return ProviderError(f"HTTP {status}"), None
        if status >= 400:
            self._breaker.record_success()
            raise ProviderError(f"HTTP {status}: {response.text[:200]}")
        try:
            reply = parse_completion(response.json())
        except ValueError as exc:
            self._breaker.record_failure()
            return ProviderError(f"malformed response body: {exc}"), None
        self._breaker.record_success()
        return reply, None
