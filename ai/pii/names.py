"""People's names as pseudonyms: the names a call declares are replaced in every input, then restored.

A feature that sends someone's name to a model declares whose names its inputs may hold
(``complete_json(..., names=[PersonName("REP", rep.full_name), PersonName("AGENT", agent_name)])``).
Each person gets a number within their role and up to three placeholders that share it: the full name
(``[REP_NAME_1]``), the given name alone (``[REP_FIRST_NAME_1]``: every word but the last, leading
titles such as «سید» or «آقای» left out) and the surname alone (``[REP_SURNAME_1]``: the last word).
A one-word name has only the first. Two people with the same spelling of a form share its placeholder
(the first declared names it), so restoring is never ambiguous.

A name is found however it is typed: letters people use interchangeably (ی/ي/ى/ئ, ک/ك, ا/أ/إ/آ/ٱ,
و/ؤ, ه/ة/ۀ, as :func:`ai.text.persian.fold` merges them), diacritics, tatweel, hamza and direction
marks between its letters, Latin letters in any case, and a space, ZWNJ or nothing between two of its
words or inside one: a compound name is written whole, with a ZWNJ or with a space, whatever the
CRM's spelling («محمدحسین», «محمد‌حسین», «محمد حسین»). It must be a word of its own: «علی» is not
found inside «علیرضا», nor «محمدحسین» in «محمدحسینی». A suffix after a ZWNJ («علی‌جان», «رضایی‌ها»),
or one of a few common ones written without it («علیجان», «رضاییها»), stays outside the placeholder
and so survives the round trip.

Restoring puts back the CRM's spelling (normalised), whichever spelling the input had.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final, Literal

from ai.pii.base import NameKind
from ai.text.persian import fold, normalize

NameRole = Literal["REP", "AGENT"]
"""A representative, or a CRT agent."""

_KINDS: Final[dict[NameRole, tuple[NameKind, NameKind, NameKind]]] = {
    "REP": ("REP_NAME", "REP_FIRST_NAME", "REP_SURNAME"),
    "AGENT": ("AGENT_NAME", "AGENT_FIRST_NAME", "AGENT_SURNAME"),
}
_TITLES: Final = frozenset(
    fold(title)
    for title in (
        "سید", "سیده", "آقا", "آقای", "خانم", "حاج", "حاجی", "دکتر", "مهندس", "استاد",
        "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "miss", "dr", "dr.",
    )
)  # fmt: skip
"""Words that say how someone is addressed, not who they are: never a name part on their own."""
_SAME_LETTER: Final = {"ی": "یيىئ", "ک": "کك", "ا": "اأإآٱ", "و": "وؤ", "ه": "هةۀ"}
_MARKS: Final = "[\u064b-\u065f\u0670\u0640\u0654\u0621\u200e\u200f]*"
_BETWEEN_LETTERS: Final = f"{_MARKS}(?:[ \u00a0\u200c]{_MARKS})?"
"""Diacritics, tatweel, hamza, direction marks, and one space or ZWNJ: compound names are written
whole, with a ZWNJ or with a space whatever the CRM's spelling («محمدحسین», «محمد‌حسین», «محمد حسین»)."""
_BETWEEN_WORDS: Final = "[ \t\u00a0\u200b\u200c\u200e\u200f\u202f]*"
_SUFFIXES_WITHOUT_ZWNJ: Final = ("های", "جان", "ها")
MIN_LETTERS: Final = 2


@dataclass(frozen=True, slots=True)
class PersonName:
    """Someone whose name a call's inputs may hold, as the CRM spells it. ``None`` or blank hides
    nothing, so a record without an agent needs no special case."""

    role: NameRole
    full_name: str | None


@dataclass(frozen=True, slots=True)
class NameForm:
    placeholder: str
    original: str
    """What restoring puts back: the CRM's spelling of this form."""


def _letter(char: str) -> str:
    variants = _SAME_LETTER.get(char)
    return f"[{variants}]" if variants else re.escape(char)


def _word(folded_word: str) -> str:
    return _BETWEEN_LETTERS.join(_letter(char) for char in folded_word)


def _form_pattern(folded: str) -> str:
    return _BETWEEN_WORDS.join(_word(word) for word in folded.split(" "))


_AFTER: Final = "(?=(?:" + "|".join(_word(fold(s)) for s in _SUFFIXES_WITHOUT_ZWNJ) + r")?(?!\w))"


def _parts(person: PersonName, number: int) -> list[tuple[str, NameForm]]:
    """(folded key, form) for the full name, then the given name and the surname when there are two."""
    words = normalize(person.full_name or "").split()
    full_kind, first_kind, surname_kind = _KINDS[person.role]
    candidates = [(words, full_kind)]
    core = list(words)
    while core and fold(core[0]) in _TITLES:
        core.pop(0)
    if len(core) >= 2:
        candidates += [(core[:-1], first_kind), (core[-1:], surname_kind)]
    parts = []
    for part, kind in candidates:
        original = " ".join(part)
        key = fold(original)
        if len(key.replace(" ", "")) >= MIN_LETTERS and key not in _TITLES:
            parts.append((key, NameForm(f"[{kind}_{number}]", original)))
    return parts


class NameFinder:
    """Every form of every declared name in one pattern, longest first, so a full name is taken whole
    rather than as its first name followed by its surname."""

    def __init__(self, people: Iterable[PersonName]) -> None:
        forms: dict[str, NameForm] = {}
        counters: dict[NameRole, int] = {}
        for person in people:
            number = counters.get(person.role, 0) + 1
            parts = [(key, form) for key, form in _parts(person, number) if key not in forms]
            if not parts:
                continue  # blank, or spelled like someone declared before
            counters[person.role] = number
            forms.update(parts)
        keys = sorted(forms, key=len, reverse=True)
        self._forms = [forms[key] for key in keys]
        alternatives = "|".join(f"(?P<f{i}>{_form_pattern(key)})" for i, key in enumerate(keys))
        self._pattern = re.compile(rf"(?<!\w)(?:{alternatives}){_AFTER}", re.IGNORECASE) if keys else None

    def spans(self, text: str) -> Iterator[tuple[int, int, NameForm]]:
        if self._pattern is None or not text:
            return
        for match in self._pattern.finditer(text):
            group = match.lastgroup
            assert group is not None
            yield match.start(), match.end(), self._forms[int(group[1:])]
