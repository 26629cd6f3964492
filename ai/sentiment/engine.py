"""The offline engine: lexicon cues, composed by rules, with the evidence for every step.

Pipeline for one text:

1. tokenise with offsets into the original (``text.py``), map Finglish, repair typos (``lexicon.py``);
2. match cues and modifiers, longest phrase first;
3. compose (``rules.py``): negation, intensifiers, «ولی» contrast, questions, «!», sarcasm;
4. squash the raw sum into a score in [-1, 1], a label, a confidence, emotions and signals.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Final

from ai.sentiment.lexicon import Lexicon, default_lexicon
from ai.sentiment.rules import Composition, compose
from ai.sentiment.schema import (
    EMOTIONS,
    SIGNALS,
    Effect,
    Emotion,
    EvidenceSpan,
    Label,
    SentimentResult,
    Signal,
    neutral_result,
)
from ai.sentiment.text import MAX_CHARS, readable_ratio, tokenize

log = logging.getLogger(__name__)

ENGINE: Final = "offline-lexicon-v1"
ALPHA: Final = 4.0  # score = raw / sqrt(raw² + ALPHA): a single clear cue lands around ±0.6
THRESHOLD: Final = 0.2  # |score| below this is neutral
EMOTION_GAIN: Final = 1.1  # intensity = 1 - exp(-gain × summed weight)
MAX_EVIDENCE: Final = 40  # spans kept for a long paste: the strongest, in text order


class LexiconSentimentAnalyzer:
    """Offline, deterministic, explainable. Thread-safe: it keeps no per-call state."""

    def __init__(
        self, lexicon: Lexicon | None = None, *, max_chars: int = MAX_CHARS, threshold: float = THRESHOLD
    ) -> None:
        self._lex = lexicon or default_lexicon()
        self._max_chars = max_chars
        self._threshold = threshold

    @property
    def engine(self) -> str:
        return ENGINE

    def analyze(self, text: str) -> SentimentResult:
        try:
            return self._analyze(text)
        except Exception:  # the contract is «never raise on text»; a bug must not take the bot down
            log.exception("offline sentiment failed on a %d-character input", len(text or ""))
            return neutral_result(ENGINE, 0.0)

    def analyze_many(self, texts: Sequence[str]) -> list[SentimentResult]:
        return [self.analyze(t) for t in texts]

    # ------------------------------------------------------------------ internals
    def _analyze(self, text: str) -> SentimentResult:
        text = text if isinstance(text, str) else ""
        truncated = len(text) > self._max_chars
        toks = self._lex.prepare(tokenize(text, self._max_chars))
        words = sum(1 for t in toks if t.kind in ("word", "latin"))
        if not toks:
            return neutral_result(ENGINE, 0.05, truncated=truncated)
        hits, detected = self._lex.match(toks)
        comp = compose(toks, hits, detected)
        readable = readable_ratio(text)
        if not comp.cues:
            conf = 0.05 if readable < 0.6 else (0.2 if words < 3 else 0.4)
            signals = _ordered(comp.extra_signals)
            return neutral_result(ENGINE, conf, truncated=truncated).model_copy(update={"signals": signals})
        raw = sum(c.value for c in comp.cues)
        score = raw / math.sqrt(raw * raw + ALPHA)
        emoji_only = words == 0
        label: Label = "neutral"
        if emoji_only:  # a lone emoji is an acknowledgement whose polarity is unreliable: kept neutral
            score = max(-0.9 * self._threshold, min(0.9 * self._threshold, score * 0.3))
        elif score >= self._threshold:
            label = "positive"
        elif score <= -self._threshold:
            label = "negative"
        signals = _signals(comp, label)
        return SentimentResult(
            label=label,
            score=round(max(-1.0, min(1.0, score)), 4),
            confidence=round(
                _confidence(comp, score, self._threshold, emoji_only, truncated) * min(1.0, readable / 0.6), 3
            ),
            emotions=_emotions(comp, label),
            signals=signals,
            evidence=_evidence(text, comp, signals),
            engine=ENGINE,
            truncated=truncated,
        )


def _confidence(
    comp: Composition, score: float, threshold: float, emoji_only: bool, truncated: bool
) -> float:
    pos = sum(c.value for c in comp.cues if c.value > 0)
    neg = -sum(c.value for c in comp.cues if c.value < 0)
    polar = sum(1 for c in comp.cues if c.value != 0)
    if abs(score) >= threshold:
        conf = 0.45 + 0.4 * abs(score) + 0.05 * min(polar, 3)
    else:  # neutral: surer the fewer polar cues there are to disagree with
        conf = 0.5 - 0.25 * abs(score) / threshold
    if pos and neg:
        conf -= 0.2 * min(pos, neg) / max(pos, neg)
    conf -= min(0.15, 0.05 * sum(1 for c in comp.cues if c.hit.fuzzy))
    if emoji_only:
        conf = min(conf, 0.3)
    if truncated:
        conf *= 0.8
    return max(0.05, min(0.95, conf))


def _emotions(comp: Composition, label: Label) -> dict[Emotion, float]:
    sums: dict[Emotion, float] = dict.fromkeys(EMOTIONS, 0.0)
    for cue in comp.cues:
        for emotion, weight in cue.emotion_weights():
            sums[emotion] += weight
    if label == "negative" and comp.bangs:
        sums["anger"] += min(0.9, 0.3 * comp.bangs)
        sums["frustration"] += 0.2
    if comp.questions > 1:
        sums["confusion"] += 0.2 * comp.questions
    return {e: round(1.0 - math.exp(-EMOTION_GAIN * v), 3) if v > 0 else 0.0 for e, v in sums.items()}


def _signals(comp: Composition, label: Label) -> list[Signal]:
    found: set[Signal] = set(comp.extra_signals)
    gapped = [(c.hit.first, c.hit.last) for c in comp.cues if len(c.hit.entry.segments) > 1]
    for cue in comp.cues:
        if cue.negated or cue.sarcastic:
            continue
        if any(lo < cue.hit.first < hi for lo, hi in gapped):
            continue  # a topic word in the gap of a phrase («سراغ یه پنل دیگه») belongs to that phrase
        if "topic" in cue.hit.entry.tags:
            # A topic is a complaint when its clause is negative, or its sentence is and the topic is
            # not on the conceded side of a «ولی» («پرداخت می‌کنه ولی از قطعی ناراضیه»: no payment issue).
            conceded = cue.hit.first < comp.contrast_at.get(cue.sentence, -1)
            if comp.clause_net.get(cue.clause, 0.0) < -0.3 or (
                label == "negative" and comp.sentence_net.get(cue.sentence, 0.0) < 0 and not conceded
            ):
                found.update(cue.hit.entry.signals)
        else:
            found.update(cue.hit.entry.signals)
    if "threat_to_leave" in found:
        found.add("churn_signal")
    return _ordered(found)


def _ordered(found: set[Signal] | frozenset[Signal]) -> list[Signal]:
    return [s for s in SIGNALS if s in found]


def _evidence(text: str, comp: Composition, signals: list[Signal]) -> list[EvidenceSpan]:
    found: dict[tuple[int, int, Effect], tuple[str, float]] = {}
    for cue in comp.cues:
        effect = cue.effect()
        if effect == "signal" and not set(cue.hit.entry.signals) & set(signals):
            continue  # a topic word that explains nothing in this message
        found.setdefault((cue.hit.start, cue.hit.end, effect), (cue.hit.entry.name, cue.value))
        for mod, mod_effect in cue.modifiers:
            found.setdefault((mod.start, mod.end, mod_effect), (mod.entry.name, 0.0))
    for hit in comp.contrasts:
        found.setdefault((hit.start, hit.end, "contrast"), (hit.entry.name, 0.0))
    keys = list(found)
    if len(keys) > MAX_EVIDENCE:
        keys = sorted(keys, key=lambda k: -abs(found[k][1]))[:MAX_EVIDENCE]
    return [
        EvidenceSpan(
            start=start,
            end=end,
            text=text[start:end],
            cue=found[start, end, effect][0],
            effect=effect,
            weight=round(found[start, end, effect][1], 3),
        )
        for start, end, effect in sorted(keys)
    ]
