"""Plain data shared by the pieces of the Telegram Bot API emulator."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Literal

JsonDict = dict[str, Any]
FaultKind = Literal["429", "500", "slow"]


class ApiError(Exception):
    """A Bot API error reply: ``{"ok": false, "error_code": status, "description": ...}``."""

    def __init__(self, status: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def body(self) -> JsonDict:
        body: JsonDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


@dataclass(frozen=True, slots=True)
class EmulatedUser:
    """A human on the other side of a private chat; the chat id equals the user id."""

    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = "fa"
    last_name: str | None = None

    def to_api(self) -> JsonDict:
        data: JsonDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    def private_chat(self) -> JsonDict:
        data: JsonDict = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        return data


@dataclass(frozen=True, slots=True)
class RecordedCall:
    """One Bot API request as the emulator saw it.

    ``params`` are decoded (ints, JSON objects; uploads as ``{"filename", "content_type", "size"}``).
    File downloads are recorded too, as method ``downloadFile`` with ``{"file_path": ...}``.
    """

    method: str
    params: JsonDict
    at: float
    response_status: int
    response: JsonDict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.response_status == 200

    @property
    def result(self) -> Any:
        return self.response.get("result")


@dataclass(slots=True)
class StoredMessage:
    """A message in a chat, kept current through edits and deletes.

    ``raw`` is the Bot API ``Message`` object; ``reply_markup`` is the markup exactly as the bot sent
    it, which includes reply keyboards that Telegram never echoes back inside ``raw``.
    """

    chat_id: int
    message_id: int
    from_bot: bool
    raw: JsonDict
    reply_markup: JsonDict | None = None
    edit_count: int = 0
    deleted: bool = False

    @property
    def text(self) -> str | None:
        """The text, or the caption of a media message."""
        value = self.raw.get("text", self.raw.get("caption"))
        return value if isinstance(value, str) else None

    @property
    def inline_keyboard(self) -> list[list[JsonDict]]:
        markup = self.raw.get("reply_markup") or {}
        rows: list[list[JsonDict]] = markup.get("inline_keyboard", [])
        return rows

    @property
    def callback_data(self) -> list[str]:
        return [b["callback_data"] for row in self.inline_keyboard for b in row if "callback_data" in b]

    def snapshot(self) -> JsonDict:
        return copy.deepcopy(self.raw)


@dataclass(frozen=True, slots=True)
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    mime_type: str | None = None
    file_name: str | None = None

    @property
    def file_size(self) -> int:
        return len(self.data)

    def to_api_file(self) -> JsonDict:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
            "file_path": self.file_path,
        }


@dataclass(frozen=True, slots=True)
class Upload:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str | None
    data: bytes

    def summary(self) -> JsonDict:
        return {"filename": self.filename, "content_type": self.content_type, "size": len(self.data)}


@dataclass(slots=True)
class Fault:
    """A scheduled misbehaviour; ``method=None`` matches every method except ``getUpdates``."""

    method: str | None
    kind: FaultKind
    retry_after: int = 1
    delay: float = 0.0
    remaining: int = 1


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    update_id: int
    at: float
    status: int | None
    error: str | None = None
