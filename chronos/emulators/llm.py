"""Loopback OpenAI-compatible chat-completions server for tests, benches and the offline demo.

It speaks ``POST /v1/chat/completions`` (and ``GET /v1/models``) on 127.0.0.1, records every request
body, and answers from a script queue, else from a rule-based ``responder`` the test sets::

    async with LLMEmulator() as llm:
        llm.responder = lambda request: {"summary": "..."}       # default answer
        llm.script(Reply.prose("Sure! Here is..."), {"summary": "fixed"})   # next two answers
        gateway = LLMGateway(GatewayConfig(base_url=llm.base_url, ...), client)
        ...
        assert "0912" not in llm.requests[0].text

Faults are :class:`Reply` values: latency, 429 with ``Retry-After``, 5xx, hang (never answers until
the client gives up or the emulator stops), malformed HTTP body, malformed or truncated JSON content,
prose, empty content, wrong shape. Every completion carries a ``usage`` block with token counts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from aiohttp import web

JsonObject = dict[str, Any]


def count_tokens(text: str) -> int:
    """Roughly what a BPE tokenizer reports: ~4 ASCII chars or ~1.5 Persian chars per token."""
    ascii_chars = len(text.encode("ascii", "ignore"))
    return math.ceil(ascii_chars / 4 + (len(text) - ascii_chars) / 1.5)


@dataclass(frozen=True)
class Reply:
    """One scripted answer. ``content=None`` means "ask the responder" (useful with ``delay_s``)."""

    content: str | None = None
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    hang: bool = False
    raw_body: str | None = None
    finish_reason: str = "stop"

    @classmethod
    def ok(cls, content: str | JsonObject, *, delay_s: float = 0.0) -> Reply:
        text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        return cls(content=text, delay_s=delay_s)

    @classmethod
    def rate_limited(cls, retry_after_s: float | None = 1.0) -> Reply:
        headers = {} if retry_after_s is None else {"Retry-After": f"{retry_after_s:g}"}
        return cls(status=429, headers=headers)

    @classmethod
    def server_error(cls, status: int = 500) -> Reply:
        return cls(status=status)

    @classmethod
    def never(cls) -> Reply:
        """Hang: accept the request and never answer (until the emulator stops)."""
        return cls(hang=True)

    @classmethod
    def malformed_body(cls) -> Reply:
        return cls(raw_body='{"id": "chatcmpl-broken", "choices": [{"message": ')

    @classmethod
    def malformed_json(cls) -> Reply:
        return cls(content='{"summary": "unterminated, "items": [1, 2,')

    @classmethod
    def truncated(cls, content: str | JsonObject) -> Reply:
        text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        return cls(content=text[: max(1, len(text) // 2)], finish_reason="length")

    @classmethod
    def prose(cls, text: str = "Sure! Here is what I found about this representative.") -> Reply:
        return cls(content=text)

    @classmethod
    def empty(cls) -> Reply:
        return cls(content="")

    @classmethod
    def wrong_shape(cls) -> Reply:
        return cls(content='{"unexpected": ["shape"], "answer": null}')


Responder = Callable[[JsonObject], str | JsonObject | Reply]
ScriptItem = str | JsonObject | Reply | Responder


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    headers: Mapping[str, str]
    body: JsonObject
    received_at: float
    """``time.monotonic()`` when the request arrived."""

    @property
    def text(self) -> str:
        """The raw JSON body as sent (non-ASCII unescaped), for substring assertions."""
        return json.dumps(self.body, ensure_ascii=False)

    @property
    def messages(self) -> list[JsonObject]:
        messages = self.body.get("messages")
        return messages if isinstance(messages, list) else []


def _default_responder(request: JsonObject) -> JsonObject:
    return {"ok": True}


class LLMEmulator:
    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        responder: Responder | None = None,
        latency_s: float = 0.0,
    ) -> None:
        self.host = host
        self.responder: Responder = responder or _default_responder
        self.latency_s = latency_s
        self.requests: list[RecordedRequest] = []
        self._script: deque[ScriptItem] = deque()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._stopping = asyncio.Event()
        self._completions = 0

    @property
    def base_url(self) -> str:
        if self._port is None:
            raise RuntimeError("the emulator is not running")
        return f"http://{self.host}:{self._port}/v1"

    @property
    def pending(self) -> int:
        """Scripted answers not yet consumed."""
        return len(self._script)

    def script(self, *items: ScriptItem) -> None:
        """Queue answers for the next requests, in order (each consumed by one request)."""
        self._script.extend(items)

    def clear(self) -> None:
        self.requests.clear()
        self._script.clear()

    async def start(self) -> None:
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", self._handle_completion)
        app.router.add_get("/v1/models", self._handle_models)
        self._stopping.clear()
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> LLMEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _pause(self, seconds: float | None) -> None:
        """Sleep ``seconds`` (``None`` = forever), cut short when the emulator stops."""
        if seconds is not None and seconds <= 0:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    def _next_reply(self, body: JsonObject) -> Reply:
        item = self._script.popleft() if self._script else self.responder
        if callable(item):
            item = item(body)
        if isinstance(item, Reply):
            if item.content is None and item.status == 200 and item.raw_body is None and not item.hang:
                answered = self._next_from_responder(body)
                return replace(answered, delay_s=answered.delay_s + item.delay_s)
            return item
        return Reply.ok(item)

    def _next_from_responder(self, body: JsonObject) -> Reply:
        answer = self.responder(body)
        return answer if isinstance(answer, Reply) else Reply.ok(answer)

    async def _handle_completion(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except json.JSONDecodeError:
            return _error(400, "invalid_request_error", "request body is not JSON")
        if not isinstance(body, dict):
            return _error(400, "invalid_request_error", "request body must be a JSON object")
        self.requests.append(RecordedRequest(request.path, dict(request.headers), body, time.monotonic()))
        reply = self._next_reply(body)
        await self._pause(self.latency_s + reply.delay_s)
        if reply.hang:
            await self._pause(None)
            return _error(503, "server_error", "emulator stopped while hanging")
        if reply.status != 200:
            kind = "rate_limit_error" if reply.status == 429 else "server_error"
            return _error(reply.status, kind, f"emulated HTTP {reply.status}", reply.headers)
        if reply.raw_body is not None:
            return web.Response(text=reply.raw_body, content_type="application/json")
        return web.json_response(self._completion(body, reply.content or "", reply.finish_reason))

    def _completion(self, body: JsonObject, content: str, finish_reason: str) -> JsonObject:
        self._completions += 1
        messages = body.get("messages")
        prompt = messages if isinstance(messages, list) else []
        prompt_tokens = sum(
            count_tokens(str(message.get("content", ""))) + 4
            for message in prompt
            if isinstance(message, dict)
        )
        completion_tokens = count_tokens(content)
        return {
            "id": f"chatcmpl-emu-{self._completions}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": str(body.get("model", "emulator")),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }

    async def _handle_models(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"object": "list", "data": [{"id": "emulator", "object": "model"}]})


def _error(status: int, kind: str, message: str, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.json_response(
        {"error": {"message": message, "type": kind}}, status=status, headers=dict(headers or {})
    )
