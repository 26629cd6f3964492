"""Ethics checks every nudge passes before a supervisor sees it, whoever wrote it (a supervisor's
template, the offline filler or a model).

A nudge passes the guard on anything sent to a representative (:mod:`ai.action_guard`: no pressure —
false urgency, deadlines, threats, scarcity —, no link to a host the supervisor's template does not
name, no request for a password or code), must not mention emotions or personality types the CRM
inferred about the representative, and must end with the opt-out line. The phrase lists are matched
on folded text (``ai.text.persian.fold``) at word boundaries, so ZWNJ/space variants and
Arabic/Persian letter variants match alike; a trailing ``*`` makes a phrase a prefix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

from ai.action_guard import action_violations, phrase_pattern
from ai.text.persian import fold, normalize

OPT_OUT_LINE = "برای لغو پیام‌ها /stop را بفرستید"
MAX_CHARS = 1000

ViolationKind = Literal["pressure", "link", "credential", "emotion", "archetype", "empty", "too_long"]

EMOTION_PHRASES = (
    "ناراحت*", "عصبانی", "خشمگین", "ناامید", "نگران*", "مضطرب", "دلخور", "دلسرد", "سردرگم", "ناراضی",
    "کلافه", "احساس می کنیم", "حس می کنیم", "احساس شما", "حال شما", "روحیه",
    "frustrat*", "angry", "anger", "upset", "anxious", "anxiety", "disappoint*", "worried", "worry",
    "confused", "unhappy", "you feel", "your feelings", "your mood",
)  # fmt: skip

ARCHETYPE_PHRASES = (
    "تیپ شخصیتی", "شخصیت شما", "کهن الگو", "درون گرا", "برون گرا", "پرسونا", "نوع شخصیت",
    "archetype*", "personality", "persona", "introvert*", "extrovert*", "temperament",
)  # fmt: skip


@dataclass(frozen=True)
class Violation:
    kind: ViolationKind
    phrase: str

    @property
    def params(self) -> dict[str, str | int]:
        """What a screen needs to say it in the reader's language (the catalog has ``kind``)."""
        if self.kind == "too_long":
            return {"limit": MAX_CHARS}
        return {} if self.kind == "empty" else {"phrase": self.phrase}

    def describe(self) -> str:
        """In English, for logs, the CLI and a model's repair request."""
        if self.kind == "empty":
            return "the message is empty"
        if self.kind == "too_long":
            return f"the message is longer than {MAX_CHARS} characters"
        label = {
            "pressure": "pressure or false urgency",
            "link": "a link to a host the template does not name",
            "credential": "asks for a password or code",
            "emotion": "mentions an inferred emotion",
            "archetype": "mentions a personality type",
        }[self.kind]
        return f"{label}: «{self.phrase}»"


@cache
def _patterns() -> tuple[tuple[ViolationKind, str, re.Pattern[str]], ...]:
    table: list[tuple[ViolationKind, tuple[str, ...]]] = [
        ("emotion", EMOTION_PHRASES),
        ("archetype", ARCHETYPE_PHRASES),
    ]
    return tuple(
        (kind, phrase.rstrip("*"), phrase_pattern(phrase)) for kind, phrases in table for phrase in phrases
    )


def violations(text: str, *, trusted_hosts: frozenset[str] = frozenset()) -> list[Violation]:
    """Every problem in ``text`` (the opt-out line is added by :func:`with_opt_out`, not checked here);
    links may go to ``trusted_hosts`` (those the supervisor's template names)."""
    cleaned = normalize(text)
    if not cleaned:
        return [Violation("empty", "")]
    found: list[Violation] = []
    if len(cleaned) > MAX_CHARS:
        found.append(Violation("too_long", ""))
    body = cleaned.replace(OPT_OUT_LINE, " ")
    for unsafe in action_violations(body, audience="representative", trusted=trusted_hosts):
        found.append(Violation(unsafe.kind, unsafe.phrase))
    folded = fold(body)
    seen: set[tuple[str, str]] = set()
    for kind, phrase, pattern in _patterns():
        if pattern.search(folded) and (kind, phrase) not in seen:
            seen.add((kind, phrase))
            found.append(Violation(kind, phrase))
    return found


def with_opt_out(text: str) -> str:
    """The text, normalised, ending with exactly one opt-out line."""
    body = normalize(text)
    if body.endswith(OPT_OUT_LINE):
        body = body[: -len(OPT_OUT_LINE)].rstrip()
    body = body.replace(OPT_OUT_LINE, "").rstrip()
    return f"{body}\n{OPT_OUT_LINE}" if body else OPT_OUT_LINE


def ends_with_opt_out(text: str) -> bool:
    return normalize(text).endswith(OPT_OUT_LINE)
