"""Decoding Bot API parameters from a query string, a form, a multipart body or JSON.

Telegram accepts every value as a string and converts it per parameter; aiogram relies on that,
sending numbers as ``"123"`` and objects such as ``reply_markup`` as JSON text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import aiohttp
from aiohttp import web

from chronos.emulators.telegram_models import ApiError, JsonDict, Upload, bad_request

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
_JSON_KEYS = {
    "reply_markup": "reply keyboard markup",
    "entities": "entities",
    "caption_entities": "caption entities",
    "allowed_updates": "allowed updates",
    "commands": "commands",
    "scope": "bot command scope",
    "link_preview_options": "link preview options",
    "reply_parameters": "reply parameters",
}
_INT_KEYS = frozenset(
    {
        "chat_id",
        "from_chat_id",
        "user_id",
        "message_id",
        "message_thread_id",
        "reply_to_message_id",
        "offset",
        "limit",
        "timeout",
        "duration",
        "width",
        "height",
        "length",
        "max_connections",
        "cache_time",
    }
)
_BOOL_KEYS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "allow_sending_without_reply",
        "disable_web_page_preview",
        "disable_content_type_detection",
        "drop_pending_updates",
        "show_alert",
        "has_spoiler",
        "show_caption_above_media",
        "allow_paid_broadcast",
    }
)
_INT_TEXT = re.compile(r"-?\d+")


async def read_request(request: web.Request) -> JsonDict:
    raw: dict[str, Any] = dict(request.query)
    content_type = request.content_type
    if content_type == "application/json":
        try:
            body = json.loads(await request.text())
        except ValueError as exc:
            raise bad_request("can't parse JSON request body") from exc
        if not isinstance(body, dict):
            raise bad_request("request body must be a JSON object")
        raw.update(body)
    elif content_type == "multipart/form-data":
        raw.update(await read_multipart(await request.multipart()))
    elif request.can_read_body:
        form = await request.post()
        raw.update({key: value for key, value in form.items() if isinstance(value, str)})
    return decode(raw)


async def read_multipart(reader: aiohttp.MultipartReader) -> JsonDict:
    fields: JsonDict = {}
    total = 0
    while (part := await reader.next()) is not None:
        if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
            continue
        if part.filename is None:
            fields[part.name] = await part.text()
            continue
        data = await part.read()
        total += len(data)
        if total > MAX_UPLOAD_BYTES:
            raise ApiError(413, "Request Entity Too Large")
        fields[part.name] = Upload(part.filename, part.headers.get("Content-Type"), bytes(data))
    return fields


def decode(raw: Mapping[str, Any]) -> JsonDict:
    """Convert string values the way Telegram does and resolve ``attach://name`` to the uploaded part."""
    uploads = {key: value for key, value in raw.items() if isinstance(value, Upload)}
    attached: set[str] = set()
    params: JsonDict = {}
    for key, value in raw.items():
        if isinstance(value, Upload):
            continue
        if isinstance(value, str) and value.startswith("attach://"):
            name = value.removeprefix("attach://")
            if name not in uploads:
                raise bad_request(f"file of {key} not found in the request")
            attached.add(name)
            params[key] = uploads[name]
        else:
            params[key] = _convert(key, value)
    for name, upload in uploads.items():
        if name not in attached:
            params[name] = upload
    return params


def _convert(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if key in _JSON_KEYS:
        try:
            return json.loads(value)
        except ValueError as exc:
            raise bad_request(f"can't parse {_JSON_KEYS[key]} JSON object") from exc
    if key in _INT_KEYS and _INT_TEXT.fullmatch(value):
        return int(value)
    if key in _BOOL_KEYS:
        return value.lower() in ("true", "1")
    return value


def for_record(params: JsonDict) -> JsonDict:
    return {key: value.summary() if isinstance(value, Upload) else value for key, value in params.items()}


def optional_int(params: JsonDict, key: str) -> int | None:
    value = params.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request(f"invalid {key} specified")
    return value


def required_int(params: JsonDict, key: str, missing: str) -> int:
    value = optional_int(params, key)
    if value is None:
        raise bad_request(missing)
    return value


def optional_str(params: JsonDict, key: str) -> str | None:
    value = params.get(key)
    return None if value is None else str(value)
