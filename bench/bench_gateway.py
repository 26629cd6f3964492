"""AI gateway overhead: gateway call vs a bare httpx POST to the loopback LLM emulator.

Both paths hit the same emulator (zero latency) over the same ``httpx.AsyncClient`` in the same run,
interleaved call by call so drift affects them equally. The bare POST replays the exact body the
gateway sent, so the difference is the gateway's own work: masking, packing, rendering, limiter,
breaker, cost-cap check, guardrails, JSON parsing, pydantic validation and the ledger write. Each
gateway call gets fresh inputs (a cache miss); the cache-hit row repeats one input. The CPU-time row
pairs ``time.process_time`` deltas the same way; it moves less than wall time on a busy machine.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from typing import Any

import httpx
from pydantic import BaseModel

from ai.context import ContextRecord, ContextSection
from ai.llm import GatewayConfig, InMemoryUsageLedger, LLMGateway
from ai.prompts import load_template
from bench.support import summarize_ms
from chronos.emulators.llm import LLMEmulator

CALLS = 300
WARMUP = 30
TARGET_ADDED_MEDIAN_MS = 2.0


class CallSummary(BaseModel):
    summary: str
    evidence: list[str]


def _answer(request: dict[str, Any]) -> dict[str, Any]:
    return {"summary": "نماینده از سرعت سرور آلمان گلایه دارد", "evidence": ["int-1", "int-2"]}


def _inputs(index: int) -> dict[str, ContextSection | str]:
    records = [
        ContextRecord(
            f"تماس {index}-{i}: نماینده گفت کاربرانش از قطعی V2Ray در ساعات شلوغ ناراضی‌اند؛ "
            f"شماره تماس 0912 123 45{i:02d} و کارت 6037-9912-3456-7893 را برای تسویه فرستاد.",
            f"int-{i}",
        )
        for i in range(1, 9)
    ]
    return {
        "task": f"خلاصه تماس‌ها برای آماده‌سازی تماس شماره {index}",
        "records": ContextSection("records", 1, records),
    }


async def _measure() -> list[dict[str, Any]]:
    template = load_template("generic_json")
    async with LLMEmulator(responder=_answer) as emulator, httpx.AsyncClient() as client:
        config = GatewayConfig(
            base_url=emulator.base_url,
            api_key="bench-key",
            model="bench-model",
            timeout_s=10.0,
            max_retries=0,
            requests_per_minute=1_000_000,
            daily_cost_cap_usd=1_000_000.0,
            cache_ttl_s=3600,
        )
        gateway = LLMGateway(config, client, ledger=InMemoryUsageLedger())
        await gateway.complete_json(template, _inputs(-1), CallSummary)
        replay_body = json.dumps(emulator.requests[0].body, ensure_ascii=False).encode("utf-8")
        headers = {"Authorization": "Bearer bench-key", "Content-Type": "application/json"}

        async def bare_post() -> None:
            response = await client.post(
                f"{emulator.base_url}/chat/completions", content=replay_body, headers=headers
            )
            response.raise_for_status()
            json.loads(response.content)

        bare: list[float] = []
        through_gateway: list[float] = []
        added_cpu: list[float] = []
        for index in range(WARMUP + CALLS):
            inputs = _inputs(index)
            started, started_cpu = time.perf_counter(), time.process_time()
            await bare_post()
            bare_s, bare_cpu_s = time.perf_counter() - started, time.process_time() - started_cpu
            started, started_cpu = time.perf_counter(), time.process_time()
            result = await gateway.complete_json(template, inputs, CallSummary)
            gateway_s, gateway_cpu_s = time.perf_counter() - started, time.process_time() - started_cpu
            if result.cache_hit:
                raise RuntimeError("benchmark inputs must miss the cache")
            if index >= WARMUP:
                bare.append(bare_s)
                through_gateway.append(gateway_s)
                added_cpu.append(gateway_cpu_s - bare_cpu_s)

        cached_inputs = _inputs(0)
        cache_hits: list[float] = []
        for index in range(WARMUP + CALLS):
            started = time.perf_counter()
            result = await gateway.complete_json(template, cached_inputs, CallSummary)
            elapsed = time.perf_counter() - started
            if not result.cache_hit:
                raise RuntimeError("expected a cache hit")
            if index >= WARMUP:
                cache_hits.append(elapsed)

    added = [g - b for g, b in zip(through_gateway, bare, strict=True)]
    added_median_ms = (statistics.median(through_gateway) - statistics.median(bare)) * 1000
    return [
        {"path": "bare httpx POST to emulator", "n": CALLS, **summarize_ms(bare)},
        {"path": "gateway.complete_json (cache miss)", "n": CALLS, **summarize_ms(through_gateway)},
        {
            "path": "added by gateway (median diff; p95 of paired diffs)",
            "n": CALLS,
            "p50_ms": round(added_median_ms, 3),
            "p95_ms": summarize_ms(added)["p95_ms"],
            "mean_ms": round(statistics.fmean(added) * 1000, 3),
            "target_p50_ms": f"< {TARGET_ADDED_MEDIAN_MS}",
            "met": "yes" if added_median_ms < TARGET_ADDED_MEDIAN_MS else "no",
        },
        {
            "path": "added by gateway, CPU time (process_time; client and emulator share the process)",
            "n": CALLS,
            **summarize_ms(added_cpu),
        },
        {"path": "gateway.complete_json (cache hit, no HTTP)", "n": CALLS, **summarize_ms(cache_hits)},
    ]


def run() -> list[dict[str, Any]]:
    return asyncio.run(_measure())


if __name__ == "__main__":
    from bench.support import print_table

    print_table((__doc__ or "bench_gateway").strip().splitlines()[0], run())
