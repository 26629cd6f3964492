"""Message text as Telegram stores it: parse_mode=HTML turned into plain text plus entities (see
:mod:`chronos.emulators.telegram_html`), then trimmed.

Offsets and lengths are in UTF-16 code units, as in the Bot API. Markdown parse modes are kept verbatim:
the emulator does not check their escaping.
"""

from __future__ import annotations

from chronos.emulators.telegram_html import HtmlParseError, parse_html, utf16_len
from chronos.emulators.telegram_models import ApiError, JsonDict, bad_request


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
        try:
            raw, found = parse_html(raw)
        except HtmlParseError as exc:
            raise bad_request(f"can't parse entities: {exc}") from None
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
