"""Persian sentiment and emotion analysis for CRM text.

``LexiconSentimentAnalyzer`` is the offline engine (no network, no model download, explainable
evidence). LLM engines implement the same :class:`SentimentAnalyzer` or :class:`AsyncSentimentAnalyzer`
Protocol and return the same :class:`SentimentResult`.
"""

from ai.sentiment.engine import ENGINE, LexiconSentimentAnalyzer
from ai.sentiment.schema import (
    EMOTIONS,
    LABELS,
    SIGNALS,
    AsyncSentimentAnalyzer,
    Emotion,
    EvidenceSpan,
    Label,
    SentimentAnalyzer,
    SentimentResult,
    Signal,
)

__all__ = [
    "EMOTIONS",
    "ENGINE",
    "LABELS",
    "SIGNALS",
    "AsyncSentimentAnalyzer",
    "Emotion",
    "EvidenceSpan",
    "Label",
    "LexiconSentimentAnalyzer",
    "SentimentAnalyzer",
    "SentimentResult",
    "Signal",
]
