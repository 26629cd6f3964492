"""Plain data shared by the knowledge hub: parsed documents, chunks and search hits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

SearchMode = Literal["hybrid", "dense", "lexical"]
SEARCH_MODES: tuple[SearchMode, ...] = ("hybrid", "dense", "lexical")
HEADING_SEPARATOR = " › "


@dataclass(frozen=True, slots=True)
class Section:
    """A run of body text under one heading path (``()`` = before the first heading)."""

    headings: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class ParsedDocument:
    """One source document, read and split into sections; ``doc_id`` is its path under the root."""

    doc_id: str
    title: str
    sections: tuple[Section, ...]
    checksum: str
    source_format: str
    size_bytes: int


@dataclass(frozen=True, slots=True)
class Chunk:
    """A retrievable passage. ``text`` is the display text (PII-masked, otherwise as written)."""

    chunk_id: str
    doc_id: str
    ordinal: int
    title: str
    headings: tuple[str, ...]
    text: str
    flagged: bool = False
    """The passage contains instruction-like text (kept as data, defanged when quoted to a model)."""

    @property
    def heading_path(self) -> str:
        return HEADING_SEPARATOR.join(self.headings)

    def indexed_text(self) -> str:
        """What retrieval sees: title and heading path give every passage its document's context."""
        return "\n".join(part for part in (self.title, self.heading_path, self.text) if part)

    def to_json(self) -> dict[str, Any]:
        return {
            "chunk_id": self.chunk_id,
            "doc_id": self.doc_id,
            "ordinal": self.ordinal,
            "title": self.title,
            "headings": list(self.headings),
            "text": self.text,
            "flagged": self.flagged,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Chunk:
        return cls(
            chunk_id=str(data["chunk_id"]),
            doc_id=str(data["doc_id"]),
            ordinal=int(data["ordinal"]),
            title=str(data["title"]),
            headings=tuple(str(h) for h in data.get("headings", ())),
            text=str(data["text"]),
            flagged=bool(data.get("flagged", False)),
        )


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One ranked passage. Ranks are 1-based positions in each retriever's list (None = not listed)."""

    chunk: Chunk
    score: float
    dense_rank: int | None = None
    lexical_rank: int | None = None
    context: tuple[Chunk, ...] = field(default=())
    """The passage with its neighbours in document order (neighbour expansion), else empty."""

    def passage(self) -> str:
        """The hit's text, with its neighbours when expansion was asked for."""
        if not self.context:
            return self.chunk.text
        return "\n".join(chunk.text for chunk in self.context)
