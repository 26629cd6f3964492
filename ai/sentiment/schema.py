"""Typed data in and out of every sentiment engine, and the Protocols engines implement.

Everything here is plain data (frozen pydantic models), so the CRM can store a result as JSON and the
bot can render it without knowing which engine produced it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal, Protocol, get_args, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, field_validator

Label = Literal["positive", "neutral", "negative"]
Emotion = Literal[
    "satisfaction",
    "gratitude",
    "frustration",
    "anger",
    "anxiety",
    "confusion",
    "urgency",
    "disappointment",
]
Signal = Literal[
    "churn_signal",  # the relationship is at risk (dissatisfaction that points at leaving)
    "threat_to_leave",  # an explicit statement: not renewing, moving to another panel
    "competitor_mention",  # another provider or panel is named or implied
    "upsell_signal",  # more users, more volume, a bigger plan
    "renewal_intent",  # wants to renew or extend
    "payment_issue",  # failed payment, wrong invoice, wallet not charged
    "price_complaint",  # too expensive, price went up
    "refund_request",  # wants money back
    "outage_report",  # connection drops, filtering, cannot connect
    "slow_connection",  # speed, ping, lag
    "panel_issue",  # the Marzban panel, subscription links, users page
    "config_issue",  # V2Ray/VLESS/Reality configs, apps
    "support_delay",  # waited for an answer, nobody replied
    "escalation_request",  # wants a manager, threatens a complaint
    "praise_agent",  # praises the person or the support
    "question",  # asks something
]

LABELS: Final[tuple[Label, ...]] = get_args(Label)
EMOTIONS: Final[tuple[Emotion, ...]] = get_args(Emotion)
SIGNALS: Final[tuple[Signal, ...]] = get_args(Signal)

Effect = Literal[
    "positive",  # the cue pushed the score up
    "negative",  # the cue pushed the score down
    "negated",  # a negator flipped this cue
    "negator",  # the word that did the flipping
    "intensifier",  # made the next cue stronger
    "diminisher",  # made the next cue weaker
    "contrast",  # «ولی/اما»: the clause after it weighs more
    "sarcasm",  # thanks or praise read as sarcastic
    "emotion",  # carries an emotion or a signal but no polarity
    "signal",  # carries only a signal
    "polite",  # a politeness formula, recognised so that it does not soften a complaint
]


class EvidenceSpan(BaseModel):
    """``text == original[start:end]`` of the analysed input: the words that made the decision."""

    model_config = ConfigDict(frozen=True)

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str
    cue: str  # the lexicon entry (folded form) or rule that fired
    effect: Effect
    weight: float = 0.0  # signed contribution to the raw score (0 for non-polar cues)


class SentimentResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    label: Label
    score: float = Field(ge=-1.0, le=1.0)
    confidence: float = Field(ge=0.0, le=1.0)
    emotions: dict[Emotion, float]
    signals: list[Signal] = Field(default_factory=list)
    evidence: list[EvidenceSpan] = Field(default_factory=list)
    engine: str
    truncated: bool = False  # only a prefix of a very long input was analysed

    @field_validator("emotions")
    @classmethod
    def _all_emotions(cls, value: dict[Emotion, float]) -> dict[Emotion, float]:
        if set(value) != set(EMOTIONS):
            raise ValueError(f"emotions must have exactly the keys {EMOTIONS}")
        if any(not 0.0 <= v <= 1.0 for v in value.values()):
            raise ValueError("emotion intensities must be in [0, 1]")
        return value

    def top_emotions(
        self, threshold: float = 0.5, floor: float = 0.25, relative: float = 0.8
    ) -> list[Emotion]:
        """The dominant emotions, strongest first.

        Present: every emotion ≥ ``threshold`` that is also ≥ ``relative`` × the strongest one; when
        none reaches ``threshold``, the strongest alone if it is ≥ ``floor``.
        """
        best = max(EMOTIONS, key=lambda e: self.emotions[e])
        top = self.emotions[best]
        present = [e for e in EMOTIONS if self.emotions[e] >= max(threshold, relative * top)]
        if present:
            return sorted(present, key=lambda e: -self.emotions[e])
        return [best] if top >= floor else []


def zero_emotions() -> dict[Emotion, float]:
    return dict.fromkeys(EMOTIONS, 0.0)


def neutral_result(engine: str, confidence: float = 0.05, *, truncated: bool = False) -> SentimentResult:
    """What an engine returns when there is nothing to judge (empty, garbage)."""
    return SentimentResult(
        label="neutral",
        score=0.0,
        confidence=confidence,
        emotions=zero_emotions(),
        engine=engine,
        truncated=truncated,
    )


@runtime_checkable
class SentimentAnalyzer(Protocol):
    """A synchronous engine. ``analyze_many`` is the batch entry point and must keep input order.

    A batch engine (one LLM request for many texts) implements ``analyze_many`` natively and makes
    ``analyze(t)`` return ``analyze_many([t])[0]``; a per-text engine does the reverse. Either way an
    engine never raises on bad text: it returns a neutral, low-confidence result instead.
    """

    @property
    def engine(self) -> str: ...

    def analyze(self, text: str) -> SentimentResult: ...

    def analyze_many(self, texts: Sequence[str]) -> list[SentimentResult]: ...


@runtime_checkable
class AsyncSentimentAnalyzer(Protocol):
    """The same contract for engines behind the async LLM gateway (batched, cached, budgeted there)."""

    @property
    def engine(self) -> str: ...

    async def analyze(self, text: str) -> SentimentResult: ...

    async def analyze_many(self, texts: Sequence[str]) -> list[SentimentResult]: ...
