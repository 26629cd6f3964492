"""The LLM sentiment engine: many texts per gateway call, the same :class:`SentimentResult` out.

Each batch is one ``complete_json`` call with the ``sentiment_batch`` template. Texts are records
``[t0] …``, ``[t1] …`` of one required data block, so the gateway masks personal data in them, quotes
them as data and packs them whole. The answer must validate against a schema made for that batch size
(:func:`batch_schema`): exactly one item per record id, vocabulary-only emotions and signals, every
number in range, and a label that agrees with the sign of its score. An answer that does not is
repaired once by the gateway; after that, or on any other gateway failure (no key, open breaker, cost
cap, timeout, provider error), the batch is analysed by the offline engine through
:func:`ai.llm.run_with_fallback`. Every result records its engine: the model name, or the offline
engine's name.

Guardrails on top of the schema: evidence phrases must occur verbatim in their own text (the span
offsets are computed here, never taken from the model; invented phrases are dropped), signals are put
in the vocabulary order, and a blank text never reaches the model.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Final, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ai.context import ContextRecord, ContextSection, estimate_tokens
from ai.llm import FallbackReason, GatewayResult, LLMGateway, run_with_fallback
from ai.prompts import PromptTemplate, load_template
from ai.sentiment.engine import LexiconSentimentAnalyzer
from ai.sentiment.schema import (
    SIGNALS,
    Effect,
    Emotion,
    EvidenceSpan,
    Label,
    SentimentAnalyzer,
    SentimentResult,
    Signal,
    zero_emotions,
)

TEMPLATE_ID: Final = "sentiment_batch"
DEFAULT_BATCH_SIZE: Final = 12
MAX_TEXT_CHARS: Final = 1500  # longer texts are cut (``truncated=True``): the start carries the mood
MAX_EVIDENCE: Final = 3
_LINE_BREAKS = str.maketrans(dict.fromkeys("\r\n\t\v\f\x85\u2028\u2029", " "))  # one char for one
_EFFECT: Final[dict[Label, Effect]] = {"positive": "positive", "negative": "negative", "neutral": "emotion"}

Intensity = Annotated[float, Field(ge=0.0, le=1.0)]
Phrase = Annotated[str, Field(min_length=1, max_length=200)]


class LLMSentimentItem(BaseModel):
    """One record's verdict, as the model must write it."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(pattern=r"^t\d{1,3}$")
    label: Label
    score: float = Field(ge=-1.0, le=1.0)
    confidence: float = Field(ge=0.0, le=1.0)
    emotions: dict[Emotion, Intensity] = Field(default_factory=dict)
    signals: list[Signal] = Field(default_factory=list, max_length=len(SIGNALS))
    evidence: list[Phrase] = Field(default_factory=list, max_length=5)

    @model_validator(mode="after")
    def _label_agrees_with_score(self) -> Self:
        if (self.label == "positive" and self.score <= 0) or (self.label == "negative" and self.score >= 0):
            raise ValueError(f"label {self.label!r} contradicts score {self.score}")
        return self


class SentimentBatch(BaseModel):
    results: list[LLMSentimentItem]


@cache
def batch_schema(size: int) -> type[SentimentBatch]:
    """The output schema for ``size`` records ``t0 … t{size-1}``: each named exactly once."""
    expected = frozenset(f"t{i}" for i in range(size))

    class SizedBatch(SentimentBatch):
        model_config = ConfigDict(title="SentimentBatch")

        results: list[LLMSentimentItem] = Field(min_length=size, max_length=size)

        @model_validator(mode="after")
        def _every_record_once(self) -> Self:
            ids = [item.id for item in self.results]
            if len(set(ids)) != len(ids) or set(ids) != expected:
                raise ValueError(f"results must name each record id exactly once: {sorted(expected)}")
            return self

    return SizedBatch


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """Which engine answered one batch, and why not the LLM if it did not."""

    size: int
    engine: str  # the model name, or ``offline``
    fallback_reason: FallbackReason | None


@dataclass(frozen=True, slots=True)
class SentimentRun:
    results: list[SentimentResult]  # one per input text, in input order
    batches: list[BatchOutcome]


@dataclass(frozen=True, slots=True)
class _Prepared:
    original: str
    flat: str  # what the model sees: cut to the limit, line breaks as spaces (same offsets)
    truncated: bool


