"""Retries, Retry-After, timeouts, the circuit breaker, the rate limit and the daily cost cap."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator

import pytest

from ai.llm import (
    BreakerOpen,
    BreakerState,
    CostCapReached,
    GatewayResult,
    LLMGateway,
    LLMTimeout,
    ProviderError,
    RateLimited,
    run_with_fallback,
)
from ai.llm.transport import parse_retry_after
from chronos.emulators.llm import Reply
from tests.ai.test_gateway_support import Harness, Summary, generic_template, running_harness

OFFLINE = Summary(summary="offline")


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    async with running_harness() as running:
        yield running


async def ask(gateway: LLMGateway, task: str = "خلاصه کن") -> GatewayResult[Summary]:
    return await gateway.complete_json(generic_template(), {"task": task, "records": "تماس"}, Summary)


def breaker(gateway: LLMGateway) -> BreakerState:
    return gateway.breaker_state


def gaps(harness: Harness) -> list[float]:
    times = [request.received_at for request in harness.emulator.requests]
    return [later - earlier for earlier, later in itertools.pairwise(times)]


async def test_a_429_then_success_waits_retry_after(harness: Harness) -> None:
    harness.emulator.script(Reply.rate_limited(0.2), {"summary": "بعد از صبر"})

    assert (await ask(harness.gateway)).value.summary == "بعد از صبر"
    assert gaps(harness)[0] >= 0.2
    assert harness.ledger.records[-1].attempts == 2


async def test_429_storm_honours_retry_after_then_falls_back_within_the_timeout(harness: Harness) -> None:
    gateway = harness.rebuild(timeout_s=1.5, max_retries=10)
    harness.emulator.responder = lambda request: Reply.rate_limited(0.3)

    started = time.monotonic()
    result = await run_with_fallback(lambda: ask(gateway), lambda: OFFLINE)
    elapsed = time.monotonic() - started

    assert (result.engine, result.fallback_reason) == ("offline", "provider_error")
    assert elapsed < 1.5
    assert 3 <= len(harness.emulator.requests) <= 5
    assert all(gap >= 0.3 for gap in gaps(harness))
    assert harness.ledger.records[-1].status == "rate_limited"
    assert breaker(gateway) is BreakerState.CLOSED  # 429 proves the provider is up


async def test_retry_after_beyond_the_deadline_gives_up_at_once(harness: Harness) -> None:
    gateway = harness.rebuild(timeout_s=2.0)
    harness.emulator.script(Reply.rate_limited(30))

    started = time.monotonic()
    with pytest.raises(RateLimited):
        await ask(gateway)
    assert time.monotonic() - started < 0.5
    assert len(harness.emulator.requests) == 1


async def test_5xx_is_retried_with_backoff(harness: Harness) -> None:
    harness.emulator.script(Reply.server_error(502), Reply.malformed_body(), {"summary": "سوم"})

    assert (await ask(harness.gateway)).value.summary == "سوم"
    assert len(harness.emulator.requests) == 3


async def test_4xx_other_than_429_is_not_retried(harness: Harness) -> None:
    harness.emulator.script(Reply(status=401))

    with pytest.raises(ProviderError, match="401"):
        await ask(harness.gateway)
    assert len(harness.emulator.requests) == 1
    assert harness.ledger.records[-1].status == "error"


async def test_provider_down_opens_the_breaker_and_later_calls_skip_the_network(harness: Harness) -> None:
    gateway = harness.rebuild(max_retries=1, breaker_failures=3, breaker_reset_s=0.3)
    harness.emulator.responder = lambda request: Reply.server_error(500)

    with pytest.raises(ProviderError):
        await ask(gateway, "اول")
    with pytest.raises(ProviderError):  # third failure opens the breaker mid-call
        await ask(gateway, "دوم")
    assert len(harness.emulator.requests) == 3
    assert breaker(gateway) is BreakerState.OPEN

    result = await run_with_fallback(lambda: ask(gateway, "سوم"), lambda: OFFLINE)
    assert (result.engine, result.fallback_reason) == ("offline", "breaker_open")
    assert len(harness.emulator.requests) == 3
    assert harness.ledger.records[-1].status == "breaker_open"
    assert harness.ledger.records[-1].attempts == 0

    await asyncio.sleep(0.35)
    assert breaker(gateway) is BreakerState.HALF_OPEN
    harness.emulator.responder = lambda request: {"summary": "برگشت"}
    assert (await ask(gateway, "چهارم")).value.summary == "برگشت"
    assert breaker(gateway) is BreakerState.CLOSED


async def test_failed_half_open_probe_reopens_the_breaker(harness: Harness) -> None:
    gateway = harness.rebuild(max_retries=0, breaker_failures=1, breaker_reset_s=0.2)
    harness.emulator.responder = lambda request: Reply.server_error(503)
    with pytest.raises(ProviderError):
        await ask(gateway, "اول")
    await asyncio.sleep(0.25)

    with pytest.raises(ProviderError):
        await ask(gateway, "کاوشگر")
    with pytest.raises(BreakerOpen):
        await ask(gateway, "بعدی")
    assert len(harness.emulator.requests) == 2


async def test_connection_refused_counts_as_provider_down(harness: Harness) -> None:
    gateway = harness.rebuild(max_retries=1, breaker_failures=2)
    await harness.emulator.stop()

    result = await run_with_fallback(lambda: ask(gateway), lambda: OFFLINE)

    assert result.fallback_reason == "provider_error"
    assert breaker(gateway) is BreakerState.OPEN
    with pytest.raises(BreakerOpen):
        await ask(gateway, "دوباره")
    assert [record.status for record in harness.ledger.records] == ["error", "breaker_open"]


async def test_a_hanging_provider_times_out_within_timeout_s(harness: Harness) -> None:
    gateway = harness.rebuild(timeout_s=0.5, max_retries=3)
    harness.emulator.script(Reply.never())

    started = time.monotonic()
    result = await run_with_fallback(lambda: ask(gateway), lambda: OFFLINE)

    assert time.monotonic() - started < 0.9
    assert (result.engine, result.fallback_reason) == ("offline", "timeout")
    assert harness.ledger.records[-1].status == "timeout"


async def test_a_slow_but_timely_answer_is_accepted(harness: Harness) -> None:
    harness.emulator.latency_s = 0.15

    assert (await ask(harness.gateway)).value.summary.startswith("خلاصه")


async def test_cost_cap_refuses_without_network_but_still_serves_cache(harness: Harness) -> None:
    # A call reserves its most possible cost (request + repair) first: the first fits the cap, and
    # what it really spent leaves too little for a second one's most.
    gateway = harness.rebuild(price_in_per_mtok_usd=800.0, daily_cost_cap_usd=2.0)
    await ask(gateway, "اول")
    spent = await harness.ledger.cost_today()
    assert 0 < spent <= 2.0

    result = await run_with_fallback(lambda: ask(gateway, "دوم"), lambda: OFFLINE)
    cached = await ask(gateway, "اول")

    assert (result.engine, result.fallback_reason) == ("offline", "cost_cap")
    assert cached.value.summary.startswith("خلاصه")
    assert len(harness.emulator.requests) == 1
    assert [record.status for record in harness.ledger.records] == ["ok", "cost_cap", "cache_hit"]
    assert await harness.ledger.cost_today() == spent  # never past the cap
    with pytest.raises(CostCapReached):
        await ask(gateway, "سوم")


async def test_local_rate_limit_that_cannot_be_met_in_time_fails_fast(harness: Harness) -> None:
    gateway = harness.rebuild(requests_per_minute=1, timeout_s=1.0)
    await ask(gateway, "اول")

    started = time.monotonic()
    with pytest.raises(RateLimited, match="requests-per-minute"):
        await ask(gateway, "دوم")
    assert time.monotonic() - started < 0.5
    assert len(harness.emulator.requests) == 1


async def test_timeout_is_reported_when_retries_run_out(harness: Harness) -> None:
    gateway = harness.rebuild(timeout_s=0.6, max_retries=1)
    harness.emulator.script(Reply(delay_s=2.0))

    with pytest.raises(LLMTimeout):
        await asyncio.wait_for(ask(gateway), 1.5)
    assert harness.ledger.records[-1].status == "timeout"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("2", 2.0),
        ("0.5", 0.5),
        ("-3", 0.0),
        ("soon", None),
        (None, None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
    ],
)
def test_retry_after_parsing(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected
