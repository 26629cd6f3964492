"""Persian text analysis for lexical retrieval: the same pipeline for documents and queries.

1. :func:`ai.text.persian.fold` (normalise letters and digits, ZWNJ → space, lower-case Latin);
2. split into letter/digit runs;
3. the glossary (``glossary_fa.txt``) rewrites domain terms typed in Finglish, English or loose
   Persian spellings to one canonical form, longest match first;
4. stopwords (``stopwords_fa.txt``) are dropped and plural suffixes («ها», «های», «هایی») stripped;
5. character trigrams of every longer word are added (``~`` prefixed), so typos («استریسند»),
   colloquial endings («لینکو») and glued suffixes still share most of their features with the
   word as written in the documents.

:meth:`Analyzer.gloss` gives the English glosses (``glosses_en.txt``) of the canonical terms in a
text; the hub appends them to what the embedding model sees, so an English-only model still gets
the gist of a Persian passage.

:attr:`Analyzer.fingerprint` (a hash of :data:`ANALYZER_VERSION`, the glossary and the stopwords) is
stored with the persisted index, so an index built by another analyzer (an edited glossary, say) is
re-tokenised on load instead of silently mismatching queries. Bump :data:`ANALYZER_VERSION` when the
code's output changes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from functools import cache
from importlib import resources

from ai.text.persian import fold

ANALYZER_VERSION = 1
NGRAM_PREFIX = "~"

_WORD = re.compile(r"[^\W_]+")
_PERSIAN_LETTER = re.compile("[\u0600-\u06ff]")
_PLURAL_SUFFIXES = ("هایی", "های", "ها")
_MIN_STEM = 2
_NGRAM = 3
_MIN_NGRAM_WORD = 4


def words(text: str) -> list[str]:
    """Folded letter/digit runs, before glossary and stopwords."""
    return _WORD.findall(fold(text))


class GlossaryError(ValueError):
    pass


def parse_glossary(lines: Iterable[str]) -> dict[tuple[str, ...], tuple[str, ...]]:
    """``canonical: variant, ...`` lines → {variant words: canonical words}."""
    mapping: dict[tuple[str, ...], tuple[str, ...]] = {}
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        canonical_text, separator, variants_text = line.partition(":")
        canonical = tuple(words(canonical_text))
        if not separator or not canonical:
            raise GlossaryError(f"line {number}: expected 'canonical: variant, ...'")
        for variant_text in variants_text.split(","):
            variant = tuple(words(variant_text))
            if not variant or variant == canonical:
                continue
            if mapping.get(variant, canonical) != canonical:
                raise GlossaryError(
                    f"line {number}: {' '.join(variant)!r} already maps to {' '.join(mapping[variant])!r}"
                )
            mapping[variant] = canonical
    return mapping


def _package_lines(name: str) -> list[str]:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8").splitlines()


@cache
def default_glossary() -> dict[tuple[str, ...], tuple[str, ...]]:
    return parse_glossary(_package_lines("glossary_fa.txt"))


@cache
def default_glosses() -> dict[tuple[str, ...], str]:
    glosses: dict[tuple[str, ...], str] = {}
    for number, raw in enumerate(_package_lines("glosses_en.txt"), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        canonical, separator, english = line.partition(":")
        if not separator or not english.strip():
            raise GlossaryError(f"glosses_en.txt line {number}: expected 'canonical: english words'")
        glosses[tuple(words(canonical))] = " ".join(english.split())
    return glosses


@cache
def default_stopwords() -> frozenset[str]:
    found: set[str] = set()
    for line in _package_lines("stopwords_fa.txt"):
        if not line.lstrip().startswith("#"):
            found.update(words(line))
    return frozenset(found)


def _stem(word: str) -> str:
    if _PERSIAN_LETTER.search(word):
        for suffix in _PLURAL_SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
                return word[: -len(suffix)]
    return word


class Analyzer:
    """Turns text into BM25 terms. Stateless after construction; safe to share between threads."""

    def __init__(
        self,
        glossary: dict[tuple[str, ...], tuple[str, ...]] | None = None,
        stopwords: frozenset[str] | None = None,
        *,
        ngrams: bool = True,
    ) -> None:
        self._glossary = default_glossary() if glossary is None else glossary
        self._stopwords = default_stopwords() if stopwords is None else stopwords
        self._longest = max((len(variant) for variant in self._glossary), default=0)
        self._ngrams = ngrams
        self._glosses = default_glosses()
        self._longest_gloss = max((len(key) for key in self._glosses), default=0)
        material = repr(
            (
                ANALYZER_VERSION,
                ngrams,
                sorted(self._glossary.items()),
                sorted(self._stopwords),
                sorted(self._glosses.items()),
            )
        )
        self.fingerprint = f"{ANALYZER_VERSION}-{hashlib.sha256(material.encode()).hexdigest()[:16]}"

    def terms(self, text: str) -> list[str]:
        """Canonical content words (glossary applied, stopwords dropped, plurals stemmed)."""
        raw = words(text)
        out: list[str] = []
        i = 0
        while i < len(raw):
            for length in range(min(self._longest, len(raw) - i), 0, -1):
                canonical = self._glossary.get(tuple(raw[i : i + length]))
                if canonical is not None:
                    out.extend(canonical)
                    i += length
                    break
            else:
                word = raw[i]
                if word not in self._stopwords:
                    out.append(_stem(word))
                i += 1
        return out

    def tokens(self, text: str) -> list[str]:
        """:meth:`terms` plus character trigrams of the longer words."""
        terms = self.terms(text)
        if not self._ngrams:
            return terms
        grams: list[str] = []
        for term in terms:
            if len(term) >= _MIN_NGRAM_WORD and not term.isdigit():
                padded = f"#{term}#"
                grams.extend(NGRAM_PREFIX + padded[i : i + _NGRAM] for i in range(len(padded) - _NGRAM + 1))
        return terms + grams

    def gloss(self, text: str) -> str:
        """English glosses of the canonical terms in ``text``, each once, in order of appearance."""
        terms = self.terms(text)
        found: dict[str, None] = {}
        i = 0
        while i < len(terms):
            for length in range(min(self._longest_gloss, len(terms) - i), 0, -1):
                english = self._glosses.get(tuple(terms[i : i + length]))
                if english is not None:
                    found[english] = None
                    i += length
                    break
            else:
                i += 1
        return " ".join(found)
