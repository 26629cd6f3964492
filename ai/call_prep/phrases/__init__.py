"""Wording for the offline briefing: one phrase bank per language behind the same composition logic.

``bank("fa")`` is spoken Persian with Jalali dates and Persian digits (:mod:`.fa`); ``bank("en")`` is
English with Gregorian dates and Latin digits (:mod:`.en`). Both are :class:`Phrases` with the same
templates and tables, so the engine words the same findings either way and a Persian and an English
briefing cite the same records. Quoting (:func:`quote`, :func:`quote_around`) is shared: what people
wrote is quoted as they wrote it.
"""

from __future__ import annotations

from typing import Final

from ai.call_prep.phrases.base import (
    CHURN_CUES,
    CHURN_HINT_CUES,
    INTEREST_CUES,
    Language,
    Phrases,
    Unit,
    quote,
    quote_around,
)
from ai.call_prep.phrases.en import EN
from ai.call_prep.phrases.fa import FA

__all__ = [
    "BANKS",
    "CHURN_CUES",
    "CHURN_HINT_CUES",
    "INTEREST_CUES",
    "Language",
    "Phrases",
    "Unit",
    "bank",
    "quote",
    "quote_around",
]

BANKS: Final[dict[Language, Phrases]] = {"fa": FA, "en": EN}


def bank(language: Language) -> Phrases:
    return BANKS[language]
