"""The LLM gateway: the only way any feature talks to an external model.

``complete_json`` runs, in order: API-key check (none → :class:`NoAPIKey`, no network) → PII masking of
every input, and its instruction-like sentences marked as quoted data → packing into the token budget →
cache lookup (a hit costs nothing and is served even when the cost cap is reached) → the call's most
possible cost reserved against the daily cap, atomically (refused when it does not fit) → breaker, rate
limit, request with retries → output guardrails → JSON parsing → unmasking → pydantic validation, with
exactly one repair request if the answer is not valid JSON of the right shape (guardrail violations are
not repaired: a model that leaked once is not asked again). One ledger record is written per call,
whatever the outcome. Masking covers the names of the people a call declares (``names=``): they go out
as pseudonyms (``[REP_NAME_1]``) and come back as the names.

The whole call, retries and repair included, is bounded by ``timeout_s``.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from ai.context import ContextSection, PackedContext, estimate_tokens, pack
from ai.llm.breaker import BreakerState, CircuitBreaker
from ai.llm.cache import InMemoryLRUCache, ResponseCache, cache_key
from ai.llm.config import GatewayConfig, RetryPolicy
from ai.llm.errors import CallStatus, CostCapReached, GuardrailViolation, LLMError, LLMInvalidOutput, NoAPIKey
from ai.llm.guardrails import OutputGuard
from ai.llm.health import HealthReport
from ai.llm.ledger import InMemoryUsageLedger, LLMCallRecord, Reservation, UsageLedger
from ai.llm.rate_limit import TokenBucket
from ai.llm.rendering import Message, build_messages, new_nonce, repair_messages
from ai.llm.transport import AttemptTally, ChatTransport, ProviderReply
from ai.pii import MaskSession, PersonName, mask, unmask
from ai.prompts import PromptTemplate, SystemPreamble, load_preamble
from ai.text.injection import mark

T = TypeVar("T", bound=BaseModel)
V = TypeVar("V")
U = TypeVar("U")

_CODE_FENCE = re.compile(r"^```(?:json)?\s*\n?(.*?)\n?```$", re.DOTALL)
_MESSAGE_OVERHEAD_TOKENS = 4


@dataclass(frozen=True)
class GatewayResult(Generic[V]):
    """A validated answer and its provenance; ``map`` turns the schema object into a feature's DTO."""

    value: V
    model: str
    template_id: str
    template_version: int
    cache_hit: bool
    repaired: bool
    attempts: int
    tokens_in: int
    tokens_out: int
    cost_usd: float
    latency_ms: int
    evidence_ids: frozenset[str]
    """Ids of the records the model actually saw; cited ids outside this set are invented."""

    def map(self, convert: Callable[[V], U]) -> GatewayResult[U]:
        return GatewayResult(
            value=convert(self.value),
            model=self.model,
            template_id=self.template_id,
            template_version=self.template_version,
            cache_hit=self.cache_hit,
            repaired=self.repaired,
            attempts=self.attempts,
            tokens_in=self.tokens_in,
            tokens_out=self.tokens_out,
            cost_usd=self.cost_usd,
            latency_ms=self.latency_ms,
            evidence_ids=self.evidence_ids,
        )


def _unmask_tree(value: Any, session: MaskSession) -> Any:
    if isinstance(value, str):
        return unmask(value, session)
    if isinstance(value, list):
        return [_unmask_tree(item, session) for item in value]
    if isinstance(value, dict):
        return {key: _unmask_tree(item, session) for key, item in value.items()}
    return value


def _describe_validation(error: ValidationError) -> str:
    """Field paths and messages only: the offending values (unmasked by then) never go back out."""
    parts = []
    for item in error.errors(include_url=False, include_input=False, include_context=False)[:10]:
        location = ".".join(str(part) for part in item["loc"]) or "(root)"
        parts.append(f"{location}: {item['msg']}")
    return "; ".join(parts)


