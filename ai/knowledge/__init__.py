"""The knowledge hub: MarFanet's documents and approved ticket FAQs, searchable in Persian.

Pieces, bottom up: :mod:`loaders` (files → sections), :mod:`prepare` (PII masking, heading-aware
chunking, injection flags), :mod:`analysis` (Persian tokens for BM25, glossary, glosses),
:mod:`store` (chunks and the BM25 index on disk), :mod:`embeddings` and :mod:`vectors` (dense side,
Chroma), :mod:`hub` (hybrid retrieval with reciprocal-rank fusion), then the features built on it:
:mod:`answer` (/ask), :mod:`troubleshoot` (/fix), :mod:`drafting` (/draft) and :mod:`faq`
(ticket-derived entries). :mod:`evaluate` measures retrieval quality. docs/knowledge.md explains the
whole; nothing here imports from crm, bot or jobs.
"""

from ai.knowledge.hub import HubSettings, HubStatus, KnowledgeHub, SearchResult
from ai.knowledge.types import SEARCH_MODES, Chunk, ParsedDocument, SearchHit, SearchMode, Section

__all__ = [
    "SEARCH_MODES",
    "Chunk",
    "HubSettings",
    "HubStatus",
    "KnowledgeHub",
    "ParsedDocument",
    "SearchHit",
    "SearchMode",
    "SearchResult",
    "Section",
]
