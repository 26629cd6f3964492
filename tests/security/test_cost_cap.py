"""The daily LLM cost cap holds under concurrency: every call reserves its most possible cost before it
is sent, atomically, and settles to what it really spent.

Found by the probe: twenty concurrent calls each read today's spend below the cap and all went out,
overshooting it elevenfold."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ai.llm import CostCapReached, GatewayResult, LLMGateway, ProviderError
from ai.llm.ledger import InMemoryUsageLedger
from chronos.emulators.llm import LLMEmulator, Reply
from crm.models import LLMCall
from crm.services.llm_ledger import DatabaseUsageLedger
from tests.ai.test_gateway_support import (
    FAST_RETRIES,
    Summary,
    config_for,
    generic_template,
    summary_responder,
)

CALLS = 20
PRICE = {"price_in_per_mtok_usd": 1_000.0}


def slow(request: dict[str, Any]) -> Reply:
    return Reply.ok(summary_responder(request), delay_s=0.3)


async def _one_call_costs(base_url: str, client: httpx.AsyncClient) -> float:
    ledger = InMemoryUsageLedger()
    gateway = LLMGateway(config_for(base_url, **PRICE), client, ledger=ledger, retry=FAST_RETRIES)
    await gateway.complete_json(generic_template(), {"task": "نمونه 00", "records": "تماس"}, Summary)
    return await ledger.cost_today()


async def _storm(gateways: list[LLMGateway]) -> list[GatewayResult[Summary] | BaseException]:
    async def ask(index: int) -> GatewayResult[Summary]:
        gateway = gateways[index % len(gateways)]
        return await gateway.complete_json(
            generic_template(), {"task": f"مورد {index:02d}", "records": "تماس"}, Summary
        )

    return await asyncio.gather(*(ask(index) for index in range(CALLS)), return_exceptions=True)


@pytest.mark.parametrize("processes", [1, 2])
async def test_concurrent_calls_never_spend_past_the_cap_in_postgres(
    committing_session_factory: async_sessionmaker[AsyncSession], processes: int
) -> None:
    # Each "process" has its own ledger (own sessions); they meet only in the database.
    async with LLMEmulator(responder=slow) as emulator, httpx.AsyncClient() as client:
        one_call = await _one_call_costs(emulator.base_url, client)
        emulator.requests.clear()
        cap = 8 * one_call
        gateways = [
            LLMGateway(
                config_for(emulator.base_url, daily_cost_cap_usd=cap, **PRICE),
                client,
                ledger=DatabaseUsageLedger(committing_session_factory),
                retry=FAST_RETRIES,
            )
            for _ in range(processes)
        ]
        results = await _storm(gateways)
        sent = len(emulator.requests)

    answered = [result for result in results if isinstance(result, GatewayResult)]
    refused = [result for result in results if isinstance(result, CostCapReached)]
    assert len(answered) + len(refused) == CALLS
    assert 1 <= len(answered) == sent < CALLS
    async with committing_session_factory() as session:
        rows = (await session.execute(select(LLMCall.status, LLMCall.cost_usd))).all()
    assert sum(float(cost) for _, cost in rows) <= cap
    assert sorted(status for status, _ in rows) == sorted(
        ["ok"] * len(answered) + ["cost_cap"] * len(refused)
    )


async def test_concurrent_calls_never_spend_past_the_cap_in_memory() -> None:
    async with LLMEmulator(responder=slow) as emulator, httpx.AsyncClient() as client:
        one_call = await _one_call_costs(emulator.base_url, client)
        emulator.requests.clear()
        cap = 8 * one_call
        ledger = InMemoryUsageLedger()
        gateway = LLMGateway(
            config_for(emulator.base_url, daily_cost_cap_usd=cap, **PRICE),
            client,
            ledger=ledger,
            retry=FAST_RETRIES,
        )
        results = await _storm([gateway])
        sent = len(emulator.requests)

    answered = sum(isinstance(result, GatewayResult) for result in results)
    assert 1 <= answered == sent < CALLS
    assert await ledger.cost_today() <= cap
    assert "reserved" not in {record.status for record in ledger.records}


async def test_a_failed_call_releases_what_it_did_not_spend(
    committing_session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with (
        LLMEmulator(responder=lambda request: Reply.server_error(400)) as emulator,
        httpx.AsyncClient() as client,
    ):
        ledger = DatabaseUsageLedger(committing_session_factory)
        gateway = LLMGateway(
            config_for(emulator.base_url, **PRICE), client, ledger=ledger, retry=FAST_RETRIES
        )
        with pytest.raises(ProviderError):
            await gateway.complete_json(generic_template(), {"task": "خطا", "records": "تماس"}, Summary)

    async with committing_session_factory() as session:
        status, cost = (await session.execute(select(LLMCall.status, LLMCall.cost_usd))).one()
    assert status == "error"
    assert float(cost) < 0.01  # the reservation (over a dollar at this price) was given back