class LLMSentimentAnalyzer:
    """:class:`~ai.sentiment.schema.AsyncSentimentAnalyzer` over the gateway, offline per failed batch."""

    def __init__(
        self,
        gateway: LLMGateway,
        offline: SentimentAnalyzer | None = None,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_chars: int = MAX_TEXT_CHARS,
        template: PromptTemplate | None = None,
    ) -> None:
        if not 1 <= batch_size <= 100:
            raise ValueError("batch_size must be between 1 and 100")
        self._gateway = gateway
        self._offline = offline or LexiconSentimentAnalyzer()
        self._batch_size = batch_size
        self._max_chars = max_chars
        self._template = template or load_template(TEMPLATE_ID)

    @property
    def engine(self) -> str:
        """The model when an API key is configured, else the offline engine that will answer."""
        return self._gateway.config.model if self._gateway.config.enabled else self._offline.engine

    async def analyze(self, text: str) -> SentimentResult:
        return (await self.analyze_many([text]))[0]

    async def analyze_many(self, texts: Sequence[str]) -> list[SentimentResult]:
        return (await self.run(texts)).results

    async def run(self, texts: Sequence[str]) -> SentimentRun:
        """Analyse ``texts`` batch by batch; the result keeps input order and says who answered each batch."""
        results: list[SentimentResult | None] = [None] * len(texts)
        prepared: list[tuple[int, _Prepared]] = []
        for index, text in enumerate(texts):
            text = text if isinstance(text, str) else ""
            if text.strip():
                prepared.append((index, self._prepare(text)))
            else:  # nothing to judge: no tokens spent, the offline engine's neutral answer
                results[index] = self._offline.analyze(text)
        batches: list[BatchOutcome] = []
        for chunk in self._chunks(prepared):
            items = [item for _, item in chunk]
            outcome = await run_with_fallback(
                self._llm_call(items) if self._gateway.config.enabled else None, self._offline_call(items)
            )
            batches.append(BatchOutcome(len(chunk), outcome.engine, outcome.fallback_reason))
            for (index, _), result in zip(chunk, outcome.value, strict=True):
                results[index] = result
        return SentimentRun([r for r in results if r is not None], batches)

    def _prepare(self, text: str) -> _Prepared:
        cut = text[: self._max_chars]
        return _Prepared(text, cut.translate(_LINE_BREAKS), len(text) > self._max_chars)

    def _chunks(self, items: list[tuple[int, _Prepared]]) -> list[list[tuple[int, _Prepared]]]:
        """Up to ``batch_size`` texts per call, and no more than the template's token budget of data."""
        chunks: list[list[tuple[int, _Prepared]]] = []
        current: list[tuple[int, _Prepared]] = []
        used = 0
        for entry in items:
            cost = estimate_tokens(entry[1].flat) + 4  # "[t12] " and the line break
            if current and (len(current) >= self._batch_size or used + cost > self._template.budget_tokens):
                chunks.append(current)
                current, used = [], 0
            current.append(entry)
            used += cost
        if current:
            chunks.append(current)
        return chunks

    def _offline_call(self, items: list[_Prepared]) -> Callable[[], list[SentimentResult]]:
        return lambda: self._offline.analyze_many([item.original for item in items])

    def _llm_call(
        self, items: list[_Prepared]
    ) -> Callable[[], Awaitable[GatewayResult[list[SentimentResult]]]]:
        async def call() -> GatewayResult[list[SentimentResult]]:
            records = [ContextRecord(item.flat, f"t{i}") for i, item in enumerate(items)]
            needed = sum(estimate_tokens(record.render()) + 1 for record in records)
            answer = await self._gateway.complete_json(
                self._template,
                {"messages": ContextSection("messages", 0, records, required=True)},
                batch_schema(len(items)),
                # Masking can at most double a record's estimate («@abcd» → «[HANDLE_12]»).
                budget_tokens=max(self._template.budget_tokens, 2 * needed + 64),
            )
            model = self._gateway.config.model
            return answer.map(lambda batch: [_result(batch, i, item, model) for i, item in enumerate(items)])

        return call


def _result(batch: SentimentBatch, index: int, item: _Prepared, engine: str) -> SentimentResult:
    verdict = next(v for v in batch.results if v.id == f"t{index}")
    emotions = zero_emotions()
    emotions.update({name: round(value, 3) for name, value in verdict.emotions.items()})
    found = set(verdict.signals)
    if "threat_to_leave" in found:
        found.add("churn_signal")  # the offline engine's rule: an explicit threat is a churn signal
    confidence = verdict.confidence * (0.8 if item.truncated else 1.0)
    return SentimentResult(
        label=verdict.label,
        score=round(verdict.score, 4),
        confidence=round(confidence, 3),
        emotions=emotions,
        signals=[s for s in SIGNALS if s in found],
        evidence=_locate(item, verdict.evidence, verdict.label),
        engine=engine,
        truncated=item.truncated,
    )


def _locate(item: _Prepared, phrases: Sequence[str], label: Label) -> list[EvidenceSpan]:
    """Spans of the phrases that occur verbatim in the analysed text; the others were invented."""
    spans: dict[tuple[int, int], EvidenceSpan] = {}
    for phrase in phrases:
        needle = phrase.strip().translate(_LINE_BREAKS)
        if len(needle) < 2:
            continue
        start = item.flat.find(needle)
        if start < 0:
            continue
        end = start + len(needle)
        spans.setdefault(
            (start, end),
            EvidenceSpan(
                start=start, end=end, text=item.original[start:end], cue="llm", effect=_EFFECT[label]
            ),
        )
        if len(spans) == MAX_EVIDENCE:
            break
    return [spans[key] for key in sorted(spans)]
