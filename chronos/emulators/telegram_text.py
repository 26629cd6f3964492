"""Message text as Telegram stores it: parse_mode=HTML turned into plain text plus entities, then trimmed.

Offsets and lengths are in UTF-16 code units, as in the Bot API. Markdown parse modes are kept verbatim:
the emulator does not check their escaping.
"""

from __future__ import annotations

from html.parser import HTMLParser

from chronos.emulators.telegram_models import ApiError, JsonDict, bad_request

_TAG_ENTITY = {
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
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _HtmlEntities(HTMLParser):
    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self._source = source
        self._parts: list[str] = []
        self._length = 0
        self._open: list[tuple[str, int, JsonDict]] = []
        self.entities: list[JsonDict] = []
        self.error: str | None = None

    @property
    def text(self) -> str:
        return "".join(self._parts)

    def handle_data(self, data: str) -> None:
        self._parts.append(data)
        self._length += utf16_len(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.error:
            return
        attributes = dict(attrs)
        kind = _TAG_ENTITY.get(tag)
        if kind is None or (tag == "span" and attributes.get("class") != "tg-spoiler"):
            self.error = f'Unsupported start tag "{tag}" at byte offset {self._byte_offset()}'
            return
        entity: JsonDict = {"type": kind}
        if tag == "a":
            entity["url"] = attributes.get("href") or ""
        elif tag == "blockquote" and "expandable" in attributes:
            entity["type"] = "expandable_blockquote"
        elif tag == "tg-emoji":
            entity["custom_emoji_id"] = attributes.get("emoji-id") or ""
        elif tag == "code" and (attributes.get("class") or "").startswith("language-"):
            entity["language"] = (attributes.get("class") or "").removeprefix("language-")
        self._open.append((tag, self._length, entity))

    def handle_endtag(self, tag: str) -> None:
        if self.error:
            return
        if not self._open:
            self.error = f"Unexpected end tag at byte offset {self._byte_offset()}"
            return
        open_tag, start, entity = self._open.pop()
        if open_tag != tag:
            self.error = (
                f'Unmatched end tag at byte offset {self._byte_offset()}, expected "</{open_tag}>", '
                f'found "</{tag}>"'
            )
            return
        length = self._length - start
        language = entity.pop("language", None)
        if open_tag == "code" and self._open and self._open[-1][0] == "pre":
            if language:
                self._open[-1][2]["language"] = language
            return
        if length > 0:
            self.entities.append({**entity, "offset": start, "length": length})

    def finish(self) -> None:
        self.close()
        if not self.error and self._open:
            self.error = f'Can\'t find end tag corresponding to start tag "{self._open[-1][0]}"'

    def _byte_offset(self) -> int:
        line, column = self.getpos()
        lines = self._source.split("\n")
        index = sum(len(part) + 1 for part in lines[: line - 1]) + column
        return len(self._source[:index].encode())


def _strip(text: str, entities: list[JsonDict]) -> tuple[str, list[JsonDict]]:
    stripped = text.strip()
    if stripped == text:
        return text, entities
    shift = utf16_len(text[: len(text) - len(text.lstrip())])
    end = utf16_len(stripped)
    kept: list[JsonDict] = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        stop = min(entity["offset"] + entity["length"] - shift, end)
        if stop > start:
            kept.append({**entity, "offset": start, "length": stop - start})
    return stripped, kept


def render(
    text: str | None,
    parse_mode: str | None,
    entities: object,
    *,
    limit: int,
    empty: str | None,
    too_long: str,
) -> tuple[str, list[JsonDict]]:
    """Return the stored text and its entities, or raise the error Telegram gives for this input.

    ``empty`` is the error for an empty result, or None where empty is allowed (captions).
    """
    raw = text or ""
    found: list[JsonDict]
    mode = (parse_mode or "").lower()
    if mode == "html":
        parser = _HtmlEntities(raw)
        parser.feed(raw)
        parser.finish()
        if parser.error:
            raise bad_request(f"can't parse entities: {parser.error}")
        raw, found = parser.text, parser.entities
    elif mode in ("", "markdown", "markdownv2"):
        if entities is not None and not isinstance(entities, list):
            raise bad_request("can't parse entities JSON object")
        found = [dict(e) for e in entities or [] if isinstance(e, dict)]
    else:
        raise bad_request(f"unsupported parse_mode {parse_mode}")
    raw, found = _strip(raw, found)
    if not raw and empty is not None:
        raise ApiError(400, f"Bad Request: {empty}")
    if len(raw) > limit:
        raise ApiError(400, f"Bad Request: {too_long}")
    found.sort(key=lambda e: (e["offset"], -e["length"]))
    return raw, found


def command_entities(text: str) -> list[JsonDict]:
    """The ``bot_command`` entity Telegram adds when a user's message starts with a command."""
    if not text.startswith("/") or len(text) < 2:
        return []
    command = text.split(maxsplit=1)[0]
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
