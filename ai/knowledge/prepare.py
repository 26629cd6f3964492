"""From a parsed document to the chunks the hub stores: PII masked, chunked, injection flagged."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ai.knowledge.chunking import DEFAULT_MAX_TOKENS, DEFAULT_OVERLAP_TOKENS, chunk_document
from ai.knowledge.types import Chunk, ParsedDocument, Section
from ai.pii import MaskSession, mask
from ai.text.injection import looks_like_instruction


@dataclass(frozen=True)
class PreparedDocument:
    document: ParsedDocument
    chunks: tuple[Chunk, ...]
    masked_items: int
    """Personal-data spans replaced by placeholders before anything reached the store."""

    @property
    def flagged(self) -> bool:
        return any(chunk.flagged for chunk in self.chunks)


def prepare(
    document: ParsedDocument,
    *,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    overlap_tokens: int = DEFAULT_OVERLAP_TOKENS,
) -> PreparedDocument:
    """Mask personal data (one session per document, so a number keeps one placeholder throughout),
    then chunk, then flag chunks that carry instruction-like text."""
    session = MaskSession()
    masked = replace(
        document,
        title=mask(document.title, session),
        sections=tuple(
            Section(tuple(mask(h, session) for h in section.headings), mask(section.text, session))
            for section in document.sections
        ),
    )
    chunks = tuple(
        replace(chunk, flagged=looks_like_instruction(chunk.text))
        for chunk in chunk_document(masked, max_tokens=max_tokens, overlap_tokens=overlap_tokens)
    )
    return PreparedDocument(document=masked, chunks=chunks, masked_items=len(session))
