"""Engine selection: every AI feature has an LLM implementation and an offline one, and this picks.

A feature implements its Protocol twice and wires both into a :class:`DualEngine`::

    engine = DualEngine(llm=llm_sentiment.analyse, offline=lexicon_sentiment.analyse,
                        llm_enabled=gateway.config.enabled)
    result = await engine(transcript)      # AIResult[Sentiment]

The LLM side returns a :class:`GatewayResult` (``gateway.complete_json(...)`` then ``.map(to_dto)``);
the offline side returns the DTO itself, synchronously or not. Any :class:`LLMError` (no key, open
breaker, cost cap, timeout, provider error, invalid output) falls back to offline, and the result says
which engine answered and why. Programming errors are not swallowed.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar, cast

from ai.llm.errors import FallbackReason, LLMError
from ai.llm.gateway import GatewayResult

OFFLINE_ENGINE = "offline"

In = TypeVar("In")
Out = TypeVar("Out")

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AIResult(Generic[Out]):
    value: Out
    engine: str
    """``offline`` or the model name."""
    prompt_id: str | None
    prompt_version: int | None
    fallback_reason: FallbackReason | None
    evidence_ids: frozenset[str] = frozenset()
    """For LLM answers, the record ids the model saw (validate cited evidence against these)."""

    @property
    def is_offline(self) -> bool:
        return self.engine == OFFLINE_ENGINE


async def _run_offline(offline_fn: Callable[[], Out | Awaitable[Out]]) -> Out:
    produced = offline_fn()
    if inspect.isawaitable(produced):
        return cast(Out, await produced)
    return produced


async def run_with_fallback(
    llm_fn: Callable[[], Awaitable[GatewayResult[Out]]] | None,
    offline_fn: Callable[[], Out | Awaitable[Out]],
) -> AIResult[Out]:
    """Try the LLM (``None`` = no API key configured), fall back to offline on any gateway failure."""
    reason: FallbackReason
    if llm_fn is None:
        reason = "no_api_key"
    else:
        try:
            answer = await llm_fn()
        except LLMError as exc:
            reason = exc.fallback_reason
            logger.info("LLM unavailable (%s: %s); answering offline", reason, exc)
        else:
            return AIResult(
                value=answer.value,
                engine=answer.model,
                prompt_id=answer.template_id,
                prompt_version=answer.template_version,
                fallback_reason=None,
                evidence_ids=answer.evidence_ids,
            )
    value = await _run_offline(offline_fn)
    return AIResult(
        value=value, engine=OFFLINE_ENGINE, prompt_id=None, prompt_version=None, fallback_reason=reason
    )


@dataclass(frozen=True)
class DualEngine(Generic[In, Out]):
    """One AI feature, implemented twice; calling it runs :func:`run_with_fallback`."""

    llm: Callable[[In], Awaitable[GatewayResult[Out]]]
    offline: Callable[[In], Out | Awaitable[Out]]
    llm_enabled: bool = True

    async def __call__(self, request: In) -> AIResult[Out]:
        llm_fn = (lambda: self.llm(request)) if self.llm_enabled else None
        return await run_with_fallback(llm_fn, lambda: self.offline(request))
