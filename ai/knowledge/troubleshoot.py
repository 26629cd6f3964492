"""``/fix``: a step-by-step diagnostic path built from the troubleshooting documents.

Offline, the path is the documents' own ordered steps: the numbered list of the section the best
passage belongs to (or the document's first list of at least three steps), then a few steps from the
next relevant document as "if that did not help". The LLM engine (template ``kb_fix``) may merge and
reorder steps across passages, but every step must name a given source.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence

from pydantic import BaseModel

from ai.action_guard import action_problems
from ai.knowledge.hub import KnowledgeHub, query_words
from ai.knowledge.matching import matching_hits
from ai.knowledge.passages import Citation, Source, context_section, number_sources, trim, vouched_hosts
from ai.knowledge.types import Chunk
from ai.llm import OFFLINE_ENGINE, AIResult, LLMGateway, LLMInvalidOutput, run_with_fallback
from ai.llm.gateway import GatewayResult
from ai.prompts import load_template
from ai.text.injection import looks_like_instruction
from ai.text.language import LANGUAGE_NAMES, Language

_STEP = re.compile(r"^\s*([0-9۰-۹]{1,2})[.)\-]\s+(.+)$")
MAX_MAIN_STEPS = 8
MAX_EXTRA_STEPS = 3
MIN_LIST_STEPS = 3
MAX_SOURCES = 3
SEARCH_K = 8


class DiagnosticStep(BaseModel):
    text: str
    source: int
    fallback: bool = False
    """True for steps from a second document, to try if the main path did not help."""


class DiagnosticPath(BaseModel):
    problem: str
    steps: list[DiagnosticStep]
    citations: list[Citation]
    found: bool
    confidence: float = 0.0


class LLMStep(BaseModel):
    text: str
    source: int


class LLMPath(BaseModel):
    steps: list[LLMStep]
    found: bool = True


def ordered_lists(chunks: Sequence[Chunk]) -> list[tuple[tuple[str, ...], list[str]]]:
    """Numbered steps per heading path, in document order, without the overlap duplicates."""
    lists: dict[tuple[str, ...], list[str]] = {}
    for chunk in chunks:
        steps = lists.setdefault(chunk.headings, [])
        for line in chunk.text.splitlines():
            match = _STEP.match(line)
            if match and match.group(2).strip() not in steps:
                steps.append(match.group(2).strip())
    return [(headings, steps) for headings, steps in lists.items() if steps]


def _steps_for(source: Source, chunks: Sequence[Chunk]) -> list[str]:
    lists = ordered_lists(chunks)
    hit_headings = [hit.chunk.headings for hit in source.hits]
    for headings in hit_headings:
        for list_headings, steps in lists:
            if list_headings == headings and len(steps) >= MIN_LIST_STEPS:
                return steps
    return next((steps for _, steps in lists if len(steps) >= MIN_LIST_STEPS), [])


def offline_path(
    problem: str, sources: Sequence[Source], hub: KnowledgeHub, confidence: float
) -> DiagnosticPath:
    steps: list[DiagnosticStep] = []
    cited: list[Citation] = []
    for source in sources:
        found = [s for s in _steps_for(source, hub.document(source.doc_id)) if not looks_like_instruction(s)]
        if not found:
            continue
        fallback = bool(steps)
        limit = MAX_EXTRA_STEPS if fallback else MAX_MAIN_STEPS
        steps.extend(DiagnosticStep(text=trim(s), source=source.n, fallback=fallback) for s in found[:limit])
        cited.append(source.citation())
        if fallback:
            break
    return DiagnosticPath(
        problem=problem, steps=steps, citations=cited, found=bool(steps), confidence=confidence
    )


async def diagnose(
    hub: KnowledgeHub,
    problem: str,
    *,
    gateway: LLMGateway | None = None,
    min_confidence: float = 0.35,
    language: Language = "fa",
) -> AIResult[DiagnosticPath]:
    if not query_words(problem):
        return AIResult(
            DiagnosticPath(problem=problem, steps=[], citations=[], found=False),
            OFFLINE_ENGINE,
            None,
            None,
            None,
        )
    result = await asyncio.to_thread(hub.search, problem, SEARCH_K, "hybrid", expand=True)
    sources = number_sources(matching_hits(problem, result.hits), MAX_SOURCES)
    if result.confidence < min_confidence or not sources:
        empty = DiagnosticPath(
            problem=problem,
            steps=[],
            citations=[s.citation() for s in sources],
            found=False,
            confidence=result.confidence,
        )
        return AIResult(empty, OFFLINE_ENGINE, None, None, None)

    async def llm() -> GatewayResult[DiagnosticPath]:
        assert gateway is not None
        reply = await gateway.complete_json(
            load_template("kb_fix"),
            {
                "problem": problem,
                "language": LANGUAGE_NAMES[language],
                "passages": context_section("passages", sources),
            },
            LLMPath,
            check=lambda path: action_problems(
                [step.text for step in path.steps], audience="agent", trusted=vouched_hosts(sources)
            ),
        )
        by_number = {source.n: source for source in sources}
        allowed = {int(n) for n in reply.evidence_ids if n.isdigit()} & set(by_number)
        kept = [step for step in reply.value.steps if step.source in allowed and step.text.strip()]
        if reply.value.found and not kept:
            raise LLMInvalidOutput("no step cites a given passage")

        def convert(value: LLMPath) -> DiagnosticPath:
            numbers = list(dict.fromkeys(step.source for step in kept))
            return DiagnosticPath(
                problem=problem,
                steps=[DiagnosticStep(text=trim(step.text), source=step.source) for step in kept],
                citations=[by_number[n].citation() for n in numbers],
                found=bool(kept),
                confidence=result.confidence,
            )

        return reply.map(convert)

    use_llm = gateway is not None and gateway.config.enabled
    return await run_with_fallback(
        llm if use_llm else None, lambda: offline_path(problem, sources, hub, result.confidence)
    )
