"""Persian in a terminal. Most terminals neither join Arabic-script letters nor apply the Unicode bidi
algorithm, so, when shaping is on, text with Persian letters is drawn in joined letter forms and put into
visual order, never for storage, JSON or a pipe.

Order matters: a paragraph is first wrapped to the width it is drawn in, in logical order, and only then
is each drawn line reordered. Reordering first and letting Rich wrap the result would print a wrapped
paragraph from its last line up.

:class:`TerminalConsole` does this for everything printed through it: strings passed to ``print``, table
cells, table titles and rule titles. The choice is one process-wide setting (:func:`set_bidi`): ``on``,
``off``, or ``auto`` (on when the console's stream is a terminal).
"""

from __future__ import annotations

import itertools
import re
import sys
from collections.abc import Iterable
from enum import StrEnum
from typing import IO, Any

from arabic_reshaper import ArabicReshaper
from bidi import algorithm  # the pure-Python UBA: it exposes the reordering and mirrors «()»
from rich.console import Console, Group, JustifyMethod, OverflowMethod
from rich.containers import Lines
from rich.style import Style
from rich.text import Span, Text

LRM, RLM = "\u200e", "\u200f"
_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_reshaper = ArabicReshaper(configuration={"delete_harakat": True, "support_zwj": True})


class Bidi(StrEnum):
    """Whether Persian is shaped for the terminal: ``auto`` shapes only output that goes to a terminal."""

    AUTO = "auto"
    ON = "on"
    OFF = "off"


_mode = Bidi.AUTO


def set_bidi(mode: Bidi) -> None:
    """The process-wide choice (``chronos --bidi`` or CHRONOS_BIDI)."""
    global _mode
    _mode = mode


def shaping(stream: IO[str], mode: Bidi | None = None) -> bool:
    """Whether text written to ``stream`` is shaped, under ``mode`` or the process-wide choice."""
    chosen = _mode if mode is None else mode
    if chosen is Bidi.AUTO:
        isatty = getattr(stream, "isatty", None)
        return bool(isatty and isatty())
    return chosen is Bidi.ON


def has_arabic_script(text: str) -> bool:
    return _ARABIC_SCRIPT.search(text) is not None


def ltr(line: str) -> str:
    """Lay ``line`` out left to right although its first letters are Persian: a row of its own, such as
    ``[0.0 → 2.1] متن`` or ``[1] عنوان — doc.md``, whose Persian is one field among others."""
    return LRM + line


def rtl(text: str) -> str:
    """One string for a plain ``print`` to stdout: each line shaped and reordered, if shaping is on.
    Output that may wrap should go through a :class:`TerminalConsole` instead."""
    if not has_arabic_script(text) or not shaping(sys.stdout):
        return text
    return "\n".join(visual_line(Text(_reshaper.reshape(line))).plain for line in text.split("\n"))


def shape(text: Text) -> ShapedText:
    """Joined letter forms, still in logical order, one style run at a time (a run may get shorter:
    lam + alef is one glyph), keeping the text's styles and layout settings."""
    cuts = sorted({offset for span in text.spans for offset in (span.start, span.end)} | {0, len(text)})
    shaped = ShapedText(
        style=text.style,
        justify=text.justify,
        overflow=text.overflow,
        no_wrap=text.no_wrap,
        end=text.end,
        tab_size=text.tab_size,
    )
    for start, end in itertools.pairwise(cuts):
        run = _reshaper.reshape(text.plain[start:end])
        styles = [span.style for span in text.spans if span.start <= start and end <= span.end]
        offset = len(shaped)
        shaped.append(run)
        shaped.spans.extend(Span(offset, offset + len(run), style) for style in styles)
    return shaped


