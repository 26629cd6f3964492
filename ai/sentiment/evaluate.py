"""Measuring an engine against labelled items: macro-F1, a hard-subset score, emotions, signals.

Emotion rule: an emotion counts as *predicted present* when its intensity is ≥ 0.5, or, when none
reaches 0.5, the single strongest one if it is ≥ 0.25 (:meth:`SentimentResult.top_emotions`). Gold
emotions are the dominant ones an annotator listed. Per-emotion F1 is computed over all items.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ai.sentiment.schema import EMOTIONS, LABELS, SIGNALS, Emotion, Label, SentimentAnalyzer, Signal

Split = Literal["dev", "test"]


class EvalItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    text: str
    label: Label
    emotions: list[Emotion] = Field(default_factory=list)
    signals: list[Signal] = Field(default_factory=list)
    hard: bool = False
    split: Split = "test"
    phenomenon: str = "plain"


class ClassScore(BaseModel):
    precision: float
    recall: float
    f1: float
    support: int


class Miss(BaseModel):
    id: str
    text: str
    gold: Label
    predicted: Label
    score: float
    phenomenon: str


class EvalReport(BaseModel):
    engine: str
    n: int
    accuracy: float
    macro_f1: float
    per_label: dict[Label, ClassScore]
    confusion: dict[Label, dict[Label, int]]  # confusion[gold][predicted]
    hard_n: int
    hard_accuracy: float
    hard_macro_f1: float
    per_emotion: dict[Emotion, ClassScore]
    emotion_macro_f1: float  # over emotions with gold support
    per_signal: dict[Signal, ClassScore]  # only signals that occur in gold or predictions
    per_phenomenon_accuracy: dict[str, float]
    misses: list[Miss]

    def summary(self) -> str:
        return (
            f"{self.engine}: n={self.n} macro-F1={self.macro_f1:.3f} acc={self.accuracy:.3f} "
            f"hard n={self.hard_n} macro-F1={self.hard_macro_f1:.3f} "
            f"emotion macro-F1={self.emotion_macro_f1:.3f}"
        )


def load_items(path: Path | str, split: Split | None = None) -> list[EvalItem]:
    items: list[EvalItem] = []
    with Path(path).open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                item = EvalItem.model_validate(json.loads(line))
                if split is None or item.split == split:
                    items.append(item)
    return items


def _score(tp: int, fp: int, fn: int) -> ClassScore:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return ClassScore(precision=round(p, 4), recall=round(r, 4), f1=round(f1, 4), support=tp + fn)


def _label_scores(gold: Sequence[Label], pred: Sequence[Label]) -> tuple[dict[Label, ClassScore], float]:
    scores: dict[Label, ClassScore] = {}
    for label in LABELS:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p != label)
        scores[label] = _score(tp, fp, fn)
    present = [s.f1 for s in scores.values() if s.support]
    return scores, round(sum(present) / len(present), 4) if present else 0.0


def _set_scores(
    gold: Sequence[Iterable[str]], pred: Sequence[Iterable[str]], keys: Iterable[str]
) -> dict[str, ClassScore]:
    out: dict[str, ClassScore] = {}
    gold_sets = [set(g) for g in gold]
    pred_sets = [set(p) for p in pred]
    for key in keys:
        tp = sum(1 for g, p in zip(gold_sets, pred_sets, strict=True) if key in g and key in p)
        fp = sum(1 for g, p in zip(gold_sets, pred_sets, strict=True) if key not in g and key in p)
        fn = sum(1 for g, p in zip(gold_sets, pred_sets, strict=True) if key in g and key not in p)
        if tp + fp + fn:
            out[key] = _score(tp, fp, fn)
    return out


def evaluate(analyzer: SentimentAnalyzer, items: Sequence[EvalItem]) -> EvalReport:
    results = analyzer.analyze_many([it.text for it in items])
    gold = [it.label for it in items]
    pred = [r.label for r in results]
    per_label, macro = _label_scores(gold, pred)
    confusion: dict[Label, dict[Label, int]] = {g: dict.fromkeys(LABELS, 0) for g in LABELS}
    for g, p in zip(gold, pred, strict=True):
        confusion[g][p] += 1
    hard = [i for i, it in enumerate(items) if it.hard]
    _, hard_macro = _label_scores([gold[i] for i in hard], [pred[i] for i in hard])
    emotions = _set_scores([it.emotions for it in items], [r.top_emotions() for r in results], EMOTIONS)
    per_emotion: dict[Emotion, ClassScore] = {e: emotions[e] for e in EMOTIONS if e in emotions}
    with_support = [s.f1 for s in per_emotion.values() if s.support]
    signals = _set_scores([it.signals for it in items], [r.signals for r in results], SIGNALS)
    per_signal: dict[Signal, ClassScore] = {s: signals[s] for s in SIGNALS if s in signals}
    phenomena: dict[str, list[bool]] = {}
    for it, p in zip(items, pred, strict=True):
        phenomena.setdefault(it.phenomenon, []).append(it.label == p)
    n = len(items)
    return EvalReport(
        engine=analyzer.engine,
        n=n,
        accuracy=round(sum(g == p for g, p in zip(gold, pred, strict=True)) / n, 4) if n else 0.0,
        macro_f1=macro,
        per_label=per_label,
        confusion=confusion,
        hard_n=len(hard),
        hard_accuracy=round(sum(gold[i] == pred[i] for i in hard) / len(hard), 4) if hard else 0.0,
        hard_macro_f1=hard_macro,
        per_emotion=per_emotion,
        emotion_macro_f1=round(sum(with_support) / len(with_support), 4) if with_support else 0.0,
        per_signal=per_signal,
        per_phenomenon_accuracy={k: round(sum(v) / len(v), 4) for k, v in sorted(phenomena.items())},
        misses=[
            Miss(
                id=it.id,
                text=it.text,
                gold=it.label,
                predicted=r.label,
                score=r.score,
                phenomenon=it.phenomenon,
            )
            for it, r in zip(items, results, strict=True)
            if it.label != r.label
        ],
    )
