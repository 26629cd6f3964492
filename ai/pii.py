"""Personal-data masking before text leaves for an external LLM (or the knowledge store).

:func:`mask` replaces every phone, bank card, Sheba/IBAN, national id, email and Telegram handle with a
placeholder such as ``[PHONE_1]``. Placeholders are stable within one :class:`MaskSession`: the same
value (in any written form or digit set) always gets the same placeholder, so the model can still tell
two people apart. :func:`unmask` puts the original text back into the model's answer.

Number detectors run only on short windows around runs of ten or more digits, translated to ASCII
digits (Persian and Arabic-Indic digits translate one code point to one code point, so spans line up
with the original). Numbers are only masked when they are plausible: cards must pass Luhn, national
ids their official checksum, phones must be Iranian mobiles.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from ai.text.persian import to_ascii_digits
from ai.text.phone import InvalidPhoneError, is_mobile, normalize_phone

PiiKind = Literal["PHONE", "CARD", "IBAN", "NATIONAL_ID", "EMAIL", "HANDLE"]

PLACEHOLDER_PATTERN = re.compile(r"\[(PHONE|CARD|IBAN|NATIONAL_ID|EMAIL|HANDLE)_(\d{1,4})\]")

_SEP = r"[ \-.\u200c]?"
_EMAIL = re.compile(r"(?<![\w.+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_TELEGRAM_LINK = re.compile(
    r"(?:https?://)?(?:t|telegram)\.me/([A-Za-z][A-Za-z0-9_]{3,31})(?![A-Za-z0-9_])", re.IGNORECASE
)
_HANDLE = re.compile(r"(?<![A-Za-z0-9_@.])@([A-Za-z][A-Za-z0-9_]{3,31})(?![A-Za-z0-9_])")
_IBAN = re.compile(r"(?<![A-Za-z0-9])IR[ \-]?(?:\d[ \-]?){23}\d(?!\d)", re.IGNORECASE)
# Numbers glued to Latin letters or digits (hex ids, hashes, longer numbers) are not personal data.
_START = r"(?<![A-Za-z0-9+])"
_END = r"(?![A-Za-z0-9])"
_CARD = re.compile(rf"{_START}\d{{4}}[ \-]?\d{{4}}[ \-]?\d{{4}}[ \-]?\d{{4}}{_END}")
_TRUNK = r"(?:\+98|0098|98|0)"
# "(0912) 123 4567", "+98 (912) 1234567", "0912-123-45-67": a trunk prefix, 9xx, then seven digits.
_MOBILE_HEAD = rf"(?:\({_TRUNK}[ \-]?9\d\d\)|{_TRUNK}[ \-]?(?:\(9\d\d\)|9\d\d))"
_PREFIXED_MOBILE = re.compile(rf"{_START}{_MOBILE_HEAD}(?:{_SEP}\d){{7}}{_END}")
_BARE_MOBILE = re.compile(rf"{_START}9\d\d(?:{_SEP}\d){{7}}{_END}")
_NATIONAL_ID = re.compile(rf"{_START}\d{{3}}-?\d{{6}}-?\d{_END}")
_NON_DIGITS = re.compile(r"\D")


_LUHN_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)  # each digit doubled, digits of the product summed


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum every bank card number carries in its last digit."""
    if not digits.isdigit() or not 12 <= len(digits) <= 19:
        return False
    kept = sum(map(int, digits[-1::-2]))
    doubled = sum(map(_LUHN_DOUBLED.__getitem__, map(int, digits[-2::-2])))
    return (kept + doubled) % 10 == 0


def national_id_valid(digits: str) -> bool:
    """Iranian national id (کد ملی): ten digits, the last one a mod-11 check over the first nine."""
    if len(digits) != 10 or not digits.isdigit() or len(set(digits)) == 1:
        return False
    weighted = sum(int(digits[i]) * (10 - i) for i in range(9)) % 11
    check = int(digits[9])
    return check == weighted if weighted < 2 else check == 11 - weighted


class PiiMatch(NamedTuple):
    kind: PiiKind
    start: int
    end: int
    canonical: str


def _digits(text: str) -> str:
    return _NON_DIGITS.sub("", text)


def _mobile_canonical(raw: str) -> str | None:
    try:
        e164 = normalize_phone(raw)
    except InvalidPhoneError:
        return None
    return e164 if is_mobile(e164) else None


def _card_canonical(raw: str) -> str | None:
    digits = _digits(raw)
    return digits if luhn_valid(digits) else None


def _national_id_canonical(raw: str) -> str | None:
    digits = _digits(raw)
    return digits if national_id_valid(digits) else None


_Detector = tuple[PiiKind, re.Pattern[str], Callable[[re.Match[str]], str | None]]

