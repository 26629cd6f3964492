"""Fuzzy Persian name matching on a portable trigram index.

pg_trgm is not shipped with every PostgreSQL we run on (the embedded server lacks it), so the
folded name's trigrams live in a ``text[]`` column under a GIN index. A query's trigrams select
candidates with ``&&`` (an index scan), ordered by how many trigrams they share; the best of those
are re-ranked here by :func:`similarity`.

Each word contributes padded trigrams (so a surname alone matches), and the space-free form
contributes unpadded ones (so «محمدحسین», «محمد‌حسین» and «محمد حسین» share nearly all trigrams).
"""

from __future__ import annotations

from ai.text.persian import fold

MIN_SCORE = 0.45
TRIGRAM_WEIGHT = 0.4


def name_key(name: str) -> str:
    return fold(name)


def trigrams(text: str) -> list[str]:
    key = fold(text)
    grams: set[str] = set()
    for word in key.split():
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    compact = key.replace(" ", "")
    grams.update(compact[i : i + 3] for i in range(len(compact) - 2))
    return sorted(grams)


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


def _edit_similarity(a: str, b: str) -> float:
    longest = max(len(a), len(b))
    return 1.0 if longest == 0 else 1.0 - _edit_distance(a, b) / longest


def similarity(query: str, name: str, *, query_grams: int, name_grams: int, shared: int) -> float:
    """0..1. Blends trigram coverage with per-word edit similarity, so a one-letter typo of a surname
    («رضاعی» for «رضایی») outranks a different name that merely shares a prefix («رضا قاسمی»)."""
    if query_grams == 0 or shared == 0:
        return 0.0
    coverage = shared / query_grams
    query_key, name_key_ = fold(query), fold(name)
    name_words = name_key_.split() or [name_key_]
    words = query_key.split()
    per_word = sum(max(_edit_similarity(w, n) for n in name_words) for w in words) / max(len(words), 1)
    whole = _edit_similarity(query_key.replace(" ", ""), name_key_.replace(" ", ""))
    return TRIGRAM_WEIGHT * coverage + (1 - TRIGRAM_WEIGHT) * max(per_word, whole)
