"""Online identities: emails (also spelled out), Telegram handles and links, numeric Telegram ids.

Emails are caught as written (``reza@mail.ir``) and as people spell them to dodge filters:
``reza at gmail dot com``, ``reza [at] gmail [dot] com``, ``reza(at)gmail(dot)com``, ``reza @ gmail.com``.
Every form of one address gets the address's placeholder.

**Numeric Telegram ids** are masked only where the text says that a number is one: after a cue
(``telegram id``, ``tg id``, ``chat id``, «آیدی», «آی‌دی», «آیدی عددی», «شناسه تلگرام»…, then at most a
colon, ``=``, ``#`` or a dash) or inside a ``tg://user?id=…`` link. A bare number is not enough: a
Telegram user id is a plain integer of six to twelve digits with no check digit and no structure, so
nothing tells it from an amount, a usage count, an invoice or ticket number, a port or a timestamp.
Masking every such number would hide the figures the model has to reason about, and would still miss
nothing a cue-based rule catches. The number must not start with 0 (ids never do; phones do).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ai.pii.base import Claims, PiiKind, PiiMatch

# Not after "://": ``vless://UUID@host`` is a URL's user part (a V2Ray config), not an address.
_EMAIL = re.compile(
    r"(?<![\w.+\-])(?<!://)[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
)
_PAD = r"[ \u00a0]*"
_AT = rf"(?:{_PAD}[\[({{<]{_PAD}at{_PAD}[\])}}>]{_PAD}|[ \u00a0]+(?:at|@)[ \u00a0]+|@)"
_DOT = rf"(?:{_PAD}[\[({{<]{_PAD}dot{_PAD}[\])}}>]{_PAD}|[ \u00a0]+dot[ \u00a0]+|\.)"
_DOT_ONLY = re.compile(_DOT, re.IGNORECASE)
_SPELLED_EMAIL = re.compile(
    rf"(?<![\w.+\-@])(?<!://)([A-Za-z0-9._%+\-]+){_AT}((?:[A-Za-z0-9\-]+{_DOT})+)([A-Za-z]{{2,24}})(?![\w\-])",
    re.IGNORECASE,
)
_TELEGRAM_LINK = re.compile(
    r"(?:https?://)?(?:t|telegram)\.me/([A-Za-z][A-Za-z0-9_]{3,31})(?![A-Za-z0-9_])", re.IGNORECASE
)
_HANDLE = re.compile(r"(?<![A-Za-z0-9_@.])@([A-Za-z][A-Za-z0-9_]{3,31})(?![A-Za-z0-9_])")
_TELEGRAM_ID_LINK = re.compile(
    r"tg://(?:user\?id|openmessage\?user_id)=([1-9][0-9]{4,14})(?![0-9])", re.IGNORECASE
)
_YEH = "[یيى]"
_GAP = "[ \u00a0\u200c]*"
_CUE = (
    r"(?:telegram|tg)[ _\-]?(?:user[ _\-]?)?id|chat[ _\-]?id"
    rf"|[آا]{_YEH}[ \u200c]?د{_YEH}(?:{_GAP}(?:عدد{_YEH}|تلگرام{_YEH}?))?"
    rf"|شناسه(?:[\u200c ]?{_YEH})?{_GAP}(?:عدد{_YEH}|تلگرام{_YEH}?|کاربر{_YEH}{_GAP}تلگرام)"
)
# «آیدی من …», «آیدی نماینده …»: one pronoun or person word may stand between the cue and the number.
_WHOSE = rf"(?:{_GAP}(?:من|او|ایشان|شما|ما|نماینده|کاربر|مشتر{_YEH})(?![\u0600-\u06ff]))?"
_TELEGRAM_ID = re.compile(
    rf"(?<!\w)(?:{_CUE})[\u0600-\u06ff\u200c]{{0,3}}{_WHOSE}{_GAP}[:：=#\-]?{_GAP}[(«\"']?"
    r"([1-9][0-9]{5,11})(?![0-9])",
    re.IGNORECASE,
)


def _spelled_email(match: re.Match[str]) -> str:
    domain = [label for label in _DOT_ONLY.split(match.group(2)) if label]
    return f"{match.group(1)}@{'.'.join(domain)}.{match.group(3)}".lower()


# (kind, pattern, the group holding the span, canonical value). Order matters: an email hides the @
# of a handle, a tg:// link hides its number from the cue rule.
_DETECTORS: tuple[tuple[PiiKind, re.Pattern[str], int, Callable[[re.Match[str]], str]], ...] = (
    ("EMAIL", _EMAIL, 0, lambda m: m.group(0).lower()),
    ("EMAIL", _SPELLED_EMAIL, 0, _spelled_email),
    ("TELEGRAM_ID", _TELEGRAM_ID_LINK, 0, lambda m: m.group(1)),
    ("TELEGRAM_ID", _TELEGRAM_ID, 1, lambda m: m.group(1)),
    ("HANDLE", _TELEGRAM_LINK, 0, lambda m: m.group(1).lower()),
    ("HANDLE", _HANDLE, 0, lambda m: m.group(1).lower()),
)


def claim_identities(text: str, claims: Claims) -> None:
    """Claim every email, handle and Telegram id in ``text`` (ASCII digits)."""
    for kind, pattern, span_group, canonical in _DETECTORS:
        for match in pattern.finditer(text):
            start, end = match.span(span_group)
            claims.offer(PiiMatch(kind, start, end, canonical(match)))
