"""Tokenising CRM text while remembering where every token came from in the original string.

Matching happens on folded text (:func:`ai.text.persian.fold`: Arabic letter variants, digits, ZWNJ
and case all unified), but evidence must point into the text the agent sees. So folding is done one
character at a time, and every folded character keeps the index of the original character it came
from. Tokens then carry ``start``/``end`` offsets into the original input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

from ai.text.persian import ZWNJ, fold

TokenKind = Literal["word", "latin", "number", "emoji", "bang", "question", "stop", "comma"]

# Work is capped: a 50,000-character paste is analysed on its first MAX_CHARS characters.
MAX_CHARS: Final = 3000

_EMOJI = "\U0001f300-\U0001faff\u2600-\u27bf\u2b50\u2b55\u203c\u2049"
_TOKEN = re.compile(
    rf"(?P<emoji>[{_EMOJI}])"
    r"|(?P<latin>[a-z][a-z0-9]*)"
    r"|(?P<number>[0-9]+)"
    r"|(?P<word>[^\W\d_a-z]+)"
    r"|(?P<bang>!+)"
    r"|(?P<question>[?؟]+)"
    r"|(?P<stop>[.;؛\n…]+)"
    r"|(?P<comma>[,،:\-]+)"
)
_KINDS: Final[dict[str, TokenKind]] = {
    k: k for k in ("word", "latin", "number", "emoji", "bang", "question", "stop", "comma")
}
# Characters that vanish in folding but would otherwise split or pollute tokens.
_DROP: Final = frozenset("\u200d\ufe0f\ufe0e\u20e3") | frozenset(chr(c) for c in range(0x1F3FB, 0x1F400))
_ELONGATION = re.compile(r"(.)\1{2,}")
# Written apart (space or ZWNJ) but one word: «می شه» = «میشه», «قطعی ها» = «قطعیها».
_PREFIXES: Final = frozenset({"می", "نمی", "همی", "بی"})
_SUFFIXES: Final = frozenset(
    {"ها", "های", "هایی", "هام", "هات", "هاش", "هامون", "هاتون", "هاشون", "تون", "شون", "مون"}
    | {"تر", "تره", "ترین", "ام", "ای", "ایم", "اید", "اند", "ست"}
)

_fold_cache: dict[str, str] = {}
_IRREGULAR: set[str] = set()  # characters whose folded form is not exactly one character


def _fold_char(ch: str) -> str:
    out = _fold_cache.get(ch)
    if out is None:
        if ch in "\n\r":
            out = "\n"
        elif ch in _DROP:
            out = ""
        elif ch.isspace() or ch == ZWNJ:
            out = " "
        else:
            out = fold(ch) if ch.isprintable() else " "
            if len(out) > 1 and not out.isalpha():
                out = out[:1]
        _fold_cache[ch] = out
        if len(out) != 1:
            _IRREGULAR.add(ch)
    return out


class _FoldTable(dict[int, str]):
    """A ``str.translate`` table that folds characters on first sight and remembers them."""

    def __missing__(self, code: int) -> str:
        out = self[code] = _fold_char(chr(code))
        return out


_TABLE = _FoldTable()


@dataclass(slots=True)  # internal, short-lived, many per text: plain slots are cheaper
class Token:
    key: str  # folded, de-elongated form used for matching
    start: int  # offsets into the ORIGINAL text
    end: int
    kind: TokenKind


@dataclass(slots=True)  # internal, short-lived, many per text: plain slots are cheaper
class Folded:
    text: str
    origin: list[int] | None  # origin[i] = index in the original of folded character i; None = same


def fold_with_offsets(text: str) -> Folded:
    folded = text.translate(_TABLE)
    if len(folded) == len(text) and _IRREGULAR.isdisjoint(text):
        return Folded(folded, None)  # one character for one: offsets are unchanged
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        for c in _fold_char(ch):
            chars.append(c)
            origin.append(i)
    return Folded("".join(chars), origin)


def _merge_affixes(tokens: list[Token]) -> list[Token]:
    merged: list[Token] = []
    for tok in tokens:
        if (merged and tok.kind == "word" and tok.key in _SUFFIXES and merged[-1].kind == "word") or (
            merged and tok.kind == "word" and merged[-1].kind == "word" and merged[-1].key in _PREFIXES
        ):
            prev = merged.pop()
            merged.append(Token(prev.key + tok.key, prev.start, tok.end, "word"))
        else:
            merged.append(tok)
    return merged


def tokenize(text: str, max_chars: int = MAX_CHARS) -> list[Token]:
    """Tokens of ``text[:max_chars]`` with offsets into ``text``."""
    folded = fold_with_offsets(text[:max_chars])
    origin = folded.origin
    elongated = _ELONGATION.search(folded.text) is not None
    tokens: list[Token] = []
    for m in _TOKEN.finditer(folded.text):
        kind = _KINDS[m.lastgroup or "stop"]
        key = m.group()
        if elongated and kind in ("word", "latin"):
            key = _ELONGATION.sub(r"\1", key)
        elif kind == "stop" and key == ".":
            prev = folded.text[m.start() - 1 : m.start()]
            if prev.isdigit():  # «1.5» is a number, not a sentence end
                continue
        start, end = m.start(), m.end()
        if origin is not None:
            start, end = origin[start], origin[end - 1] + 1
        tokens.append(Token(key, start, end, kind))
    return _merge_affixes(tokens)


_READABLE = re.compile(rf"[\u0600-\u06ff\ufb50-\ufdff\ufe70-\ufeff\u200c\u200d\ufe0fa-zA-Z{_EMOJI}]+")
_SPACE = re.compile(r"\s+")


def readable_ratio(text: str) -> float:
    """Share of Persian, Latin or emoji letters among visible characters: low for binary garbage,
    number dumps and text in scripts this engine does not read."""
    sample = text[:MAX_CHARS]
    visible = len(sample) - sum(map(len, _SPACE.findall(sample)))
    if visible <= 0:
        return 0.0
    return sum(map(len, _READABLE.findall(sample))) / visible
