"""Helpers shared by the gateway test modules: a running emulator, a client and a gateway on it.

This module holds no tests; pytest collects nothing from it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

import httpx
from pydantic import BaseModel

from ai.llm import GatewayConfig, InMemoryUsageLedger, LLMGateway, RetryPolicy
from ai.prompts import PromptTemplate, load_template
from chronos.emulators.llm import LLMEmulator

FAST_RETRIES = RetryPolicy(base_s=0.01, cap_s=0.05)


class Summary(BaseModel):
    summary: str
    evidence: list[str] = []


def generic_template() -> PromptTemplate:
    return load_template("generic_json")


def summary_responder(request: dict[str, Any]) -> dict[str, Any]:
    return {"summary": "خلاصه: نماینده از سرعت راضی است", "evidence": ["int-1"]}


@dataclass
class Harness:
    emulator: LLMEmulator
    client: httpx.AsyncClient
    ledger: InMemoryUsageLedger
    config: GatewayConfig
    gateway: LLMGateway

    def rebuild(self, **overrides: Any) -> LLMGateway:
        """A fresh gateway (new breaker, limiter and cache) on the same emulator, client and ledger."""
        self.config = replace(self.config, **overrides)
        self.gateway = LLMGateway(self.config, self.client, ledger=self.ledger, retry=FAST_RETRIES)
        return self.gateway


def config_for(base_url: str, **overrides: Any) -> GatewayConfig:
    settings: dict[str, Any] = {
        "base_url": base_url,
        "api_key": "test-key",
        "model": "emu-model",
        "timeout_s": 5.0,
        "max_retries": 2,
        "requests_per_minute": 10_000,
        "daily_cost_cap_usd": 100.0,
        "breaker_failures": 3,
        "breaker_reset_s": 30.0,
        "cache_ttl_s": 3600,
    }
    settings.update(overrides)
    return GatewayConfig(**settings)


@asynccontextmanager
async def running_harness(**overrides: Any) -> AsyncIterator[Harness]:
    emulator = LLMEmulator(responder=summary_responder)
    await emulator.start()
    try:
        async with httpx.AsyncClient() as client:
            config = config_for(emulator.base_url, **overrides)
            ledger = InMemoryUsageLedger()
            gateway = LLMGateway(config, client, ledger=ledger, retry=FAST_RETRIES)
            yield Harness(emulator, client, ledger, config, gateway)
    finally:
        await emulator.stop()
