"""BM25 over analysed Persian tokens, with bm25s; persisted next to the chunk store.

Two fields are indexed separately: whole terms and character trigrams (the analyzer's ``~`` tokens).
A passage's score is ``bm25(terms) + NGRAM_WEIGHT × bm25(trigrams)``: terms decide the ranking,
trigrams rescue typos and unfamiliar endings without drowning exact matches (one index mixing both
ranked worse at position 1; the weight was chosen on the dev split of the evaluation set).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ai.knowledge.analysis import NGRAM_PREFIX

BM25_K1 = 1.2
BM25_B = 0.75
NGRAM_WEIGHT = 0.1
_IDS_FILE = "ids.json"
_FIELDS = ("terms", "grams")
_PLACEHOLDER = "\u2400"  # bm25s cannot index an empty document; this term matches no query


def split_fields(tokens: Sequence[str]) -> tuple[list[str], list[str]]:
    terms = [t for t in tokens if not t.startswith(NGRAM_PREFIX)]
    grams = [t for t in tokens if t.startswith(NGRAM_PREFIX)]
    return terms, grams


def _bm25(corpus: list[list[str]]) -> Any:
    import bm25s

    retriever = bm25s.BM25(k1=BM25_K1, b=BM25_B)
    retriever.index([doc or [_PLACEHOLDER] for doc in corpus], show_progress=False)
    return retriever


class LexicalIndex:
    """An immutable two-field BM25 index over ``ids``. Rebuild it when the corpus changes: bm25s is
    not incremental, and rebuilding from stored tokens is fast (see bench_knowledge)."""

    def __init__(self, ids: Sequence[str], terms: Any | None, grams: Any | None) -> None:
        self._ids = list(ids)
        self._terms = terms
        self._grams = grams

    @classmethod
    def build(cls, ids: Sequence[str], tokens: Sequence[Sequence[str]]) -> LexicalIndex:
        if len(ids) != len(tokens):
            raise ValueError("ids and tokens differ in length")
        if not ids:
            return cls([], None, None)
        fields = [split_fields(doc) for doc in tokens]
        return cls(ids, _bm25([f[0] for f in fields]), _bm25([f[1] for f in fields]))

    def __len__(self) -> int:
        return len(self._ids)

    def scores(self, query_tokens: Sequence[str]) -> npt.NDArray[np.float32]:
        total = np.zeros(len(self._ids), dtype=np.float32)
        if self._terms is None or self._grams is None:
            return total
        terms, grams = split_fields(query_tokens)
        if terms:
            total += np.asarray(self._terms.get_scores(terms), dtype=np.float32)
        if grams:
            total += NGRAM_WEIGHT * np.asarray(self._grams.get_scores(grams), dtype=np.float32)
        return total

    def search(self, query_tokens: Sequence[str], k: int) -> list[tuple[str, float]]:
        """Top ``k`` (id, score) with a positive score, best first."""
        if not self._ids or not query_tokens or k < 1:
            return []
        scores = self.scores(query_tokens)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        ordered = top[np.argsort(-scores[top], kind="stable")]
        return [(self._ids[i], float(scores[i])) for i in ordered if scores[i] > 0]

    def idf(self, terms: Sequence[str]) -> list[float]:
        """BM25 inverse document frequency of whole terms (0 for terms no passage contains)."""
        if self._terms is None:
            return [0.0 for _ in terms]
        vocab: dict[str, int] = self._terms.vocab_dict
        indptr = self._terms.scores["indptr"]
        total = len(self._ids)
        weights = []
        for term in terms:
            index = vocab.get(term)
            if index is None:
                weights.append(0.0)
                continue
            df = int(indptr[index + 1] - indptr[index])
            weights.append(math.log(1 + (total - df + 0.5) / (df + 0.5)))
        return weights

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / _IDS_FILE).write_text(json.dumps(self._ids, ensure_ascii=False), encoding="utf-8")
        for name, retriever in zip(_FIELDS, (self._terms, self._grams), strict=True):
            if retriever is not None:
                retriever.save(str(directory / name))

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        ids = json.loads((directory / _IDS_FILE).read_text(encoding="utf-8"))
        if not ids:
            return cls([], None, None)
        import bm25s

        terms, grams = (bm25s.BM25.load(str(directory / name)) for name in _FIELDS)
        return cls(ids, terms, grams)