class LLMGateway:
    def __init__(
        self,
        config: GatewayConfig,
        client: httpx.AsyncClient,
        *,
        ledger: UsageLedger | None = None,
        cache: ResponseCache | None = None,
        preamble: SystemPreamble | None = None,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        now: Callable[[], datetime] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._config = config
        self._ledger: UsageLedger = ledger if ledger is not None else InMemoryUsageLedger()
        self._cache: ResponseCache = cache if cache is not None else InMemoryLRUCache(clock=clock)
        self._preamble = preamble or load_preamble()
        self._clock = clock
        self._now = now or (lambda: datetime.now(UTC))
        self._breaker = CircuitBreaker(config.breaker_failures, config.breaker_reset_s, clock=clock)
        limiter = TokenBucket(config.requests_per_minute, clock=clock, sleep=sleep)
        self._transport = ChatTransport(
            client, config, self._breaker, limiter, retry or RetryPolicy(), clock=clock, sleep=sleep, rng=rng
        )
        self._guard = OutputGuard([self._preamble.text])

    @property
    def config(self) -> GatewayConfig:
        return self._config

    @property
    def breaker_state(self) -> BreakerState:
        return self._breaker.state

    async def status(self) -> HealthReport:
        stats = await self._ledger.stats_today()
        return HealthReport(
            engine=self._config.model if self._config.enabled else "offline",
            model=self._config.model,
            enabled=self._config.enabled,
            breaker_state=self._breaker.state.value,
            calls_today=stats.calls,
            tokens_in_today=stats.tokens_in,
            tokens_out_today=stats.tokens_out,
            cost_today_usd=stats.cost_usd,
            daily_cost_cap_usd=self._config.daily_cost_cap_usd,
            cache_hit_rate=stats.cache_hit_rate,
            calls_by_status=dict(stats.by_status),
        )

    async def complete_json(
        self,
        template: PromptTemplate,
        inputs: Mapping[str, ContextSection | str],
        schema: type[T],
        *,
        budget_tokens: int | None = None,
        check: Callable[[T], Sequence[str]] | None = None,
        names: Sequence[PersonName] = (),
    ) -> GatewayResult[T]:
        """Ask the model for a JSON object of shape ``schema``; raises :class:`LLMError` subclasses.

        ``inputs`` are keyed by the template's ``{{markers}}``; plain strings are required data, sections
        are packed by priority into ``budget_tokens`` (default: the template's). Raises
        :class:`ai.context.ContextBudgetExceeded` if required inputs alone exceed the budget.
        ``check`` names what makes a parsed (unmasked) answer unusable however it is repaired — e.g.
        :func:`ai.action_guard.action_violations` on text a person will send or act on; any problem is a
        :class:`GuardrailViolation` (recorded ``invalid``, never cached, never repaired).
        ``names`` are the people whose names the inputs may hold: every form of them, in any input,
        becomes a pseudonym (``[REP_NAME_1]``) that the answer gets back as the name (:mod:`ai.pii.names`).
        """
        if not self._config.enabled:
            raise NoAPIKey("no LLM API key is configured")
        started = self._clock()
        session = MaskSession(names)
        budget = template.budget_tokens if budget_tokens is None else budget_tokens
        packed = self._mask_and_pack(inputs, session, budget)
        texts = {name: section.text for name, section in packed.sections.items()}
        key = cache_key(
            template_id=template.id,
            template_version=template.version,
            preamble_version=self._preamble.version,
            model=self._config.model,
            packed=texts,
        )
        call = _Call(
            config=self._config,
            ledger=self._ledger,
            clock=self._clock,
            now=self._now,
            template=template,
            packed=packed,
            started=started,
        )

        cached = await self._cache.get(key)
        if cached is not None:
            try:
                value = self._accept(cached, schema, session, nonce=None, check=check)
            except LLMInvalidOutput:
                pass  # the schema or a check changed since the entry was stored; ask again
            else:
                await call.record("cache_hit", None, cache_hit=True)
                return call.result(value, cache_hit=True, repaired=False)

        nonce = new_nonce()
        messages = build_messages(self._preamble, template, texts, schema, nonce)
        # The most this call can cost (its request and a repair, each with the longest answer), held
        # against today's cap before anything is sent, so concurrent calls never overshoot it together.
        reservation = await self._ledger.reserve(
            call.ledger_record("reserved", None, cost_usd=self._most_cost(messages, template)),
            self._config.daily_cost_cap_usd,
        )
        if reservation is None:
            error = CostCapReached(f"today's LLM spend reached the {self._config.daily_cost_cap_usd} USD cap")
            await call.record(error.status, str(error))
            raise error
        try:
            value, content, repaired = await self._exchange(
                call, template, messages, schema, session, nonce, check
            )
        except LLMError as exc:
            await call.settle(reservation, exc.status, f"{type(exc).__name__}: {exc}")
            raise
        except Exception as exc:  # a bug or a cancellation of the exchange: settle what was spent
            await call.settle(reservation, "error", f"{type(exc).__name__}: {exc}")
            raise
        await self._cache.put(key, content, self._config.cache_ttl_s)
        await call.settle(reservation, "ok", None)
        return call.result(value, cache_hit=False, repaired=repaired)

    def _most_cost(self, messages: list[Message], template: PromptTemplate) -> float:
        tokens_in = sum(estimate_tokens(m["content"]) + _MESSAGE_OVERHEAD_TOKENS for m in messages)
        requests = 2  # the request and one repair
        return self._config.cost_usd(requests * tokens_in, requests * template.max_output_tokens)

    def _mask_and_pack(
        self, inputs: Mapping[str, ContextSection | str], session: MaskSession, budget_tokens: int
    ) -> PackedContext:
        sections = []
        for name, item in inputs.items():
            if isinstance(item, str):
                sections.append(ContextSection(name, -1, [mark(mask(item, session))], required=True))
            else:
                records = [
                    replace(record, text=mark(mask(record.text, session)))
                    for record in item.normalized_records()
                ]
                sections.append(replace(item, name=name, records=records))
        return pack(sections, budget_tokens)

    async def _exchange(
        self,
        call: _Call,
        template: PromptTemplate,
        messages: list[Message],
        schema: type[T],
        session: MaskSession,
        nonce: str,
        check: Callable[[T], Sequence[str]] | None,
    ) -> tuple[T, str, bool]:
        deadline = call.started + self._config.timeout_s
        reply = await self._send(call, template, messages, deadline)
        try:
            return self._accept(reply.content, schema, session, nonce, check), reply.content, False
        except GuardrailViolation:
            raise
        except LLMInvalidOutput as first_problem:
            retry_messages = repair_messages(messages, reply.content, str(first_problem))
        reply = await self._send(call, template, retry_messages, deadline)
        return self._accept(reply.content, schema, session, nonce, check), reply.content, True

    async def _send(
        self, call: _Call, template: PromptTemplate, messages: list[Message], deadline: float
    ) -> ProviderReply:
        body = {
            "model": self._config.model,
            "messages": messages,
            "response_format": {"type": "json_object"},
            "temperature": template.temperature,
            "max_tokens": template.max_output_tokens,
        }
        reply = await self._transport.send(body, deadline, call.tally)
        if reply.tokens_in is not None:
            call.tally.tokens_in += reply.tokens_in
        else:
            call.tally.tokens_in += sum(
                estimate_tokens(message["content"]) + _MESSAGE_OVERHEAD_TOKENS for message in messages
            )
        call.tally.tokens_out += (
            reply.tokens_out if reply.tokens_out is not None else estimate_tokens(reply.content)
        )
        return reply

    def _accept(
        self,
        content: str,
        schema: type[T],
        session: MaskSession,
        nonce: str | None,
        check: Callable[[T], Sequence[str]] | None = None,
    ) -> T:
        if problems := self._guard.violations(content, session, nonce):
            raise GuardrailViolation("; ".join(problems))
        text = content.strip()
        if fenced := _CODE_FENCE.match(text):
            text = fenced.group(1).strip()
        if not text:
            raise LLMInvalidOutput("the reply was empty")
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise LLMInvalidOutput(f"the reply is not valid JSON ({exc.msg} at position {exc.pos})") from None
        if not isinstance(parsed, dict):
            raise LLMInvalidOutput(f"the reply must be a JSON object, not {type(parsed).__name__}")
        try:
            value = schema.model_validate(_unmask_tree(parsed, session))
        except ValidationError as exc:
            raise LLMInvalidOutput(
                f"the JSON does not match the schema: {_describe_validation(exc)}"
            ) from None
        if check is not None and (unusable := check(value)):
            raise GuardrailViolation("; ".join(unusable))
        return value


class _Call:
    """Bookkeeping for one logical call: timing, attempt tally and its single ledger record."""

    def __init__(
        self,
        *,
        config: GatewayConfig,
        ledger: UsageLedger,
        clock: Callable[[], float],
        now: Callable[[], datetime],
        template: PromptTemplate,
        packed: PackedContext,
        started: float,
    ) -> None:
        self._config = config
        self._ledger = ledger
        self._clock = clock
        self._now = now
        self._template = template
        self._packed = packed
        self.started = started
        self.tally = AttemptTally()

    @property
    def latency_ms(self) -> int:
        return round((self._clock() - self.started) * 1000)

    @property
    def cost_usd(self) -> float:
        return self._config.cost_usd(self.tally.tokens_in, self.tally.tokens_out)

    def ledger_record(
        self, status: CallStatus, error: str | None, *, cache_hit: bool = False, cost_usd: float | None = None
    ) -> LLMCallRecord:
        return LLMCallRecord(
            template_id=self._template.id,
            template_version=self._template.version,
            model=self._config.model,
            engine=self._config.model,
            tokens_in=self.tally.tokens_in,
            tokens_out=self.tally.tokens_out,
            cost_usd=self.cost_usd if cost_usd is None else cost_usd,
            latency_ms=self.latency_ms,
            status=status,
            cache_hit=cache_hit,
            error=error[:1000] if error else None,
            created_at=self._now(),
            attempts=self.tally.attempts,
        )

    async def record(self, status: CallStatus, error: str | None, *, cache_hit: bool = False) -> None:
        await self._ledger.record(self.ledger_record(status, error, cache_hit=cache_hit))

    async def settle(self, reservation: Reservation, status: CallStatus, error: str | None) -> None:
        await self._ledger.settle(reservation, self.ledger_record(status, error))

    def result(self, value: T, *, cache_hit: bool, repaired: bool) -> GatewayResult[T]:
        return GatewayResult(
            value=value,
            model=self._config.model,
            template_id=self._template.id,
            template_version=self._template.version,
            cache_hit=cache_hit,
            repaired=repaired,
            attempts=self.tally.attempts,
            tokens_in=self.tally.tokens_in,
            tokens_out=self.tally.tokens_out,
            cost_usd=self.cost_usd,
            latency_ms=self.latency_ms,
            evidence_ids=self._packed.kept_ids,
        )
