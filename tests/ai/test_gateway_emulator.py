"""The loopback OpenAI-compatible emulator itself: wire format, scripting, faults, recording."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from chronos.emulators.llm import LLMEmulator, Reply, count_tokens

BODY = {
    "model": "m",
    "messages": [{"role": "system", "content": "rules"}, {"role": "user", "content": "سلام"}],
}


@pytest.fixture
async def emulator() -> AsyncIterator[LLMEmulator]:
    async with LLMEmulator() as running:
        yield running


async def post(emulator: LLMEmulator, body: Any = BODY) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.post(f"{emulator.base_url}/chat/completions", json=body, timeout=5)


async def test_completion_has_openai_shape_and_usage(emulator: LLMEmulator) -> None:
    emulator.responder = lambda request: {"echo": request["messages"][-1]["content"]}

    payload = (await post(emulator)).json()

    assert emulator.base_url.endswith("/v1")
    assert payload["object"] == "chat.completion"
    choice = payload["choices"][0]
    assert choice["finish_reason"] == "stop"
    assert json.loads(choice["message"]["content"]) == {"echo": "سلام"}
    usage = payload["usage"]
    assert usage["prompt_tokens"] == count_tokens("rules") + count_tokens("سلام") + 8
    assert usage["completion_tokens"] == count_tokens(choice["message"]["content"])
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert emulator.requests[0].body == BODY


async def test_script_is_consumed_in_order_before_the_responder(emulator: LLMEmulator) -> None:
    emulator.script("first", {"second": 2}, lambda request: Reply.truncated({"third": "x" * 20}))

    contents = [(await post(emulator)).json()["choices"][0] for _ in range(4)]

    assert [choice["message"]["content"] for choice in contents[:2]] == ["first", '{"second": 2}']
    assert contents[2]["finish_reason"] == "length"
    full = json.dumps({"third": "x" * 20})
    assert contents[2]["message"]["content"] == full[: len(full) // 2]
    assert json.loads(contents[3]["message"]["content"]) == {"ok": True}
    assert emulator.pending == 0


async def test_faults_answer_like_a_real_provider(emulator: LLMEmulator) -> None:
    emulator.script(Reply.rate_limited(2.5), Reply.server_error(503), Reply.malformed_body())

    limited, down, broken = [await post(emulator) for _ in range(3)]

    assert (limited.status_code, limited.headers["retry-after"]) == (429, "2.5")
    assert limited.json()["error"]["type"] == "rate_limit_error"
    assert down.status_code == 503
    assert broken.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        broken.json()


async def test_latency_and_delay_add_up(emulator: LLMEmulator) -> None:
    emulator.latency_s = 0.05
    emulator.script(Reply(delay_s=0.1))

    started = time.monotonic()
    await post(emulator)

    assert time.monotonic() - started >= 0.15


async def test_a_hanging_request_is_released_when_the_emulator_stops() -> None:
    emulator = LLMEmulator()
    await emulator.start()
    emulator.script(Reply.never())
    async with httpx.AsyncClient() as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.post(f"{emulator.base_url}/chat/completions", json=BODY, timeout=0.3)
    started = time.monotonic()
    await emulator.stop()
    assert time.monotonic() - started < 1.5


async def test_non_json_requests_are_rejected_and_not_recorded(emulator: LLMEmulator) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{emulator.base_url}/chat/completions", content=b"nope")
        models = await client.get(f"{emulator.base_url}/models")

    assert response.status_code == 400
    assert emulator.requests == []
    assert models.json()["data"][0]["object"] == "model"


async def test_base_url_requires_a_running_emulator() -> None:
    with pytest.raises(RuntimeError, match="not running"):
        _ = LLMEmulator().base_url
