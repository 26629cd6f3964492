"""Placeholders: assigning them per request, putting text in and taking it back out."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from ai.pii.base import PLACEHOLDER_PATTERN, Claims, PiiKind, PiiMatch
from ai.pii.identities import claim_identities
from ai.pii.numbers import claim_numbers
from ai.text.persian import to_ascii_digits


def find_pii(text: str) -> list[PiiMatch]:
    """Every personal-data span in ``text``, non-overlapping, in reading order.

    Detectors read the text with ASCII digits: Persian and Arabic-Indic digits translate one code
    point to one code point, so the spans line up with ``text`` as written.
    """
    if not text:
        return []
    readable = to_ascii_digits(text)
    claims = Claims(len(readable))
    claim_identities(readable, claims)
    claim_numbers(readable, claims)
    return sorted(claims.matches, key=lambda match: match.start)


def contains_pii(text: str) -> bool:
    return bool(find_pii(text))


@dataclass
class MaskSession:
    """Placeholder assignments for one request; never shared between requests."""

    _by_value: dict[tuple[PiiKind, str], str] = field(default_factory=dict)
    _originals: dict[str, str] = field(default_factory=dict)
    _counters: dict[PiiKind, int] = field(default_factory=dict)

    def placeholder_for(self, kind: PiiKind, canonical: str, original: str) -> str:
        key = (kind, canonical)
        existing = self._by_value.get(key)
        if existing is not None:
            return existing
        number = self._counters.get(kind, 0) + 1
        self._counters[kind] = number
        placeholder = f"[{kind}_{number}]"
        self._by_value[key] = placeholder
        self._originals[placeholder] = original
        return placeholder

    def original(self, placeholder: str) -> str | None:
        return self._originals.get(placeholder)

    @property
    def placeholders(self) -> frozenset[str]:
        return frozenset(self._originals)

    def __len__(self) -> int:
        return len(self._originals)


def _defuse_lookalikes(text: str) -> str:
    """Text that already looks like a placeholder is rewritten so unmasking can never touch it."""
    return PLACEHOLDER_PATTERN.sub(lambda match: f"({match.group(1)}_{match.group(2)})", text)


def mask(text: str, session: MaskSession) -> str:
    """``text`` with every personal-data span replaced by its session placeholder.

    Placeholder look-alikes already in the text (``[PHONE_1]`` typed by someone) become ``(PHONE_1)``,
    so a forged placeholder cannot be turned into a real value by :func:`unmask`.
    """
    text = _defuse_lookalikes(text)
    matches = find_pii(text)
    if not matches:
        return text
    pieces: list[str] = []
    cursor = 0
    for match in matches:
        pieces.append(text[cursor : match.start])
        pieces.append(session.placeholder_for(match.kind, match.canonical, text[match.start : match.end]))
        cursor = match.end
    pieces.append(text[cursor:])
    return "".join(pieces)


def unmask(text: str, session: MaskSession) -> str:
    """Put the session's originals back; placeholders the session does not know are left as they are."""

    def restore(match: re.Match[str]) -> str:
        original = session.original(match.group(0))
        return match.group(0) if original is None else original

    return PLACEHOLDER_PATTERN.sub(restore, text)


def placeholders_in(text: str) -> Iterator[str]:
    for match in PLACEHOLDER_PATTERN.finditer(text):
        yield match.group(0)
