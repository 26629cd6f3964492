"""The matcher: finds lexicon entries in tokenised text, after Finglish mapping and typo repair.

Matching is on folded keys plus their stems («قطعه» → «قطع»); the longest phrase wins and phrases
never overlap. Unknown Persian words get one repair attempt: a homophone letter («قتع» → «قطع»), a
dropped or doubled letter in a long word, a final «ع» typed for «ه», or a missing space.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Final

from ai.sentiment.entries import Entry, latin_key, parse_cues, parse_finglish, parse_modifiers
from ai.sentiment.text import Token, TokenKind

_DETECTORS: Final = frozenset({"sarcasm", "question"})  # found without consuming tokens
GAP: Final = 3  # «*» in a phrase skips at most this many words
PUNCT: Final[frozenset[TokenKind]] = frozenset({"bang", "question", "stop", "comma"})
# Suffixes stripped to find a cue: «قطعه» → «قطع», «مشکلات» → «مشکل», «قیمتش» → «قیمت».
_SUFFIX_WORDS: Final = (
    "ها های ات ا ه ی م ت ش ن و ید ین یم ند ام مو شو تو مون تون شون ست اش ای یه هاش هام تر اتون امون اشون"
)
_STEM_SUFFIXES: Final = tuple(sorted(set(_SUFFIX_WORDS.split(" ")), key=len, reverse=True))


@dataclass(slots=True)  # internal, short-lived, many per text: plain slots are cheaper
class Tok:
    key: str
    forms: tuple[str, ...]  # key first, then stems found in the vocabulary
    start: int
    end: int
    kind: TokenKind
    fuzzy: bool = False


@dataclass(slots=True)  # internal, short-lived, many per text: plain slots are cheaper
class Hit:
    entry: Entry
    first: int  # token indices, inclusive
    last: int
    start: int  # offsets into the original text
    end: int
    fuzzy: bool = False
    self_negated: bool = False  # «نمی» + a cue written with «می»


def _deletes(word: str) -> set[str]:
    """One letter removed, never the first or the last: those carry «ن» (negation), «ب», «ه», «م»…"""
    return {word[:i] + word[i + 1 :] for i in range(1, len(word) - 1)}


# Persian letters that sound alike and are confused when typing: «قتع» for «قطع», «افتزاح» for «افتضاح».
_SOUND = str.maketrans(
    {"ط": "ت", "ص": "س", "ث": "س", "ذ": "ز", "ض": "ز", "ظ": "ز", "ح": "ه", "ع": "ا", "غ": "ق"}
)


def _sound(word: str) -> str:
    return word.translate(_SOUND)


@dataclass
class Lexicon:
    entries: list[Entry]
    finglish: dict[str, tuple[str, ...]]
    vocab: set[str] = field(init=False)
    _index: dict[str, list[Entry]] = field(init=False)
    _gapped: dict[str, list[Entry]] = field(init=False)
    _forms_cache: dict[str, tuple[str, ...]] = field(init=False)
    _repair_cache: dict[str, list[str] | None] = field(init=False)
    _detectors: dict[str, list[Entry]] = field(init=False)
    _no_stem: frozenset[str] = field(init=False)
    _sounds: dict[str, set[str]] = field(init=False)
    _missing: dict[str, set[str]] = field(init=False)

    def __post_init__(self) -> None:
        self.vocab = {k for e in self.entries if e.kind != "no_stem" for s in e.segments for k in s}
        self._no_stem = frozenset(e.segments[0][0] for e in self.entries if e.kind == "no_stem")
        self._index, self._detectors, self._gapped, self._forms_cache = {}, {}, {}, {}
        self._repair_cache = {}
        for e in sorted(self.entries, key=lambda e: -e.size):
            if e.kind in _DETECTORS:
                self._detectors.setdefault(e.segments[0][0], []).append(e)
            elif len(e.segments) > 1:
                self._gapped.setdefault(e.segments[0][0], []).append(e)
            elif e.kind != "no_stem":
                self._index.setdefault(e.segments[0][0], []).append(e)
        self._sounds, self._missing = {}, {}
        for word in self.vocab:
            if len(word) >= 3 and not word.isascii():
                self._sounds.setdefault(_sound(word), set()).add(word)
            if len(word) >= 7 and not word.isascii():
                for d in _deletes(word):
                    self._missing.setdefault(d, set()).add(word)

    # ------------------------------------------------------------------ preparing tokens
    def _forms(self, key: str) -> tuple[str, ...]:
        cached = self._forms_cache.get(key)
        if cached is None:
            cached = self._forms_cache[key] = self._stems(key)
            if len(self._forms_cache) > 50_000:  # unbounded input vocabulary: keep memory flat
                self._forms_cache.clear()
        return cached

    def _stems(self, key: str) -> tuple[str, ...]:
        if key in self._no_stem:
            return (key,)
        forms = [key]
        for suf in _STEM_SUFFIXES:
            if key.endswith(suf) and len(key) - len(suf) >= 2:
                stem = key[: -len(suf)]
                if stem in self.vocab and stem not in forms:
                    forms.append(stem)
        for suf, repl in (("ست", "ه"), ("س", "ه"), ("ین", "ید")):  # «فوق‌العادست», «مسخرس», «نمیدین»
            if key.endswith(suf) and len(key) - len(suf) >= 2:
                stem = key[: -len(suf)] + repl
                if stem in self.vocab and stem not in forms:
                    forms.append(stem)
        return tuple(forms)

    def _repair(self, key: str) -> list[str] | None:
        """A vocabulary spelling for an unknown word: «میشع» → «میشه», «افتضحه» → «افتضاحه»."""
        if key.endswith("ع"):
            alt = key[:-1] + "ه"
            if alt in self.vocab or len(self._forms(alt)) > 1:
                return [alt]
        if len(key) < 3:
            return None
        candidates = set(self._sounds.get(_sound(key), ()))  # a homophone letter swapped
        if len(key) >= 6:
            candidates |= self._missing.get(key, set())  # one letter left out
        if len(key) >= 7:  # one letter too many
            candidates |= {d for d in _deletes(key) if d in self.vocab and len(d) >= 6}
        if len(candidates) == 1:
            return [candidates.pop()]
        for i in range(3, len(key) - 1):  # «خیلیبد», «وصلنمیشه»: a missing space
            if key[:i] in self.vocab and key[i:] in self.vocab:
                return [key[:i], key[i:]]
        return None

    def prepare(self, tokens: list[Token]) -> list[Tok]:
        out: list[Tok] = []
        for t in tokens:
            keys, fuzzy = [t.key], False
            if t.kind == "latin" and t.key not in self.vocab:
                mapped = self.finglish.get(latin_key(t.key))
                if mapped:
                    keys = list(mapped)
            elif t.kind == "word" and len(self._forms(t.key)) == 1 and t.key not in self.vocab:
                if t.key in self._repair_cache:
                    repaired = self._repair_cache[t.key]
                else:
                    if len(self._repair_cache) > 50_000:
                        self._repair_cache.clear()
                    repaired = self._repair_cache[t.key] = self._repair(t.key)
                if repaired:
                    keys, fuzzy = repaired, True
            kind: TokenKind = "word" if t.kind == "latin" and keys[0] != t.key else t.kind
            cache = self._forms_cache
            out.extend(Tok(k, cache.get(k) or self._forms(k), t.start, t.end, kind, fuzzy) for k in keys)
        return out

    # ------------------------------------------------------------------ matching
    @staticmethod
    def _run(seg: tuple[str, ...], toks: list[Tok], i: int, taken: list[bool]) -> bool:
        if i + len(seg) > len(toks):
            return False
        return all(not (taken[i + j] or k not in toks[i + j].forms) for j, k in enumerate(seg))

    def _match_gapped(self, e: Entry, toks: list[Tok], i: int, taken: list[bool]) -> list[int] | None:
        if not self._run(e.segments[0], toks, i, taken):
            return None
        idx = list(range(i, i + len(e.segments[0])))
        for seg in e.segments[1:]:
            pos = idx[-1] + 1
            for j in range(pos, min(pos + GAP + 1, len(toks))):
                if self._run(seg, toks, j, taken):
                    idx.extend(range(j, j + len(seg)))
                    break
                if toks[j].kind in PUNCT:
                    return None
            else:
                return None
        return idx

    def _hit(self, e: Entry, toks: list[Tok], idx: list[int], *, negated: bool = False) -> Hit:
        first, last = idx[0], idx[-1]
        fuzzy = any(toks[k].fuzzy for k in idx)
        return Hit(e, first, last, toks[first].start, toks[last].end, fuzzy, negated)

    def match(self, toks: list[Tok]) -> tuple[list[Hit], list[Hit]]:
        """Consuming hits (cues and modifiers, longest first, no overlaps) and detector hits."""
        n = len(toks)
        taken = [False] * n
        hits: list[Hit] = []
        for i in range(n):
            for form in toks[i].forms:
                for e in self._gapped.get(form, ()):
                    idx = self._match_gapped(e, toks, i, taken)
                    if idx:
                        hits.append(self._hit(e, toks, idx))
                        for k in idx:
                            taken[k] = True
        i = 0
        while i < n:
            if taken[i] or toks[i].kind in PUNCT:
                i += 1
                continue
            best: Entry | None = None
            for form in toks[i].forms:
                for e in self._index.get(form, ()):  # longest first: the first that fits is the best
                    if best is not None and e.size <= best.size:
                        break
                    if self._run(e.segments[0], toks, i, taken):
                        best = e
                        break
            if best is not None:
                idx = list(range(i, i + best.size))
                hits.append(self._hit(best, toks, idx))
                i += best.size
                continue
            key = toks[i].key
            if key.startswith("نمی") and len(key) > 4:  # «نمیرسه» → the cue «میرسه», negated
                for e in self._index.get(key[1:], ()):
                    if e.kind == "cue" and e.size == 1:
                        hits.append(self._hit(e, toks, [i], negated=True))
                        break
            i += 1
        hits.sort(key=lambda h: h.first)
        detected: list[Hit] = []
        free = [False] * n
        for i in range(n):
            for e in self._detectors.get(toks[i].key, ()):
                if self._run(e.segments[0], toks, i, free):
                    detected.append(self._hit(e, toks, list(range(i, i + e.size))))
        return hits, detected


def _read(name: str) -> str:
    return resources.files("ai.sentiment").joinpath(name).read_text(encoding="utf-8")


@cache
def default_lexicon() -> Lexicon:
    entries = parse_cues(_read("lexicon_fa.txt")) + parse_modifiers(_read("modifiers_fa.txt"))
    return Lexicon(entries, parse_finglish(_read("finglish.txt")))