def visual_line(line: Text, *, rtl_base: bool | None = None) -> Text:
    """One drawn line in visual order (bidi rules L1 to L4: reordering and mirrored brackets), its
    styles moved with their characters. The base direction is the line's own unless given (the lines
    of one wrapped paragraph share the paragraph's)."""
    plain = line.plain
    base = algorithm.get_base_level(plain) if rtl_base is None else int(rtl_base)
    storage: dict[str, Any] = algorithm.get_empty_storage()
    storage["base_level"] = base
    storage["base_dir"] = "R" if base else "L"
    algorithm.get_embedding_levels(plain, storage)
    for index, char in enumerate(storage["chars"]):
        char["index"] = index
    algorithm.explicit_embed_and_overrides(storage)  # drops format characters (ZWNJ: shaped already)
    algorithm.resolve_weak_types(storage)
    algorithm.resolve_neutral_types(storage, False)
    algorithm.resolve_implicit_levels(storage, False)
    algorithm.reorder_resolved_levels(storage, False)
    algorithm.apply_mirroring(storage, False)
    chars = [char for char in storage["chars"] if char["ch"] not in (LRM, RLM)]  # done their job
    position = {char["index"]: drawn for drawn, char in enumerate(chars)}
    visual = line.blank_copy("".join(char["ch"] for char in chars))
    for span in line.spans:
        moved = sorted(position[i] for i in range(span.start, span.end) if i in position)
        visual.spans.extend(_runs(moved, span.style))
    return visual


def _runs(positions: list[int], style: str | Style) -> Iterable[Span]:
    """Spans over the maximal runs of consecutive positions."""
    start = previous = None
    for position in positions:
        if start is None or previous is None or position != previous + 1:
            if start is not None and previous is not None:
                yield Span(start, previous + 1, style)
            start = position
        previous = position
    if start is not None and previous is not None:
        yield Span(start, previous + 1, style)


class ShapedText(Text):
    """Shaped text in logical order that is reordered line by line when drawn, after wrapping."""

    def wrap(
        self,
        console: Console,
        width: int,
        *,
        justify: JustifyMethod | None = None,
        overflow: OverflowMethod | None = None,
        tab_size: int = 8,
        no_wrap: bool | None = None,
    ) -> Lines:
        wrap_justify = justify or self.justify or "default"
        wrap_overflow = overflow or self.overflow or "fold"
        lines = Lines()
        for paragraph in self.split(allow_blank=True):
            rtl_base = bool(algorithm.get_base_level(paragraph.plain))
            logical = paragraph.wrap(
                console,
                width,
                justify="default",
                overflow=wrap_overflow,
                tab_size=tab_size,
                no_wrap=self.no_wrap if no_wrap is None else no_wrap,
            )
            for line in logical:
                line.rstrip()  # a wrapped line ends in the space it broke at: in RTL it would lead
            drawn = Lines(visual_line(line, rtl_base=rtl_base) for line in logical)
            if wrap_overflow != "ignore":
                drawn.justify(console, width, justify=wrap_justify, overflow=wrap_overflow)
            lines.extend(drawn)
        return lines


class TerminalConsole(Console):
    """A Rich console that shapes Persian when shaping is on (see the module docstring). ``bidi``
    overrides the process-wide choice for this console."""

    def __init__(self, *args: Any, bidi: Bidi | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bidi = bidi

    @property
    def shaping(self) -> bool:
        return shaping(self.file, self.bidi)

    def render_str(self, text: str, **kwargs: Any) -> Text:
        rendered = super().render_str(text, **kwargs)
        if self.shaping and has_arabic_script(rendered.plain):
            return shape(rendered)
        return rendered

    def print(self, *objects: Any, sep: str = " ", end: str = "\n", **options: Any) -> None:
        """Strings are joined into one paragraph here, as Rich would, but kept shaped: Rich's own join
        would make a plain :class:`Text` of them, wrapped without reordering."""
        if self.shaping and objects and all(isinstance(item, str) for item in objects):
            parts = [
                Console.render_str(
                    self,
                    item,
                    emoji=options.get("emoji"),
                    markup=options.get("markup"),
                    highlight=options.get("highlight"),
                )
                for item in objects
            ]
            paragraph = Text(sep, justify=options.get("justify"), end=end).join(parts)
            if has_arabic_script(paragraph.plain):
                objects = (Group(shape(paragraph)),)
        super().print(*objects, sep=sep, end=end, **options)

    def rule(self, title: str | Text = "", **options: Any) -> None:
        """A rule's title is one line that is never wrapped, so it is reordered before Rich draws it."""
        if self.shaping and isinstance(title, str) and has_arabic_script(title):
            title = visual_line(shape(Console.render_str(self, title.replace("\n", " "), style="rule.text")))
        super().rule(title, **options)
