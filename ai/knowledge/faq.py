"""FAQ entries from resolved tickets: masked, near-duplicates merged, ready for a supervisor's review.

A ticket's subject and description become the question, its resolution the answer. Personal data is
masked with the gateway's masker (one session per ticket) before anything else happens. Tickets whose
questions share at least ``MERGE_THRESHOLD`` of their terms (Jaccard over analysed terms) are merged
into one entry: the question of the earliest ticket, the most detailed answer, every ticket id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from ai.knowledge.analysis import Analyzer
from ai.knowledge.types import ParsedDocument, Section
from ai.pii import MaskSession, mask

MERGE_THRESHOLD = 0.5
FAQ_PREFIX = "faq/"
QUESTION_HEADING = "پرسش"
ANSWER_HEADING = "پاسخ"


@dataclass(frozen=True)
class TicketCase:
    ticket_id: int
    subject: str
    description: str | None
    resolution: str
    category: str
    resolved_at: dt.datetime | None = None


@dataclass(frozen=True)
class FaqCandidate:
    question: str
    details: str
    answer: str
    ticket_ids: tuple[int, ...]
    category: str
    masked_items: int

    @property
    def doc_id(self) -> str:
        return f"{FAQ_PREFIX}ticket-{min(self.ticket_ids)}"

    @property
    def checksum(self) -> str:
        return faq_checksum(self.question, self.details, self.answer)

    def document(self) -> ParsedDocument:
        return faq_document(self.doc_id, self.question, self.details, self.answer)


def faq_checksum(question: str, details: str, answer: str) -> str:
    return hashlib.sha256(f"{question}\n{details}\n{answer}".encode()).hexdigest()


def faq_document(doc_id: str, question: str, details: str, answer: str) -> ParsedDocument:
    """The entry as a document: the question is the title, details and answer its sections."""
    sections = [Section((QUESTION_HEADING,), details)] if details else []
    sections.append(Section((ANSWER_HEADING,), answer))
    return ParsedDocument(
        doc_id=doc_id,
        title=question,
        sections=tuple(sections),
        checksum=faq_checksum(question, details, answer),
        source_format="faq",
        size_bytes=len(f"{question}{details}{answer}".encode()),
    )


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


@dataclass
class _Cluster:
    terms: frozenset[str]
    """The first ticket's terms: later tickets are compared with it, so clusters cannot drift."""
    cases: list[tuple[TicketCase, str, str, str, int]]


def similar(a: frozenset[str], b: frozenset[str], threshold: float = MERGE_THRESHOLD) -> bool:
    return _jaccard(a, b) >= threshold


def build_faqs(
    cases: Sequence[TicketCase], analyzer: Analyzer, *, threshold: float = MERGE_THRESHOLD
) -> list[FaqCandidate]:
    """One candidate per cluster of near-duplicate tickets, in order of each cluster's first ticket."""
    clusters: list[_Cluster] = []
    ordered = sorted(
        cases, key=lambda c: (c.resolved_at or dt.datetime.max.replace(tzinfo=dt.UTC), c.ticket_id)
    )
    for case in ordered:
        session = MaskSession()
        question = mask(" ".join(case.subject.split()), session)
        details = mask(" ".join((case.description or "").split()), session)
        answer = mask(case.resolution.strip(), session)
        if details == question:
            details = ""
        terms = frozenset(analyzer.terms(f"{question} {details}"))
        item = (case, question, details, answer, len(session))
        for cluster in clusters:
            if similar(terms, cluster.terms, threshold):
                cluster.cases.append(item)
                break
        else:
            clusters.append(_Cluster(terms, [item]))
    candidates = []
    for cluster in clusters:
        first = cluster.cases[0]
        candidates.append(
            FaqCandidate(
                question=first[1],
                details=first[2],
                answer=max((item[3] for item in cluster.cases), key=len),
                ticket_ids=tuple(sorted(item[0].ticket_id for item in cluster.cases)),
                category=first[0].category,
                masked_items=sum(item[4] for item in cluster.cases),
            )
        )
    return candidates
