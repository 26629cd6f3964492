"""Retrieval quality on a labelled question set: recall@1, recall@5 and MRR per search mode.

Questions are JSON lines: ``{"id", "q", "relevant": [doc ids], "style", "split"}``. Rankings are over
documents (a document's rank is that of its best passage). recall@k is the share of a question's
relevant documents found in the top k, averaged over questions; MRR averages 1/rank of the first
relevant document (0 if none in the top 50). Questions without relevant documents (out of domain)
are not scored here; they test the "I don't know" path instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ai.knowledge.hub import KnowledgeHub
from ai.knowledge.types import SEARCH_MODES, SearchHit, SearchMode

DEPTH = 50


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    q: str
    relevant: tuple[str, ...]
    style: str = ""
    split: str = "test"


@dataclass(frozen=True)
class QualityRow:
    mode: str
    split: str
    questions: int
    recall_at_1: float
    recall_at_5: float
    mrr: float

    def as_dict(self) -> dict[str, object]:
        return {
            "mode": self.mode,
            "split": self.split,
            "questions": self.questions,
            "recall@1": round(self.recall_at_1, 3),
            "recall@5": round(self.recall_at_5, 3),
            "MRR": round(self.mrr, 3),
        }


def load_questions(path: Path) -> list[EvalQuestion]:
    questions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            questions.append(
                EvalQuestion(
                    id=str(raw["id"]),
                    q=str(raw["q"]),
                    relevant=tuple(raw.get("relevant", ())),
                    style=str(raw.get("style", "")),
                    split=str(raw.get("split", "test")),
                )
            )
    return questions


def ranked_documents(hits: Iterable[SearchHit]) -> list[str]:
    ranked: list[str] = []
    for hit in hits:
        if hit.chunk.doc_id not in ranked:
            ranked.append(hit.chunk.doc_id)
    return ranked


def score(ranked: Sequence[str], relevant: Sequence[str]) -> tuple[float, float, float]:
    wanted = set(relevant)
    recall_1 = len(wanted & set(ranked[:1])) / len(wanted)
    recall_5 = len(wanted & set(ranked[:5])) / len(wanted)
    mrr = next((1 / rank for rank, doc in enumerate(ranked, start=1) if doc in wanted), 0.0)
    return recall_1, recall_5, mrr


def _row(mode: str, split: str, scores: list[tuple[float, float, float]]) -> QualityRow:
    n = len(scores)
    if n == 0:
        return QualityRow(mode, split, 0, 0.0, 0.0, 0.0)
    return QualityRow(
        mode,
        split,
        n,
        *(sum(s[i] for s in scores) / n for i in range(3)),  # recall@1, recall@5, MRR
    )


def evaluate(
    hub: KnowledgeHub,
    questions: Sequence[EvalQuestion],
    modes: Sequence[SearchMode] = SEARCH_MODES,
    *,
    splits: Sequence[str] = ("all",),
) -> list[QualityRow]:
    """One row per (mode, split); ``"all"`` pools every split."""
    answerable = [q for q in questions if q.relevant]
    rows = []
    for mode in modes:
        per_question = {}
        for question in answerable:
            result = hub.search(question.q, k=DEPTH, mode=mode)
            per_question[question.id] = score(ranked_documents(result.hits), question.relevant)
        for split in splits:
            chosen = [q for q in answerable if split == "all" or q.split == split]
            rows.append(_row(mode, split, [per_question[q.id] for q in chosen]))
    return rows
