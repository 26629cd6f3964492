"""Which search hits may answer a query about a named ISP or client app: a document about another one
never does (an Asiatech problem gets no Irancell guide), and one about the same one comes first."""

from __future__ import annotations

from collections.abc import Sequence

from ai.knowledge.types import SearchHit
from ai.text.entities import conflicts, mentions


def document_names(hit: SearchHit) -> frozenset[str]:
    """What a hit's document is about: the names in its title and headings."""
    return mentions(" ".join((hit.chunk.title, *hit.chunk.headings)))


def matching_hits(query: str, hits: Sequence[SearchHit]) -> list[SearchHit]:
    """``hits`` without those about another ISP or client than the query names; hits about the
    query's own names first, then general ones, each group in search order."""
    asked = mentions(query)
    if not asked:
        return list(hits)
    kept = [hit for hit in hits if not conflicts(asked, document_names(hit))]
    return sorted(kept, key=lambda hit: not asked <= document_names(hit))
