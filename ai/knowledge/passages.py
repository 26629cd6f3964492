"""Shared by answers and troubleshooting: numbered sources, sentences and their relevance.

Sources are numbered per document in retrieval order ([1] is the best document); every passage of
one document carries its number, so a citation always names a document title.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel

from ai.action_guard import trusted_hosts
from ai.context import ContextRecord, ContextSection
from ai.knowledge.analysis import Analyzer
from ai.knowledge.types import SearchHit
from ai.text.injection import looks_like_instruction

CITATION = re.compile(r"\s?\[(\d{1,2})\]")
_LIST_MARK = re.compile(r"^\s*(?:[-*•]|[0-9۰-۹]{1,3}[.)\-])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?؟…])\s+")
MAX_SENTENCE_CHARS = 240


class Citation(BaseModel):
    n: int
    doc_id: str
    title: str
    heading: str = ""


@dataclass(frozen=True)
class Source:
    n: int
    doc_id: str
    title: str
    heading: str
    hits: tuple[SearchHit, ...]

    def citation(self) -> Citation:
        return Citation(n=self.n, doc_id=self.doc_id, title=self.title, heading=self.heading)


def number_sources(hits: Sequence[SearchHit], max_sources: int) -> list[Source]:
    grouped: dict[str, list[SearchHit]] = {}
    for hit in hits:
        if hit.chunk.doc_id in grouped or len(grouped) < max_sources:
            grouped.setdefault(hit.chunk.doc_id, []).append(hit)
    return [
        Source(n, doc_id, group[0].chunk.title, group[0].chunk.heading_path, tuple(group))
        for n, (doc_id, group) in enumerate(grouped.items(), start=1)
    ]


def context_section(name: str, sources: Sequence[Source]) -> ContextSection:
    """Passages for a prompt, most relevant first, each ``[n] title › heading: text`` (the gateway marks
    instruction-like sentences in them, as in every input)."""
    records = []
    for source in sources:
        for hit in source.hits:
            label = " › ".join(p for p in (hit.chunk.title, hit.chunk.heading_path) if p)
            records.append(ContextRecord(f"{label}: {hit.passage()}", id=str(source.n)))
    return ContextSection(name, priority=0, records=records)


def vouched_hosts(sources: Sequence[Source]) -> frozenset[str]:
    """The hosts the given passages link to, from chunks not flagged as instruction-like: a link CRT's
    own documents name is one an answer written from them may repeat."""
    return trusted_hosts(
        chunk.text
        for source in sources
        for hit in source.hits
        for chunk in (hit.context or (hit.chunk,))
        if not chunk.flagged
    )


def trim(text: str, limit: int = MAX_SENTENCE_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit - 1)
    return text[: cut if cut > limit // 2 else limit - 1].rstrip("،,;:") + "…"


def sentences(passage: str) -> list[str]:
    """Lines, and sentences within lines; list items stay whole (list markers removed)."""
    out: list[str] = []
    for line in passage.splitlines():
        line = line.strip()
        if not line:
            continue
        if _LIST_MARK.match(line):
            out.append(_LIST_MARK.sub("", line, count=1))
        else:
            out.extend(piece.strip() for piece in _SENTENCE_END.split(line) if piece.strip())
    return out


def relevance(sentence: str, query_terms: dict[str, float], analyzer: Analyzer) -> float:
    """Sum of the weights of the query terms the sentence contains."""
    terms = set(analyzer.terms(sentence))
    return sum(weight for term, weight in query_terms.items() if term in terms)


def usable(sentence: str) -> bool:
    """Sentences an extractive answer may quote: not instruction-like, not a bare heading."""
    return len(sentence.split()) >= 3 and not looks_like_instruction(sentence)


def clean_citations(text: str, allowed: set[int]) -> tuple[str, list[int]]:
    """Remove citation markers that name no given source; return the text and the cited numbers."""
    cited: list[int] = []

    def keep(match: re.Match[str]) -> str:
        number = int(match.group(1))
        if number not in allowed:
            return ""
        if number not in cited:
            cited.append(number)
        return match.group(0)

    return CITATION.sub(keep, text).strip(), cited
