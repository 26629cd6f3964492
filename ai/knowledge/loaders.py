"""Reading knowledge files (Markdown, text, HTML, PDF) into titled, heading-aware sections.

:func:`discover` walks the paths given to ``chronos kb ingest`` and names every file by its path
relative to the ingested root (that is the document id). :func:`load` reads one file and returns a
:class:`ParsedDocument`, or raises :class:`LoadProblem` with a short machine-readable ``code``
(``too_large``, ``empty``, ``binary``, ``not_utf8``, ``no_text_layer``, ``unsupported``,
``unreadable``) so the caller can ingest what it can and report the rest.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from ai.knowledge.types import ParsedDocument, Section

log = logging.getLogger(__name__)

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
TEXT_SUFFIXES = frozenset({".txt", ".text"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
PDF_SUFFIXES = frozenset({".pdf"})
SUPPORTED_SUFFIXES = MARKDOWN_SUFFIXES | TEXT_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES

_BINARY_PROBE = 8192
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_TERMINAL_PUNCTUATION = tuple(".,:;!?،؛؟…")
_MAX_HEADING_WORDS = 8
_MAX_TITLE_CHARS = 120


class LoadProblem(Exception):
    """A file that cannot be ingested; ``code`` is stable, the message is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class SourceFile:
    path: Path
    doc_id: str


def discover(paths: Iterable[Path]) -> Iterator[SourceFile]:
    """Every file under ``paths`` (directories recursively, hidden entries skipped), sorted per root.

    A directory is its own root; a file given directly is named by its file name.
    """
    for given in paths:
        if given.is_dir():
            root = given
            files = sorted(
                p
                for p in given.rglob("*")
                if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
            )
        else:
            root, files = given.parent, [given]
        for path in files:
            yield SourceFile(path=path, doc_id=path.relative_to(root).as_posix())


def checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load(source: SourceFile, *, max_bytes: int) -> ParsedDocument:
    """Read and parse one file; raises :class:`LoadProblem` for anything that cannot be ingested."""
    suffix = source.path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise LoadProblem("unsupported", f"unsupported file type {suffix or '(none)'!r}")
    try:
        size = source.path.stat().st_size
    except OSError as exc:
        raise LoadProblem("unreadable", f"cannot read: {exc.strerror or exc}") from exc
    if size > max_bytes:
        raise LoadProblem(
            "too_large", f"{size / 1_048_576:.1f} MB is over the {max_bytes / 1_048_576:.1f} MB limit"
        )
    try:
        data = source.path.read_bytes()
    except OSError as exc:
        raise LoadProblem("unreadable", f"cannot read: {exc.strerror or exc}") from exc
    if not data.strip():
        raise LoadProblem("empty", "the file is empty")
    fallback_title = source.path.stem.replace("-", " ").replace("_", " ")
    if suffix in PDF_SUFFIXES:
        title, sections = _parse_pdf(data, fallback_title)
        kind = "pdf"
    else:
        text = _decode(data)
        if suffix in MARKDOWN_SUFFIXES:
            title, sections = parse_markdown(text, fallback_title)
            kind = "md"
        elif suffix in HTML_SUFFIXES:
            title, sections = parse_html(text, fallback_title)
            kind = "html"
        else:
            title, sections = parse_plain(text, fallback_title)
            kind = "txt"
    sections = [section for section in sections if section.text.strip()]
    if not sections:
        raise LoadProblem("empty", "no text to index")
    return ParsedDocument(
        doc_id=source.doc_id,
        title=title,
        sections=tuple(sections),
        checksum=checksum(data),
        source_format=kind,
        size_bytes=size,
    )


