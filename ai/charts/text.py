"""Persian text for matplotlib: the shipped Vazirmatn font, and shaping that matches the installed matplotlib.

Persian must come out with joined letters, right to left, with Latin words and numbers inside it in
their own order. Who does that work depends on matplotlib:

* **matplotlib ≥ 3.11** lays text out with libraqm (HarfBuzz shaping + the Unicode bidi algorithm). It
  joins and reorders by itself, so the text is passed through in logical order, only prefixed with a
  direction mark (RLM or LRM) that fixes the paragraph direction: without it, a Persian sentence that
  starts with a Latin word («V2Ray روی ایرانسل…») would be laid out left to right. Reshaping or
  reordering here as well would undo libraqm's work (reversed, broken words).
* **older matplotlib** draws one glyph per character, left to right. Then ``arabic-reshaper`` turns
  letters into their joined presentation forms and ``python-bidi`` reorders each line into visual
  order, with the paragraph direction given explicitly.

:data:`NATIVE_SHAPING` says which path runs; :func:`shape` is the only entry point.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Final

from arabic_reshaper import ArabicReshaper
from bidi.algorithm import get_display  # the pure-Python UBA: unlike bidi.get_display, it mirrors «()»
from matplotlib.font_manager import FontProperties
from matplotlib.ft2font import FT2Font

from ai.text.persian import LRM

NATIVE_SHAPING: Final[bool] = hasattr(FT2Font, "_layout")
"""True when matplotlib shapes complex scripts itself (libraqm layout, matplotlib ≥ 3.11)."""

RLM: Final = "\u200f"
FONT_FILES: Final = {False: "Vazirmatn-Regular.ttf", True: "Vazirmatn-Bold.ttf"}

_MARKS = re.compile("[\u200e\u200f]")
_MARKED_SIGN = re.compile(LRM + "([+\u2212])")
# A Latin word or code (V2Ray, REP-00042, vless://…) inside a right-to-left line.
_LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z0-9_.:/@+\-]*[A-Za-z0-9]|[A-Za-z]")
_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_reshaper = ArabicReshaper(configuration={"delete_harakat": True, "support_zwj": True})


@cache
def font_path(bold: bool = False) -> Path:
    """The shipped TTF file (a real path: the package is installed as files, not zipped)."""
    path = Path(str(resources.files("ai.charts.fonts").joinpath(FONT_FILES[bold])))
    if not path.is_file():
        raise FileNotFoundError(f"font {FONT_FILES[bold]} is missing from the ai.charts.fonts package")
    return path


def font(size: float, *, bold: bool = False) -> FontProperties:
    """Vazirmatn at ``size`` points: Persian and Latin letters, Persian and ASCII digits."""
    return FontProperties(fname=font_path(bold), size=size)


def has_arabic_script(text: str) -> bool:
    return _ARABIC_SCRIPT.search(text) is not None


def shape(text: str, *, rtl: bool) -> str:
    """``text`` ready for matplotlib, each line a paragraph of the given direction.

    ``rtl`` is the paragraph direction (Persian UI: True), not a property of the characters: Latin
    runs and numbers keep their own order inside a right-to-left line and vice versa.
    """
    if not text:
        return text
    lines = text.split("\n")
    if rtl:
        # A mark after a Latin run stops it capturing the numbers that follow: «V2Ray — ۴» keeps its order.
        lines = [_LATIN_RUN.sub(lambda m: m.group(0) + RLM, line) for line in lines]
    if NATIVE_SHAPING:
        if rtl:  # libraqm puts a sign after its LRM on the digits' right; the sign before it, on their left
            lines = [_MARKED_SIGN.sub(r"\1" + LRM, line) for line in lines]
        mark = RLM if rtl else LRM
        return "\n".join(mark + line if line else line for line in lines)
    if not has_arabic_script(text):
        return _MARKS.sub("", text)  # nothing to join, nor to reorder
    direction = "R" if rtl else "L"
    # Once a line is in visual order the marks have done their work (and some fonts draw them as boxes).
    return "\n".join(
        _MARKS.sub("", str(get_display(_reshaper.reshape(line), base_dir=direction))) for line in lines
    )


_PERSIAN_NUMBER = str.maketrans({**{str(i): d for i, d in enumerate("۰۱۲۳۴۵۶۷۸۹")}, ".": "٫"})


def number(value: float, *, persian_digits: bool, decimals: int = 1) -> str:
    text = f"{value:.{decimals}f}"
    return text.translate(_PERSIAN_NUMBER) if persian_digits else text
