"""Answers to an agent's question, with numbered citations to knowledge documents.

Both engines answer only from retrieved passages:

* offline (extractive): the most relevant sentences of the best documents, trimmed, each followed
  by its source number; instruction-like sentences are never quoted;
* LLM (template ``kb_answer`` through the gateway): passages are quoted as data blocks, defanged;
  citation numbers that name no given source are removed, and an answer left without any valid
  citation is rejected (the offline engine answers instead).

Before either engine runs, a retrieval-confidence gate (:meth:`KnowledgeHub.confidence`) turns
questions the knowledge does not cover into an honest "I don't know" plus the nearest documents.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from pydantic import BaseModel

from ai.action_guard import action_problems
from ai.knowledge.hub import KnowledgeHub, query_words
from ai.knowledge.passages import (
    Citation,
    Source,
    clean_citations,
    context_section,
    number_sources,
    relevance,
    sentences,
    trim,
    usable,
    vouched_hosts,
)
from ai.llm import OFFLINE_ENGINE, AIResult, LLMGateway, LLMInvalidOutput, run_with_fallback
from ai.llm.gateway import GatewayResult
from ai.prompts import load_template
from ai.text.language import LANGUAGE_NAMES, Language

MAX_SOURCES = 3
SEARCH_K = 8
SENTENCES_PER_SOURCE = 2
RELATIVE_FLOOR = 0.5
NO_ANSWER_FA = "در مستندات مارفانت پاسخ مطمئنی برای این سؤال پیدا نکردم."


class KnowledgeAnswer(BaseModel):
    question: str
    text: str
    """The answer with [n] markers; empty when ``answered`` is false."""
    citations: list[Citation]
    answered: bool
    nearest: list[Citation] = []
    """When not answered: the closest documents, for the agent to read."""
    confidence: float = 0.0
    mode: str = "hybrid"


class LLMAnswer(BaseModel):
    answer: str
    answerable: bool = True


def _scored_sentences(
    source: Source, weights: dict[str, float], hub: KnowledgeHub
) -> list[tuple[float, int, str]]:
    """(relevance, position, sentence) for each quotable sentence of the source's passages."""
    seen: set[str] = set()
    scored: list[tuple[float, int, str]] = []
    for hit in source.hits:
        for sentence in sentences(hit.passage()):
            if sentence in seen or not usable(sentence):
                continue
            seen.add(sentence)
            scored.append((relevance(sentence, weights, hub.store.analyzer), len(scored), sentence))
    return scored


def extractive(question: str, sources: Sequence[Source], hub: KnowledgeHub) -> tuple[str, list[Citation]]:
    """The best sentences: each at least ``RELATIVE_FLOOR`` of the best one's relevance, at most
    ``SENTENCES_PER_SOURCE`` per document, in document order; a document with none is not cited."""
    weights = hub.term_weights(question)
    per_source = [(source, _scored_sentences(source, weights, hub)) for source in sources]
    best = max((score for _, scored in per_source for score, _, _ in scored), default=0.0)
    if best <= 0:
        return "", []
    lines: list[str] = []
    cited: list[Citation] = []
    for source, scored in per_source:
        strong = [item for item in scored if item[0] >= RELATIVE_FLOOR * best]
        chosen = sorted(
            sorted(strong, key=lambda item: (-item[0], item[1]))[:SENTENCES_PER_SOURCE], key=lambda i: i[1]
        )
        if not chosen:
            continue
        lines.extend(f"• {trim(sentence)} [{source.n}]" for _, _, sentence in chosen)
        cited.append(source.citation())
    return "\n".join(lines), cited


def _nearest(sources: Sequence[Source]) -> list[Citation]:
    return [source.citation() for source in sources]


async def answer(
    hub: KnowledgeHub,
    question: str,
    *,
    gateway: LLMGateway | None = None,
    min_confidence: float = 0.35,
    language: Language = "fa",
) -> AIResult[KnowledgeAnswer]:
    """Answer ``question`` from the knowledge hub; never raises for gateway trouble (falls back).

    The model answers in ``language``; the offline answer is the documents' own (Persian) sentences."""
    if not query_words(question):
        empty = KnowledgeAnswer(question=question, text="", citations=[], answered=False)
        return AIResult(empty, OFFLINE_ENGINE, None, None, None)
    result = await asyncio.to_thread(hub.search, question, SEARCH_K, "hybrid", expand=True)
    sources = number_sources(result.hits, MAX_SOURCES)
    if result.confidence < min_confidence or not sources:
        unanswered = KnowledgeAnswer(
            question=question,
            text="",
            citations=[],
            answered=False,
            nearest=_nearest(sources),
            confidence=result.confidence,
            mode=result.mode,
        )
        return AIResult(unanswered, OFFLINE_ENGINE, None, None, None)

    def offline() -> KnowledgeAnswer:
        text, cited = extractive(question, sources, hub)
        return KnowledgeAnswer(
            question=question,
            text=text,
            citations=cited,
            answered=bool(text),
            nearest=[] if text else _nearest(sources),
            confidence=result.confidence,
            mode=result.mode,
        )

    async def llm() -> GatewayResult[KnowledgeAnswer]:
        assert gateway is not None
        reply = await gateway.complete_json(
            load_template("kb_answer"),
            {
                "question": question,
                "language": LANGUAGE_NAMES[language],
                "passages": context_section("passages", sources),
            },
            LLMAnswer,
            check=lambda value: action_problems(
                [value.answer], audience="agent", trusted=vouched_hosts(sources)
            ),
        )
        by_number = {source.n: source for source in sources}
        allowed = {int(n) for n in reply.evidence_ids if n.isdigit()} & set(by_number)
        text, cited = clean_citations(reply.value.answer, allowed)
        if reply.value.answerable and text and not cited:
            raise LLMInvalidOutput("the answer cites none of the given passages")

        def convert(value: LLMAnswer) -> KnowledgeAnswer:
            answered = value.answerable and bool(text)
            return KnowledgeAnswer(
                question=question,
                text=text if answered else "",
                citations=[by_number[n].citation() for n in cited] if answered else [],
                answered=answered,
                nearest=[] if answered else _nearest(sources),
                confidence=result.confidence,
                mode=result.mode,
            )

        return reply.map(convert)

    use_llm = gateway is not None and gateway.config.enabled
    return await run_with_fallback(llm if use_llm else None, offline)
