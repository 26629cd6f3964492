"""Heading-aware chunking sized by tokens, with overlap.

A chunk never spans two sections, so every chunk has one heading path. Inside a section the text is
cut into units (a list item, a line, or a sentence of a paragraph) and units are packed greedily up
to ``max_tokens``; the next chunk starts with the previous chunk's trailing units worth at most
``overlap_tokens``. A single unit longer than ``max_tokens`` is cut by words.

Tokens are whitespace-separated words: the unit BM25 indexes, independent of which embedding model
is loaded, so chunk ids stay stable when the model changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ai.knowledge.types import Chunk, ParsedDocument

DEFAULT_MAX_TOKENS = 120
DEFAULT_OVERLAP_TOKENS = 24

_LIST_ITEM = re.compile(r"^\s*(?:[-*•]|[0-9۰-۹]{1,3}[.)\-])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?؟…])\s+")


@dataclass(frozen=True, slots=True)
class _Unit:
    text: str
    tokens: int
    new_line: bool


def count_tokens(text: str) -> int:
    return len(text.split())


def _units(section_text: str) -> list[_Unit]:
    units: list[_Unit] = []
    for paragraph in re.split(r"\n\s*\n", section_text):
        for line in paragraph.splitlines():
            line = line.strip()
            if not line:
                continue
            pieces = [line] if _LIST_ITEM.match(line) else _SENTENCE_END.split(line)
            for piece_index, piece in enumerate(pieces):
                piece = piece.strip()
                if piece:
                    units.append(_Unit(piece, count_tokens(piece), new_line=piece_index == 0))
    return units


def _split_long(unit: _Unit, max_tokens: int, overlap: int) -> list[_Unit]:
    words = unit.text.split()
    step = max(1, max_tokens - overlap)
    pieces = []
    for start in range(0, len(words), step):
        window = words[start : start + max_tokens]
        pieces.append(_Unit(" ".join(window), len(window), start == 0 and unit.new_line))
        if start + max_tokens >= len(words):
            break
    return pieces


def _join(units: list[_Unit]) -> str:
    parts: list[str] = []
    for index, unit in enumerate(units):
        if index:
            parts.append("\n" if unit.new_line else " ")
        parts.append(unit.text)
    return "".join(parts)


def _pack(units: list[_Unit], max_tokens: int, overlap: int) -> list[str]:
    chunks: list[str] = []
    current: list[_Unit] = []
    size = 0
    fresh = 0  # units in `current` that no earlier chunk has shown
    for unit in units:
        if current and size + unit.tokens > max_tokens and fresh:
            chunks.append(_join(current))
            carried: list[_Unit] = []
            carried_size = 0
            for previous in reversed(current):
                if carried_size + previous.tokens > overlap:
                    break
                carried.insert(0, previous)
                carried_size += previous.tokens
            current, size, fresh = carried, carried_size, 0
        current.append(unit)
        size += unit.tokens
        fresh += 1
    if current and fresh:
        chunks.append(_join(current))
    return chunks


def chunk_document(
    document: ParsedDocument,
    *,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    overlap_tokens: int = DEFAULT_OVERLAP_TOKENS,
) -> list[Chunk]:
    """Split ``document`` into chunks with ids ``<doc_id>#<ordinal>`` in reading order."""
    if max_tokens < 1 or not 0 <= overlap_tokens < max_tokens:
        raise ValueError("need max_tokens >= 1 and 0 <= overlap_tokens < max_tokens")
    chunks: list[Chunk] = []
    for section in document.sections:
        units: list[_Unit] = []
        for unit in _units(section.text):
            if unit.tokens > max_tokens:
                units.extend(_split_long(unit, max_tokens, overlap_tokens))
            else:
                units.append(unit)
        for text in _pack(units, max_tokens, overlap_tokens):
            ordinal = len(chunks)
            chunks.append(
                Chunk(
                    chunk_id=f"{document.doc_id}#{ordinal}",
                    doc_id=document.doc_id,
                    ordinal=ordinal,
                    title=document.title,
                    headings=section.headings,
                    text=text,
                )
            )
    return chunks
