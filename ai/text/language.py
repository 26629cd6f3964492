"""The languages Chronos writes in for its users: Persian (the default) and English."""

from __future__ import annotations

from typing import Final, Literal

Language = Literal["fa", "en"]
LANGUAGE_NAMES: Final[dict[Language, str]] = {"fa": "Persian", "en": "English"}
"""How a prompt names the language a model must answer in."""


def language_of(locale: str) -> Language:
    return "en" if locale == "en" else "fa"
