"""Placeholders: assigning them per request, putting text in and taking it back out."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from ai.pii.base import PLACEHOLDER_PATTERN, Claims, PiiKind, PiiMatch
from ai.pii.identities import claim_identities
from ai.pii.names import NameFinder, NameForm, PersonName
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
    """Placeholder assignments for one request; never shared between requests.

    ``names`` are the people whose names the request's text may hold: they are pseudonymised too
    (:mod:`ai.pii.names`). A placeholder counts as part of the request once :func:`mask` has used it.
    """

    names: Sequence[PersonName] = ()
    _by_value: dict[tuple[PiiKind, str], str] = field(default_factory=dict)
    _originals: dict[str, str] = field(default_factory=dict)
    _counters: dict[PiiKind, int] = field(default_factory=dict)
    _finder: NameFinder = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._finder = NameFinder(self.names)

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

    def name_placeholder(self, form: NameForm) -> str:
        self._originals.setdefault(form.placeholder, form.original)
        return form.placeholder

    def name_spans(self, text: str) -> Iterator[tuple[int, int, NameForm]]:
        return self._finder.spans(text)

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


def _mask_names(text: str, session: MaskSession) -> str:
    pieces: list[str] = []
    cursor = 0
    for start, end, form in session.name_spans(text):
        pieces += [text[cursor:start], session.name_placeholder(form)]
        cursor = end
    if not pieces:
        return text
    pieces.append(text[cursor:])
    return "".join(pieces)


def mask(text: str, session: MaskSession) -> str:
    """``text`` with every personal-data span, and every form of the session's names, replaced by its
    session placeholder. Names are looked for only outside the personal-data spans, so an email such
    as ``ali.rezaei@…`` stays one ``[EMAIL_1]``.

    Placeholder look-alikes already in the text (``[PHONE_1]``, ``[REP_NAME_1]`` typed by someone)
    become ``(PHONE_1)``, so a forged placeholder cannot be turned into a real value by :func:`unmask`.
    """
    text = _defuse_lookalikes(text)
    pieces: list[str] = []
    cursor = 0
    for match in find_pii(text):
        pieces.append(_mask_names(text[cursor : match.start], session))
        pieces.append(session.placeholder_for(match.kind, match.canonical, text[match.start : match.end]))
        cursor = match.end
    pieces.append(_mask_names(text[cursor:], session))
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