def _decode(data: bytes) -> str:
    if b"\x00" in data[:_BINARY_PROBE]:
        raise LoadProblem("binary", "binary content (NUL bytes) in a text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadProblem("not_utf8", f"not UTF-8 text (byte {exc.start})") from exc


class _SectionBuilder:
    """Collects body lines under the current heading path."""

    def __init__(self) -> None:
        self.sections: list[Section] = []
        self.path: list[tuple[int, str]] = []
        self.lines: list[str] = []

    def flush(self) -> None:
        text = "\n".join(self.lines).strip()
        if text:
            self.sections.append(Section(tuple(title for _, title in self.path), text))
        self.lines = []

    def heading(self, level: int, title: str) -> None:
        self.flush()
        while self.path and self.path[-1][0] >= level:
            self.path.pop()
        self.path.append((level, title))

    def line(self, text: str) -> None:
        self.lines.append(text)


def parse_markdown(text: str, fallback_title: str) -> tuple[str, list[Section]]:
    """The first ``#`` heading is the title; deeper headings form each section's heading path."""
    builder = _SectionBuilder()
    title: str | None = None
    in_fence = False
    for raw in text.splitlines():
        if _FENCE.match(raw):
            in_fence = not in_fence
            builder.line(raw)
            continue
        match = None if in_fence else _MD_HEADING.match(raw)
        if match is None:
            builder.line(raw.rstrip())
            continue
        level, heading = len(match.group(1)), match.group(2).strip()
        if title is None and level == 1:
            builder.flush()
            title = heading
            continue
        builder.heading(level, heading)
    builder.flush()
    return title or fallback_title, builder.sections


def _looks_like_heading(line: str) -> bool:
    stripped = line.strip()
    return (
        0 < len(stripped.split()) <= _MAX_HEADING_WORDS
        and not stripped.endswith(_TERMINAL_PUNCTUATION)
        and not stripped[:1].isdigit()
        and not stripped.startswith(("-", "*", "•"))
    )


def parse_plain(text: str, fallback_title: str) -> tuple[str, list[Section]]:
    """Plain text: a short first line is the title; a short unpunctuated line opening a paragraph
    (with text after it) is a heading."""
    blocks = [block.strip("\n") for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n"))]
    blocks = [block for block in blocks if block.strip()]
    title = fallback_title
    if blocks:
        first = blocks[0].splitlines()[0].strip()
        if len(first) <= _MAX_TITLE_CHARS and _looks_like_heading(first):
            title = first
            rest = blocks[0].splitlines()[1:]
            blocks[0] = "\n".join(rest)
    builder = _SectionBuilder()
    for index, block in enumerate(blocks):
        lines = block.splitlines()
        if not lines:
            continue
        has_more = len(lines) > 1 or index + 1 < len(blocks)
        if has_more and _looks_like_heading(lines[0]):
            builder.heading(2, lines[0].strip())
            lines = lines[1:]
        for line in lines:
            builder.line(line.rstrip())
        builder.line("")
    builder.flush()
    return title, builder.sections


_HTML_BLOCKS = frozenset(
    {"p", "div", "br", "tr", "table", "section", "article", "blockquote", "pre", "ul", "ol", "dd", "dt"}
)
_HTML_SKIP = frozenset({"script", "style", "noscript", "template", "svg"})


class _HTMLSections(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.builder = _SectionBuilder()
        self.page_title = ""
        self.first_h1: str | None = None
        self._skip = 0
        self._in_title = False
        self._heading_level: int | None = None
        self._heading_parts: list[str] = []
        self._current: list[str] = []
        self._lists: list[list[int]] = []  # per open list: [is_ordered, next number]

    def _end_line(self) -> None:
        line = " ".join("".join(self._current).split())
        if line:
            self.builder.line(line)
        self._current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HTML_SKIP:
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        elif len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            self._end_line()
            self._heading_level, self._heading_parts = int(tag[1]), []
        elif tag in ("ul", "ol"):
            self._end_line()
            self._lists.append([tag == "ol", 1])
        elif tag == "li":
            self._end_line()
            if self._lists and self._lists[-1][0]:
                self._current.append(f"{self._lists[-1][1]}. ")
                self._lists[-1][1] += 1
            else:
                self._current.append("- ")
        elif tag in _HTML_BLOCKS:
            self._end_line()

    def handle_endtag(self, tag: str) -> None:
        if tag in _HTML_SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag == "title":
            self._in_title = False
        elif self._heading_level is not None and tag == f"h{self._heading_level}":
            heading = " ".join("".join(self._heading_parts).split())
            if heading:
                if self._heading_level == 1 and self.first_h1 is None:
                    self.builder.flush()
                    self.first_h1 = heading
                else:
                    self.builder.heading(self._heading_level, heading)
            self._heading_level = None
        elif tag in ("ul", "ol"):
            self._end_line()
            if self._lists:
                self._lists.pop()
        elif tag == "li" or tag in _HTML_BLOCKS:
            self._end_line()

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._in_title:
            self.page_title += data
        elif self._heading_level is not None:
            self._heading_parts.append(data)
        else:
            self._current.append(data)

    def close(self) -> None:
        super().close()
        self._end_line()
        self.builder.flush()


def parse_html(text: str, fallback_title: str) -> tuple[str, list[Section]]:
    parser = _HTMLSections()
    parser.feed(text)
    parser.close()
    title = parser.first_h1 or " ".join(parser.page_title.split()) or fallback_title
    return title, parser.builder.sections


def _parse_pdf(data: bytes, fallback_title: str) -> tuple[str, list[Section]]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if not data.startswith(b"%PDF-"):
        raise LoadProblem("binary", "not a PDF file (no %PDF- header)")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadProblem("unreadable", "the PDF is encrypted")
        pages = [page.extract_text() or "" for page in reader.pages]
        meta_title = (reader.metadata.title if reader.metadata else None) or ""
    except LoadProblem:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise LoadProblem("unreadable", f"damaged PDF: {exc}") from exc
    text = "\n\n".join(page.strip() for page in pages if page.strip())
    if not text:
        raise LoadProblem("no_text_layer", "the PDF has no text layer (scanned pages need OCR first)")
    title, sections = parse_plain(text, fallback_title)
    if meta_title.strip():
        title = meta_title.strip()
    return title, sections
