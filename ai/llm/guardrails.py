"""Checks applied to every model answer before it is parsed.

An answer is rejected (and the feature falls back offline) when it:

* reveals the system prompt: names it ("system prompt", «دستورالعمل سیستم» …), repeats any run of
  ten consecutive words of the preamble, or echoes the request's delimiter nonce or delimiters;
* carries personal data that was never masked (the model only ever saw placeholders, so real PII in
  an answer is invented or smuggled);
* uses a placeholder (``[PHONE_3]``, ``[REP_NAME_2]``) that was not in this request's input.
"""

from __future__ import annotations

import re

from ai.pii import MaskSession, find_pii, placeholders_in
from ai.text.persian import fold

SHINGLE_WORDS = 10

# Matched on folded text (ZWNJ becomes a space). Deliberately narrow: "system message" or «پیام سیستمی»
# are ordinary CRM words (a notification the system sent) and must not reject an answer.
_LEAK_PHRASES = (
    "system prompt",
    "system instructions",
    "دستورالعمل سیستم",
    "دستورالعمل های سیستم",
    "دستورالعملهای سیستم",
    "پرامپت سیستم",
    "<<<data",
    "<<<end data",
)
_WORD = re.compile(r"\w+")


def _words(folded: str) -> list[str]:
    return _WORD.findall(folded)


def _shingles(words: list[str]) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}


class OutputGuard:
    def __init__(self, secret_texts: list[str]) -> None:
        self._secret_shingles: set[tuple[str, ...]] = set()
        for text in secret_texts:
            self._secret_shingles |= _shingles(_words(fold(text)))

    def violations(self, content: str, session: MaskSession, nonce: str | None) -> list[str]:
        problems: list[str] = []
        folded = fold(content)
        if any(phrase in folded for phrase in _LEAK_PHRASES) or (nonce is not None and nonce in content):
            problems.append("mentions the system prompt or its delimiters")
        elif self._secret_shingles & _shingles(_words(folded)):
            problems.append("repeats the system prompt")
        if found := find_pii(content):
            problems.append(f"contains unmasked personal data ({', '.join(sorted({m.kind for m in found}))})")
        if unknown := set(placeholders_in(content)) - session.placeholders:
            problems.append(f"uses placeholders that were not in the input: {sorted(unknown)}")
        return problems
