"""Context packing: fit prioritised records into a token budget without ever cutting one in half.

Callers describe what a prompt may see as :class:`ContextSection` objects. A section holds records
(an interaction, a ticket, a retrieved chunk), each optionally carrying the id the model must cite as
evidence. :func:`pack` fills the budget section by section:

* required sections first (they are never trimmed; if they alone exceed the budget that is a caller
  bug and :class:`ContextBudgetExceeded` is raised), then the others by ascending ``priority``
  (``0`` is the most important), ties in the order given;
* within a section, records in the order given (put the most relevant first); a record that does
  not fit is dropped whole and later, smaller records may still fit;
* a section that lost records ends with ``[… N records omitted for budget]``.

Token counts are a conservative estimate (no tokenizer dependency): ASCII text at three characters
per token, everything else (Persian, Arabic, emoji) at two. Real tokenizers do better on both, so
a packed context never overruns the provider's count.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

RECORD_SEPARATOR = "\n"


def estimate_tokens(text: str) -> int:
    """Conservative token estimate: ASCII at 3 chars/token, other scripts at 2 chars/token."""
    if not text:
        return 0
    ascii_chars = len(text.encode("ascii", "ignore"))
    return math.ceil(ascii_chars / 3 + (len(text) - ascii_chars) / 2)


def omission_marker(count: int) -> str:
    return f"[… {count} records omitted for budget]"


@dataclass(frozen=True)
class ContextRecord:
    text: str
    id: str | None = None

    def render(self) -> str:
        return self.text if self.id is None else f"[{self.id}] {self.text}"


@dataclass(frozen=True)
class ContextSection:
    """A named group of records; lower ``priority`` is packed first; ``required`` is never trimmed."""

    name: str
    priority: int
    records: Sequence[ContextRecord | str]
    required: bool = False

    def normalized_records(self) -> tuple[ContextRecord, ...]:
        return tuple(
            item if isinstance(item, ContextRecord) else ContextRecord(item) for item in self.records
        )


@dataclass(frozen=True)
class PackedSection:
    name: str
    text: str
    kept: tuple[ContextRecord, ...]
    omitted: tuple[ContextRecord, ...]
    tokens: int

    @property
    def kept_ids(self) -> tuple[str, ...]:
        return tuple(record.id for record in self.kept if record.id is not None)


@dataclass(frozen=True)
class PackedContext:
    sections: Mapping[str, PackedSection]
    budget_tokens: int
    used_tokens: int

    @property
    def kept_ids(self) -> frozenset[str]:
        """Ids the model actually saw: the only ones it may cite as evidence."""
        return frozenset(record_id for section in self.sections.values() for record_id in section.kept_ids)

    @property
    def omitted_count(self) -> int:
        return sum(len(section.omitted) for section in self.sections.values())


class ContextBudgetExceeded(ValueError):
    """Required sections alone do not fit the budget: the caller asked for the impossible."""


def _packing_order(sections: Sequence[ContextSection]) -> list[ContextSection]:
    indexed = list(enumerate(sections))
    indexed.sort(key=lambda item: (not item[1].required, item[1].priority, item[0]))
    return [section for _, section in indexed]


def _pack_required(section: ContextSection, remaining: int) -> PackedSection:
    records = section.normalized_records()
    text = RECORD_SEPARATOR.join(record.render() for record in records)
    tokens = estimate_tokens(text)
    if tokens > remaining:
        raise ContextBudgetExceeded(
            f"required section {section.name!r} needs ~{tokens} tokens, only {remaining} left"
        )
    return PackedSection(section.name, text, records, (), tokens)


def _pack_optional(section: ContextSection, remaining: int) -> PackedSection:
    records = section.normalized_records()
    # Reserve room for the omission marker up front; it is released if nothing gets dropped.
    reserve = estimate_tokens(RECORD_SEPARATOR + omission_marker(len(records)))
    available = remaining - reserve
    kept: list[ContextRecord] = []
    omitted: list[ContextRecord] = []
    used = 0
    for record in records:
        cost = estimate_tokens(record.render()) + (estimate_tokens(RECORD_SEPARATOR) if kept else 0)
        if used + cost <= available:
            kept.append(record)
            used += cost
        else:
            omitted.append(record)
    lines = [record.render() for record in kept]
    if omitted:
        if remaining < estimate_tokens(omission_marker(len(omitted))):
            return PackedSection(section.name, "", (), tuple(records), 0)
        lines.append(omission_marker(len(omitted)))
    text = RECORD_SEPARATOR.join(lines)
    return PackedSection(section.name, text, tuple(kept), tuple(omitted), estimate_tokens(text))


def pack(sections: Iterable[ContextSection], budget_tokens: int) -> PackedContext:
    """Fit ``sections`` into ``budget_tokens``; the result keeps the callers' section order."""
    ordered_input = list(sections)
    names = [section.name for section in ordered_input]
    if len(set(names)) != len(names):
        raise ValueError(f"section names must be unique: {names}")
    if budget_tokens < 0:
        raise ValueError("budget_tokens must not be negative")
    packed: dict[str, PackedSection] = {}
    remaining = budget_tokens
    for section in _packing_order(ordered_input):
        if section.required:
            result = _pack_required(section, remaining)
        else:
            result = _pack_optional(section, remaining)
        packed[section.name] = result
        remaining -= result.tokens
    in_caller_order = {name: packed[name] for name in names}
    return PackedContext(in_caller_order, budget_tokens, budget_tokens - remaining)