# Order matters: earlier detectors claim their spans first (an email hides the @ of a handle, an IBAN
# or a card hides its digits from the phone and national-id detectors, a checksum-valid national id
# wins over a bare ten-digit mobile).
_TEXT_DETECTORS: tuple[_Detector, ...] = (
    ("EMAIL", _EMAIL, lambda m: m.group(0).lower()),
    ("HANDLE", _TELEGRAM_LINK, lambda m: m.group(1).lower()),
    ("HANDLE", _HANDLE, lambda m: m.group(1).lower()),
)
_IBAN_DETECTOR: _Detector = ("IBAN", _IBAN, lambda m: "IR" + _digits(m.group(0)))
_CARD_DETECTOR: _Detector = ("CARD", _CARD, lambda m: _card_canonical(m.group(0)))
_PHONE_AND_ID_DETECTORS: tuple[_Detector, ...] = (
    ("PHONE", _PREFIXED_MOBILE, lambda m: _mobile_canonical(m.group(0))),
    ("NATIONAL_ID", _NATIONAL_ID, lambda m: _national_id_canonical(m.group(0))),
    ("PHONE", _BARE_MOBILE, lambda m: _mobile_canonical(m.group(0))),
)
# Cheap gates: most text has no "@" and no "t.me/", so the text detectors rarely run. Number detectors
# only run on short windows around runs of digits and separators that hold at least ten digits.
_MAY_HOLD_TEXT_PII = re.compile(r"@|\.me/", re.IGNORECASE)
_ANY_DIGIT = "0-9\u06f0-\u06f9\u0660-\u0669"
_NUMBER_RUN = re.compile(f"[{_ANY_DIGIT}][{_ANY_DIGIT} \\-.()\u200c]{{8,}}")
# Context kept around a run: "IR" and a separator (or "+98 (") before it, one boundary char on each side.
_CONTEXT_BEFORE = 4
_MIN_DIGITS = 10
_CARD_DIGITS = 16
_IBAN_DIGITS = 24


def _number_detectors(digit_count: int, window: str) -> tuple[_Detector, ...]:
    """Only the detectors a run of ``digit_count`` digits could satisfy, in priority order."""
    detectors: tuple[_Detector, ...] = ()
    if digit_count >= _IBAN_DIGITS and ("IR" in window or "ir" in window.lower()):
        detectors += (_IBAN_DETECTOR,)
    if digit_count >= _CARD_DIGITS:
        detectors += (_CARD_DETECTOR,)
    return detectors + _PHONE_AND_ID_DETECTORS


def _scan(claimed: list[PiiMatch], detectors: tuple[_Detector, ...], text: str, offset: int = 0) -> None:
    for kind, pattern, canonical_of in detectors:
        for match in pattern.finditer(text):
            start, end = match.start() + offset, match.end() + offset
            if any(start < other.end and other.start < end for other in claimed):
                continue
            canonical = canonical_of(match)
            if canonical is not None:
                claimed.append(PiiMatch(kind, start, end, canonical))


def find_pii(text: str) -> list[PiiMatch]:
    """Every personal-data span in ``text``, non-overlapping, in reading order."""
    if not text:
        return []
    claimed: list[PiiMatch] = []
    if _MAY_HOLD_TEXT_PII.search(text):
        _scan(claimed, _TEXT_DETECTORS, text)
    for run in _NUMBER_RUN.finditer(text):
        digit_count = len(_NON_DIGITS.sub("", run.group(0)))
        if digit_count < _MIN_DIGITS:
            continue
        window_start, window_end = max(0, run.start() - _CONTEXT_BEFORE), run.end() + 1
        window = to_ascii_digits(text[window_start:window_end])
        _scan(claimed, _number_detectors(digit_count, window), window, window_start)
    return sorted(claimed, key=lambda item: item.start)


def contains_pii(text: str) -> bool:
    return bool(find_pii(text))


@dataclass
class MaskSession:
    """Placeholder assignments for one request; never shared between requests."""

    _by_value: dict[tuple[PiiKind, str], str] = field(default_factory=dict)
    _originals: dict[str, str] = field(default_factory=dict)
    _counters: dict[PiiKind, int] = field(default_factory=dict)

    def placeholder_for(self, kind: PiiKind, canonical: str, original: str) -> str:
        key = (kind, canonical)
        existing = self._by_value.get(key)
        if existing is not None:
            return existing
        number = self._counters.get(kind, 0) + 1
        self._counters[kind] = number
        placeholder = f"[{kind}_{number}]"
        self._by_value[key] = placeholder
        self._originals[placeholder] = original
        return placeholder

    def original(self, placeholder: str) -> str | None:
        return self._originals.get(placeholder)

    @property
    def placeholders(self) -> frozenset[str]:
        return frozenset(self._originals)

    def __len__(self) -> int:
        return len(self._originals)


def _defuse_lookalikes(text: str) -> str:
    """Text that already looks like a placeholder is rewritten so unmasking can never touch it."""
    return PLACEHOLDER_PATTERN.sub(lambda match: f"({match.group(1)}_{match.group(2)})", text)


def mask(text: str, session: MaskSession) -> str:
    """``text`` with every personal-data span replaced by its session placeholder.

    Placeholder look-alikes already in the text (``[PHONE_1]`` typed by someone) become ``(PHONE_1)``,
    so a forged placeholder cannot be turned into a real value by :func:`unmask`.
    """
    text = _defuse_lookalikes(text)
    matches = find_pii(text)
    if not matches:
        return text
    pieces: list[str] = []
    cursor = 0
    for match in matches:
        pieces.append(text[cursor : match.start])
        pieces.append(session.placeholder_for(match.kind, match.canonical, text[match.start : match.end]))
        cursor = match.end
    pieces.append(text[cursor:])
    return "".join(pieces)


def unmask(text: str, session: MaskSession) -> str:
    """Put the session's originals back; placeholders the session does not know are left as they are."""

    def restore(match: re.Match[str]) -> str:
        original = session.original(match.group(0))
        return match.group(0) if original is None else original

    return PLACEHOLDER_PATTERN.sub(restore, text)


def placeholders_in(text: str) -> Iterator[str]:
    for match in PLACEHOLDER_PATTERN.finditer(text):
        yield match.group(0)
