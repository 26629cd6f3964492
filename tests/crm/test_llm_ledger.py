"""The gateway's usage ledger in PostgreSQL tells the truth, and the daily cost cap reads it."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ai.llm import CostCapReached, LLMGateway
from chronos.emulators.llm import LLMEmulator
from crm.models import LLMCall
from crm.services.llm_ledger import DatabaseUsageLedger
from tests.ai.test_gateway_support import (
    FAST_RETRIES,
    Summary,
    config_for,
    generic_template,
    summary_responder,
)


async def test_calls_cache_hits_and_cost_cap_land_in_llm_call(
    committing_session_factory: async_sessionmaker[AsyncSession],
) -> None:
    ledger = DatabaseUsageLedger(committing_session_factory)
    async with LLMEmulator(responder=summary_responder) as emulator, httpx.AsyncClient() as client:
        gateway = LLMGateway(config_for(emulator.base_url), client, ledger=ledger, retry=FAST_RETRIES)
        first = await gateway.complete_json(
            generic_template(), {"task": "خلاصه کن", "records": "متن"}, Summary
        )
        again = await gateway.complete_json(
            generic_template(), {"task": "خلاصه کن", "records": "متن"}, Summary
        )
        assert first.value == again.value
        stats = await ledger.stats_today()
        assert stats.calls == 2
        assert stats.cache_hits == 1
        assert stats.tokens_in > 0
        assert await ledger.cost_today() > 0

        capped = LLMGateway(
            config_for(emulator.base_url, daily_cost_cap_usd=await ledger.cost_today()),
            client,
            ledger=ledger,
            retry=FAST_RETRIES,
        )
        requests_before = len(emulator.requests)
        with pytest.raises(CostCapReached):
            await capped.complete_json(generic_template(), {"task": "دوباره", "records": "متن دیگر"}, Summary)
        assert len(emulator.requests) == requests_before

    async with committing_session_factory() as session:
        statuses = (await session.scalars(select(LLMCall.status).order_by(LLMCall.id))).all()
    assert statuses == ["ok", "cache_hit", "cost_cap"]
