"""The gateway's happy paths, repair, invalid output, cache and engine selection, over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from ai.context import ContextRecord, ContextSection
from ai.llm import (
    AIResult,
    DualEngine,
    GatewayConfig,
    GatewayResult,
    LLMGateway,
    LLMInvalidOutput,
    NoAPIKey,
    run_with_fallback,
)
from chronos.emulators.llm import Reply, count_tokens
from tests.ai.test_gateway_support import Harness, Summary, generic_template, running_harness

OFFLINE = Summary(summary="offline")


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    async with running_harness() as running:
        yield running


def records(*texts: str) -> ContextSection:
    return ContextSection("records", 1, [ContextRecord(text, f"int-{i}") for i, text in enumerate(texts, 1)])


async def ask(gateway: LLMGateway, task: str = "خلاصه کن", *texts: str) -> GatewayResult[Summary]:
    return await gateway.complete_json(
        generic_template(), {"task": task, "records": records(*(texts or ("تماس اول",)))}, Summary
    )


async def test_valid_json_answer_is_parsed_validated_and_recorded(harness: Harness) -> None:
    result = await ask(harness.gateway, "خلاصه کن", "تماس اول: از سرعت راضی بود")

    assert result.value.summary.startswith("خلاصه")
    assert (result.model, result.template_id, result.template_version) == ("emu-model", "generic_json", 1)
    assert not result.cache_hit
    assert not result.repaired
    assert result.attempts == 1
    assert result.evidence_ids == frozenset({"int-1"})
    [request] = harness.emulator.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["Authorization"] == "Bearer test-key"
    assert request.body["response_format"] == {"type": "json_object"}
    assert request.body["model"] == "emu-model"
    [record] = harness.ledger.records
    assert (record.status, record.cache_hit, record.attempts, record.engine) == ("ok", False, 1, "emu-model")
    assert record.tokens_in == sum(count_tokens(m["content"]) + 4 for m in request.messages)
    assert record.tokens_out == result.tokens_out > 0
    expected_cost = (record.tokens_in * 0.30 + record.tokens_out * 0.50) / 1_000_000
    assert record.cost_usd == pytest.approx(expected_cost)


async def test_prose_answer_gets_one_repair_and_then_succeeds(harness: Harness) -> None:
    harness.emulator.script(Reply.prose(), {"summary": "درست شد"})

    result = await ask(harness.gateway)

    assert result.value.summary == "درست شد"
    assert result.repaired
    assert result.attempts == 2
    first, repair = harness.emulator.requests
    assert len(repair.messages) == len(first.messages) + 2
    assert repair.messages[-2] == {"role": "assistant", "content": Reply.prose().content}
    assert "not valid JSON" in repair.messages[-1]["content"]
    [record] = harness.ledger.records
    assert (record.status, record.attempts) == ("ok", 2)


@pytest.mark.parametrize(
    "bad", [Reply.malformed_json(), Reply.truncated({"summary": "x" * 40}), Reply.empty()]
)
async def test_broken_json_is_repaired(harness: Harness, bad: Reply) -> None:
    harness.emulator.script(bad, {"summary": "ok"})

    result = await ask(harness.gateway)

    assert result.value.summary == "ok"
    assert result.repaired


async def test_wrong_shape_twice_falls_back_offline_with_ledger_status_invalid(harness: Harness) -> None:
    harness.emulator.script(Reply.wrong_shape(), Reply.wrong_shape())

    result = await run_with_fallback(lambda: ask(harness.gateway), lambda: OFFLINE)

    assert result == AIResult(OFFLINE, "offline", None, None, "invalid_output")
    assert len(harness.emulator.requests) == 2
    repair_prompt = harness.emulator.requests[1].messages[-1]["content"]
    assert "summary: Field required" in repair_prompt
    [record] = harness.ledger.records
    assert (record.status, record.attempts, record.cache_hit) == ("invalid", 2, False)
    assert record.tokens_in > 0
    assert record.cost_usd > 0


async def test_empty_answer_twice_is_invalid_output(harness: Harness) -> None:
    harness.emulator.script(Reply.empty(), Reply.empty())

    with pytest.raises(LLMInvalidOutput, match="empty"):
        await ask(harness.gateway)
    assert harness.ledger.records[-1].status == "invalid"


async def test_json_array_is_not_an_object(harness: Harness) -> None:
    harness.emulator.script("[1, 2]", "[3]")

    with pytest.raises(LLMInvalidOutput, match="JSON object"):
        await ask(harness.gateway)


async def test_second_identical_call_is_served_from_cache_without_http(harness: Harness) -> None:
    first = await ask(harness.gateway, "خلاصه کن", "تماس ۰۹۱۲۱۲۳۴۵۶۷")
    second = await ask(harness.gateway, "خلاصه کن", "تماس ۰۹۱۲۱۲۳۴۵۶۷")

    assert second.value == first.value
    assert second.cache_hit
    assert len(harness.emulator.requests) == 1
    hit = harness.ledger.records[-1]
    assert (hit.status, hit.cache_hit, hit.tokens_in, hit.cost_usd, hit.attempts) == (
        "cache_hit",
        True,
        0,
        0,
        0,
    )
    await ask(harness.gateway, "خلاصه کن", "تماس دیگر")
    assert len(harness.emulator.requests) == 2


async def test_cache_ttl_zero_disables_caching(harness: Harness) -> None:
    gateway = harness.rebuild(cache_ttl_s=0)
    await ask(gateway)
    await ask(gateway)
    assert len(harness.emulator.requests) == 2


async def test_output_placeholders_are_unmasked_for_the_caller(harness: Harness) -> None:
    harness.emulator.responder = lambda request: {"summary": "با [PHONE_1] تماس بگیرید"}

    result = await ask(harness.gateway, "شماره را بگو", "شماره او 0912 123 4567 است")

    assert result.value.summary == "با 0912 123 4567 تماس بگیرید"
    assert "0912" not in harness.emulator.requests[0].text


async def test_budget_packing_keeps_whole_records_and_marks_the_rest(harness: Harness) -> None:
    long_records = [f"رکورد شماره {i} " + "کلمه‌ای طولانی " * 30 for i in range(1, 11)]

    result = await harness.gateway.complete_json(
        generic_template(), {"task": "خلاصه", "records": records(*long_records)}, Summary, budget_tokens=700
    )

    user_message = harness.emulator.requests[0].messages[1]["content"]
    kept = [text for text in long_records if text in user_message]
    assert 0 < len(kept) < len(long_records)
    assert kept == long_records[: len(kept)]
    assert f"[… {len(long_records) - len(kept)} records omitted for budget]" in user_message
    assert result.evidence_ids == {f"int-{i}" for i in range(1, len(kept) + 1)}


async def test_without_api_key_everything_goes_offline_without_network(harness: Harness) -> None:
    gateway = harness.rebuild(api_key=None)

    with pytest.raises(NoAPIKey):
        await ask(gateway)
    result = await run_with_fallback(lambda: ask(gateway), lambda: OFFLINE)

    assert (result.engine, result.fallback_reason, result.value) == ("offline", "no_api_key", OFFLINE)
    assert harness.emulator.requests == []
    assert harness.ledger.records == []
    assert (await gateway.status()).engine == "offline"


async def test_dual_engine_reports_engine_and_prompt_variant(harness: Harness) -> None:
    async def llm_side(text: str) -> GatewayResult[str]:
        answer = await ask(harness.gateway, "خلاصه کن", text)
        return answer.map(lambda summary: summary.summary)

    async def offline_side(text: str) -> str:
        return f"offline: {text}"

    online = DualEngine(llm=llm_side, offline=offline_side)
    disabled = DualEngine(llm=llm_side, offline=lambda text: f"sync offline: {text}", llm_enabled=False)

    answered = await online("تماس")
    skipped = await disabled("تماس")

    assert (answered.engine, answered.prompt_id, answered.prompt_version) == ("emu-model", "generic_json", 1)
    assert answered.fallback_reason is None
    assert answered.evidence_ids == {"int-1"}
    assert not answered.is_offline
    assert skipped == AIResult("sync offline: تماس", "offline", None, None, "no_api_key")
    assert len(harness.emulator.requests) == 1


async def test_status_reports_engine_breaker_and_todays_usage(harness: Harness) -> None:
    await ask(harness.gateway)
    await ask(harness.gateway)

    report = await harness.gateway.status()

    assert (report.engine, report.model, report.enabled, report.breaker_state) == (
        "emu-model",
        "emu-model",
        True,
        "closed",
    )
    assert report.calls_today == 2
    assert report.cache_hit_rate == pytest.approx(0.5)
    assert report.calls_by_status == {"ok": 1, "cache_hit": 1}
    assert report.tokens_in_today > 0
    assert report.cost_today_usd > 0
    assert dict(report.as_rows())["breaker"] == "closed"


async def test_client_is_owned_by_the_caller() -> None:
    async with httpx.AsyncClient() as client:
        gateway = LLMGateway(GatewayConfig(base_url="http://127.0.0.1:9/v1", api_key=None, model="m"), client)
        assert gateway.config.completions_url == "http://127.0.0.1:9/v1/chat/completions"
    assert client.is_closed
