"""Telegram's HTML parse mode, read the way TDLib's ``parse_html`` reads it (td/telegram/MessageEntity.cpp).

It is stricter than a browser or Python's ``html.parser``: every ``<`` opens a tag, so ``a < b``, ``<3``
or ``x <= y`` is an error ("Unsupported start tag" / "Unclosed start tag") and a literal ``<`` must be
sent as ``&lt;``. Only ``&lt; &gt; &amp; &quot;`` and numeric references are decoded, with or without
the ``;``; any other ``&`` stays as it is. Error offsets count bytes of the UTF-8 text, as Telegram's do,
and entity offsets count UTF-16 code units, as in the Bot API.
"""

from __future__ import annotations

from dataclasses import dataclass

from chronos.emulators.telegram_models import JsonDict

_SUPPORTED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_ENTITY_TYPE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_NAMED_REFERENCES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
# TDLib reads a NUL-terminated string, and its is_space() counts the terminator as a space.
_SPACE = frozenset(" \t\r\n\v\0")
_END = "\0"
_ATTRIBUTE_NAME_STOPS = frozenset("=>/\"'") | _SPACE
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_DIGITS = frozenset("0123456789")
_SURROGATES = range(0xD800, 0xE000)


class HtmlParseError(ValueError):
    """The text after "can't parse entities: " in Telegram's 400 answer."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _is_ascii_alpha(char: str) -> bool:
    return char.isascii() and char.isalpha()


def _is_ascii_alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


@dataclass(slots=True)
class _Open:
    tag: str
    argument: str
    offset: int
    text_start: int


class _Parser:
    def __init__(self, source: str) -> None:
        self._source = source
        self._i = 0
        self._text: list[str] = []
        self._utf16 = 0
        self._open: list[_Open] = []
        self._decoded_surrogate = False
        self.entities: list[JsonDict] = []

    @property
    def text(self) -> str:
        return "".join(self._text)

    def _at(self, index: int) -> str:
        return self._source[index] if index < len(self._source) else _END

    def _byte_offset(self, index: int) -> int:
        return len(self._source[:index].encode("utf-8", "surrogatepass"))

    def _append(self, char: str) -> None:
        self._text.append(char)
        self._utf16 += 2 if ord(char) > 0xFFFF else 1

    def parse(self) -> None:
        while self._i < len(self._source):
            char = self._source[self._i]
            if char == "&":
                decoded = self._reference(self._i)
                if decoded is not None:
                    code, self._i = decoded
                    self._decoded_surrogate |= code in _SURROGATES
                    self._append(chr(code))
                    continue
            if char != "<":
                self._append(char)
                self._i += 1
                continue
            begin = self._i
            self._i += 1
            if self._at(self._i) == "/":
                self._end_tag(begin)
            else:
                self._start_tag(begin)
            self._i += 1  # past the '>'
        if self._open:
            raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{self._open[-1].tag}"')
        if self._decoded_surrogate:
            raise HtmlParseError(
                "Text contains invalid Unicode characters after decoding HTML entities, check for unmatched "
                "surrogate code units"
            )
        for entity in self.entities:
            if entity["type"] == "code":
                entity.pop("language", None)

    def _reference(self, pos: int) -> tuple[int, int] | None:
        """The code point of the reference at ``pos`` and the index after it, or None (a literal '&')."""
        end = pos + 1
        code = 0
        if self._at(pos + 1) == "#":
            end += 1
            if self._at(pos + 2) == "x":
                end += 1
                while self._at(end) in _HEX_DIGITS:
                    code = code * 16 + int(self._at(end), 16)
                    end += 1
            else:
                while self._at(end) in _DIGITS:
                    code = code * 10 + int(self._at(end))
                    end += 1
            if code == 0 or code >= 0x10FFFF or end - pos >= 10:
                return None
        else:
            while _is_ascii_alpha(self._at(end)):
                end += 1
            named = _NAMED_REFERENCES.get(self._source[pos + 1 : end])
            if named is None:
                return None
            code = ord(named)
        return code, end + 1 if self._at(end) == ";" else end

    def _start_tag(self, begin: int) -> None:
        while self._at(self._i) not in _SPACE and self._at(self._i) != ">":
            self._i += 1
        if self._at(self._i) == _END:
            raise HtmlParseError(f"Unclosed start tag at byte offset {self._byte_offset(begin)}")
        tag = self._source[begin + 1 : self._i].lower()
        if tag not in _SUPPORTED_TAGS:
            raise HtmlParseError(f'Unsupported start tag "{tag}" at byte offset {self._byte_offset(begin)}')
        argument = ""
        while self._at(self._i) != ">":
            argument = self._attribute(tag, begin, argument)
        if tag == "span" and argument != "spoiler":
            raise HtmlParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self._byte_offset(begin)}'
            )
        self._open.append(_Open(tag, argument, self._utf16, len(self._text)))

    def _attribute(self, tag: str, begin: int, argument: str) -> str:
        """Read one attribute (or the spaces before '>'); returns the tag's argument so far."""
        while self._at(self._i) != _END and self._at(self._i) in _SPACE:
            self._i += 1
        if self._at(self._i) == ">":
            return argument
        name_start = self._i
        while self._at(self._i) not in _ATTRIBUTE_NAME_STOPS:
            self._i += 1
        name = self._source[name_start : self._i]
        if not name:
            raise HtmlParseError(
                f'Empty attribute name in the tag "{tag}" at byte offset {self._byte_offset(begin)}'
            )
        self._skip_spaces()
        if self._at(self._i) != "=":
            if self._at(self._i) == _END:
                raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {self._byte_offset(begin)}')
            return "1" if (tag, name) == ("blockquote", "expandable") else argument
        self._i += 1
        self._skip_spaces()
        if self._at(self._i) == _END:
            raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {self._byte_offset(begin)}')
        value = self._attribute_value()
        if self._at(self._i) == _END:
            raise HtmlParseError(f"Unclosed start tag at byte offset {self._byte_offset(begin)}")
        if (tag, name) in {("a", "href"), ("tg-emoji", "emoji-id")}:
            return value
        if (tag, name) == ("code", "class") and value.startswith("language-"):
            return value.removeprefix("language-")
        if (tag, name) == ("span", "class") and value.startswith("tg-"):
            return value.removeprefix("tg-")
        if (tag, name) == ("blockquote", "expandable"):
            return "1"
        return argument

    def _skip_spaces(self) -> None:
        while self._at(self._i) != _END and self._at(self._i) in _SPACE:
            self._i += 1

    def _attribute_value(self) -> str:
        quote = self._at(self._i)
        if quote not in {"'", '"'}:
            start = self._i
            while _is_ascii_alnum(self._at(self._i)) or self._at(self._i) in {".", "-"}:
                self._i += 1
            if self._at(self._i) not in _SPACE and self._at(self._i) != ">":
                offset = self._byte_offset(start)
                raise HtmlParseError(f"Unexpected end of name token at byte offset {offset}")
            return self._source[start : self._i].lower()
        self._i += 1
        value: list[str] = []
        while self._at(self._i) not in {quote, _END}:
            if self._at(self._i) == "&" and (decoded := self._reference(self._i)) is not None:
                code, self._i = decoded
                value.append(chr(code))
                continue
            value.append(self._at(self._i))
            self._i += 1
        if self._at(self._i) == quote:
            self._i += 1
        return "".join(value)

    def _end_tag(self, begin: int) -> None:
        if not self._open:
            raise HtmlParseError(f"Unexpected end tag at byte offset {self._byte_offset(begin)}")
        while self._at(self._i) not in _SPACE and self._at(self._i) != ">":
            self._i += 1
        name = self._source[begin + 2 : self._i].lower()
        self._skip_spaces()
        if self._at(self._i) != ">":
            raise HtmlParseError(f"Unclosed end tag at byte offset {self._byte_offset(begin)}")
        opened = self._open[-1]
        if name and name != opened.tag:
            raise HtmlParseError(
                f'Unmatched end tag at byte offset {self._byte_offset(begin)}, expected "</{opened.tag}>", '
                f'found "</{name}>"'
            )
        if self._utf16 > opened.offset:
            self._add_entity(opened, self._utf16 - opened.offset)
        self._open.pop()

    def _add_entity(self, opened: _Open, length: int) -> None:
        entity: JsonDict = {"type": "", "offset": opened.offset, "length": length}
        last = self.entities[-1] if self.entities else None
        same_span = last is not None and (last["offset"], last["length"]) == (opened.offset, length)
        if opened.tag in _ENTITY_TYPE:
            entity["type"] = _ENTITY_TYPE[opened.tag]
        elif opened.tag == "tg-emoji":
            if not opened.argument.isascii() or not opened.argument.isdigit() or int(opened.argument) == 0:
                raise HtmlParseError("Invalid custom emoji identifier specified")
            entity.update(type="custom_emoji", custom_emoji_id=opened.argument)
        elif opened.tag == "a":
            url = opened.argument or "".join(self._text[opened.text_start :])
            if not url:
                return
            entity.update(type="text_link", url=url)
        elif opened.tag == "blockquote":
            entity["type"] = "expandable_blockquote" if opened.argument else "blockquote"
        elif opened.tag == "pre":
            # <pre><code class="language-x">…</code></pre>: the language moves to the pre entity.
            if last is not None and same_span and last["type"] == "code" and last.get("language"):
                last["type"] = "pre"
                return
            entity["type"] = "pre"
        else:  # code
            if last is not None and same_span and last["type"] == "pre" and opened.argument:
                last["language"] = opened.argument
                return
            entity["type"] = "code"
            if opened.argument:
                entity["language"] = opened.argument
        self.entities.append(entity)


def _without_entities_inside_code(entities: list[JsonDict]) -> list[JsonDict]:
    """Telegram's entity fixing: pre and code cannot contain other entities, so those are dropped
    (``<pre><code>x</code></pre>`` without a language is one pre entity)."""
    ordered = sorted(entities, key=lambda e: (e["offset"], -e["length"], e["type"] != "pre"))
    kept: list[JsonDict] = []
    code_end = -1
    for entity in ordered:
        if entity["offset"] < code_end:
            continue
        kept.append(entity)
        if entity["type"] in {"pre", "code"}:
            code_end = entity["offset"] + entity["length"]
    return kept


def parse_html(source: str) -> tuple[str, list[JsonDict]]:
    """Plain text and entities of an HTML-formatted message; raises :class:`HtmlParseError`."""
    parser = _Parser(source)
    parser.parse()
    return parser.text, _without_entities_inside_code(parser.entities)
