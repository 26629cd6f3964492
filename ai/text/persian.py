"""Persian normalisation.

Two strengths:

* :func:`normalize` is for storage and display. Arabic letter variants become Persian (ي→ی, ك→ک),
  Persian and Arabic-Indic digits become ASCII (the canonical stored form; the fa locale renders them
  back), ZWNJ is tidied (kept between letters, removed where meaningless), NUL bytes, diacritics and
  tatweel go, and runs of white space collapse.
* :func:`fold` is for matching. On top of :func:`normalize` it merges letters people use
  interchangeably when typing names (ئ/ی, أ/إ/آ/ا, ؤ/و, ة/ه), lowercases Latin, and treats ZWNJ
  as a space, so «محمد‌حسین», «محمد حسین» and «محمدحسین» fold to comparable keys.
"""

from __future__ import annotations

import re
import unicodedata

ZWNJ = "\u200c"

_PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
_ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
_DIGIT_VALUES = {
    **{d: str(i) for i, d in enumerate(_PERSIAN_DIGITS)},
    **{d: str(i) for i, d in enumerate(_ARABIC_DIGITS)},
}
_TO_ASCII_DIGITS = str.maketrans(_DIGIT_VALUES)
_TO_PERSIAN_DIGITS = str.maketrans({str(i): d for i, d in enumerate(_PERSIAN_DIGITS)})

# Characters normalize() rewrites. A regex that visits only these is several times faster than
# str.translate over every character, and imports of 100k+ rows spend much of their time here.
_REWRITES = {
    "\u064a": "\u06cc",  # ARABIC YEH → FARSI YEH
    "\u0649": "\u06cc",  # ALEF MAKSURA → FARSI YEH
    "\u0643": "\u06a9",  # ARABIC KAF → KEHEH
    **_DIGIT_VALUES,
}
_REWRITE = re.compile("[" + "".join(_REWRITES) + "]")
# Dropped outright: NUL (never text, and PostgreSQL refuses it in a text column), bidi marks, BOM,
# tatweel, harakat/tanwin/shadda/sukun, superscript alef.
BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""Direction marks, embeddings, overrides and isolates: in someone else's text they can make a message
read differently from what it says (U+202E turns «exe.txt» into «txt.exe»), so shown text drops them."""
_DROP = re.compile("[\x00\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\u0640\u064b-\u065f\u0670]")

_FOLD_MAP = str.maketrans(
    {
        "\u0626": "\u06cc",  # ئ → ی
        "\u0623": "\u0627",  # أ → ا
        "\u0625": "\u0627",  # إ → ا
        "\u0622": "\u0627",  # آ → ا
        "\u0671": "\u0627",  # ٱ → ا
        "\u0624": "\u0648",  # ؤ → و
        "\u0629": "\u0647",  # ة → ه
        "\u06c0": "\u0647",  # ۀ → ه
        "\u0654": None,  # hamza above
        "\u0621": None,  # lone hamza
        ZWNJ: " ",
    }
)

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_ZWNJ_RUNS = re.compile(f"{ZWNJ}+")
# ZWNJ is only meaningful between two letters; next to a space, digit or edge it is noise.
_ZWNJ_NOISE = re.compile(rf"(?:(?<=\s){ZWNJ}|{ZWNJ}(?=\s)|^{ZWNJ}|{ZWNJ}$)")


def _rewrite(match: re.Match[str]) -> str:
    return _REWRITES[match.group()]


def to_ascii_digits(text: str) -> str:
    return text.translate(_TO_ASCII_DIGITS)


def to_persian_digits(text: str) -> str:
    return text.translate(_TO_PERSIAN_DIGITS)


LRM = "\u200e"
_PERSIAN_DECIMAL = str.maketrans({".": "٫"})


def signed_number(value: float, *, persian_digits: bool, decimals: int = 2) -> str:
    """``−۰٫۴۲`` / ``+0.15``: a true minus sign, the locale's digits and decimal separator. Everywhere a
    signed score is shown (captions, messages, chart axes) it is this text, so they all agree.

    In Persian a leading LRM keeps the sign on the left of the digits inside right-to-left text, as
    Telegram and every full Unicode bidi implementation lay it out."""
    text = f"{value:+.{decimals}f}".replace("-", "\u2212")
    if not persian_digits:
        return text
    return LRM + to_persian_digits(text).translate(_PERSIAN_DECIMAL)


def normalize(text: str) -> str:
    """Canonical stored form of Persian (or mixed) text."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text)
    text = _DROP.sub("", _REWRITE.sub(_rewrite, text))
    if ZWNJ in text:
        text = _ZWNJ_RUNS.sub(ZWNJ, text)
    text = _SPACES.sub(" ", text)
    if ZWNJ in text:
        text = _ZWNJ_NOISE.sub("", text)
    if "\n" not in text and "\r" not in text:
        return text.strip()
    lines = [line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip()


def fold(text: str) -> str:
    """Aggressive key for matching names and queries; never shown to anyone."""
    text = normalize(text).translate(_FOLD_MAP).lower()
    return _SPACES.sub(" ", text).strip()


def compact(text: str) -> str:
    """:func:`fold` without any spaces, so word-boundary differences cannot matter."""
    return fold(text).replace(" ", "")
