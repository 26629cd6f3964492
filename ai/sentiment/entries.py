"""The lexicon files as data: entry types and the parsers for the three readable text files.

``lexicon_fa.txt`` holds cues (polarity, emotions, signals), ``modifiers_fa.txt`` the words that
change other cues (negators, intensifiers, «ولی»…), ``finglish.txt`` Latin spellings. Phrases are
tokenised exactly like the input, so spelling variants (ZWNJ, spaces, ي/ی) never need listing twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final, Literal, cast, get_args

from ai.sentiment.schema import EMOTIONS, SIGNALS, Emotion, Signal
from ai.sentiment.text import tokenize

EntryKind = Literal[
    "cue",
    "negate_after",
    "negate_before",
    "intensify",
    "repeat",
    "diminish",
    "contrast",
    "shift",
    "concede",
    "sarcasm",
    "question",
    "no_stem",
]
SECTIONS: Final = frozenset(get_args(EntryKind)) - {"cue"}


class LexiconError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    segments: tuple[tuple[str, ...], ...]  # contiguous runs of keys, separated by gaps
    kind: EntryKind
    valence: float = 0.0
    emotions: tuple[tuple[Emotion, float], ...] = ()
    signals: tuple[Signal, ...] = ()
    tags: frozenset[str] = frozenset()
    factor: float = 1.0
    alone: float = 0.0  # a modifier's own valence when it modifies nothing
    size: int = field(init=False)  # number of words matched (gaps excluded)

    def __post_init__(self) -> None:
        object.__setattr__(self, "size", sum(len(s) for s in self.segments))


def _segments(phrase: str) -> tuple[tuple[str, ...], ...]:
    parts = [p for p in re.split(r"\s\*\s|^\*\s|\s\*$", phrase) if p.strip()]
    segs = tuple(tuple(t.key for t in tokenize(p)) for p in parts)
    if not segs or any(not s for s in segs):
        raise LexiconError(f"phrase tokenises to nothing: {phrase!r}")
    return segs


def _name(phrase: str) -> str:
    return " * ".join(" ".join(seg) for seg in _segments(phrase))


def _emotions(field_: str, line: str) -> tuple[tuple[Emotion, float], ...]:
    out: list[tuple[Emotion, float]] = []
    for item in filter(None, (x.strip() for x in field_.split(","))):
        name, _, weight = item.partition(":")
        if name not in EMOTIONS:
            raise LexiconError(f"unknown emotion {name!r} in {line!r}")
        out.append((name, float(weight) if weight else 1.0))
    return tuple(out)


def _signals(field_: str, line: str) -> tuple[Signal, ...]:
    names = [x.strip() for x in field_.split(",") if x.strip()]
    for name in names:
        if name not in SIGNALS:
            raise LexiconError(f"unknown signal {name!r} in {line!r}")
    return tuple(cast(Signal, n) for n in names)


def _lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]


def parse_cues(text: str) -> list[Entry]:
    entries: list[Entry] = []
    for line in _lines(text):
        cols = [c.strip() for c in line.split("|")]
        if len(cols) != 5:
            raise LexiconError(f"expected 5 columns: {line!r}")
        phrase, valence, emotions, signals, tags = cols
        entries.append(
            Entry(
                name=_name(phrase),
                segments=_segments(phrase),
                kind="cue",
                valence=float(valence),
                emotions=_emotions(emotions, line),
                signals=_signals(signals, line),
                tags=frozenset(t for t in tags.split(",") if t),
            )
        )
    return entries


def parse_modifiers(text: str) -> list[Entry]:
    entries: list[Entry] = []
    section: EntryKind | None = None
    for line in _lines(text):
        if line.startswith("["):
            name = line.strip("[]")
            if name not in SECTIONS:
                raise LexiconError(f"unknown section {line!r}")
            section = cast(EntryKind, name)
            continue
        if section is None:
            raise LexiconError(f"entry before any section: {line!r}")
        cols = [c.strip() for c in line.split("|")]
        if len(cols) not in (2, 3):
            raise LexiconError(f"expected «phrase | factor [| valence alone]»: {line!r}")
        alone = float(cols[2]) if len(cols) == 3 else 0.0
        entries.append(Entry(_name(cols[0]), _segments(cols[0]), section, factor=float(cols[1]), alone=alone))
    return entries


def latin_key(word: str) -> str:
    """Canonical Finglish spelling: «Kheyliii» → «kheili», «ghateh» → «ghate», «mamnoon» → «mamnon»."""
    w = word.lower().replace("y", "i").replace("q", "gh").replace("w", "v")
    w = re.sub(r"(.)\1+", r"\1", w)
    if len(w) > 3 and w.endswith("h") and w[-2] in "ae":
        w = w[:-1]
    return w


def parse_finglish(text: str) -> dict[str, tuple[str, ...]]:
    table: dict[str, tuple[str, ...]] = {}
    for line in _lines(text):
        latin, _, persian = (c.strip() for c in line.partition("|"))
        if not latin or not persian:
            raise LexiconError(f"expected «latin | persian»: {line!r}")
        table[latin_key(latin)] = tuple(t.key for t in tokenize(persian))
    return table
