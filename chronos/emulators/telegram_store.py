"""What the emulated Telegram server remembers: users, chats, messages and files."""

from __future__ import annotations

import base64
import hashlib
import itertools
import mimetypes
import secrets
import struct

from chronos.emulators.telegram_models import ApiError, EmulatedUser, JsonDict, StoredFile, StoredMessage
from chronos.emulators.telegram_state import IdCounters

_FOLDERS = {
    "voice": ("voice", ".oga"),
    "audio": ("music", ".mp3"),
    "document": ("documents", ""),
    "photo": ("photos", ".jpg"),
    "video_note": ("video_notes", ".mp4"),
}
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF or JPEG image, or None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data.startswith(b"\xff\xd8"):
        index = 2
        while index + 9 <= len(data) and data[index] == 0xFF:
            marker = data[index + 1]
            if marker in _JPEG_SOF:
                height, width = struct.unpack(">HH", data[index + 5 : index + 9])
                return int(width), int(height)
            (segment,) = struct.unpack(">H", data[index + 2 : index + 4])
            index += 2 + int(segment)
    return None


class ChatStore:
    def __init__(self, ids: IdCounters) -> None:
        self._ids = ids
        self.users: dict[int, EmulatedUser] = {}
        self.blocked: set[int] = set()
        self.never_started: set[int] = set()
        """Users Telegram knows (their chat id resolves) who never opened a chat with the bot."""
        self.deactivated: set[int] = set()
        self.reply_keyboards: dict[int, JsonDict] = {}
        self.open_callback_queries: dict[str, float] = {}
        """Callback queries not answered yet, with the time each was pressed."""
        self.commands: dict[tuple[str, str], list[JsonDict]] = {}
        self._messages: dict[int, dict[int, StoredMessage]] = {}
        self._files: dict[str, StoredFile] = {}
        self._paths: dict[str, StoredFile] = {}
        self._file_numbers = itertools.count(1)

    def register(self, user: EmulatedUser, *, started: bool = True) -> EmulatedUser:
        self.users[user.id] = user
        if started:
            self.never_started.discard(user.id)
        else:
            self.never_started.add(user.id)
        return user

    def acting(self, user: EmulatedUser) -> EmulatedUser:
        """The user writes to the bot or presses a button, which starts the chat."""
        if user.id in self.deactivated:
            raise ValueError(f"user {user.id} is deactivated and cannot act")
        return self.register(user)

    def chat(self, chat_id: object) -> EmulatedUser:
        """The private chat addressed by ``chat_id``, with the errors Telegram gives."""
        if chat_id is None or chat_id == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        user = self.users.get(chat_id) if isinstance(chat_id, int) else None
        if user is None:
            raise ApiError(400, "Bad Request: chat not found")
        return user

    def writable_chat(self, chat_id: object) -> EmulatedUser:
        user = self.chat(chat_id)
        if user.id in self.deactivated:
            raise ApiError(403, "Forbidden: user is deactivated")
        if user.id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if user.id in self.never_started:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return user

    def next_message_id(self, chat_id: int) -> int:
        return self._ids.next_message_id(chat_id)

    def add_message(self, message: StoredMessage) -> StoredMessage:
        self._messages.setdefault(message.chat_id, {})[message.message_id] = message
        return message

    def message(self, chat_id: int, message_id: int) -> StoredMessage | None:
        found = self._messages.get(chat_id, {}).get(message_id)
        return None if found is None or found.deleted else found

    def history(self, chat_id: int) -> list[StoredMessage]:
        return [m for m in self._messages.get(chat_id, {}).values() if not m.deleted]

    def next_callback_query_id(self, pressed_at: float) -> str:
        query_id = str(self._ids.next_callback_query_id())
        self.open_callback_queries[query_id] = pressed_at
        return query_id

    def add_file(
        self,
        kind: str,
        data: bytes,
        *,
        mime_type: str | None = None,
        file_name: str | None = None,
        variant: str = "",
    ) -> StoredFile:
        """Store bytes under a fresh ``file_id``; ``file_unique_id`` depends only on the content.

        Real Telegram gives the same file the same ``file_unique_id`` however often it is forwarded,
        which is what duplicate detection relies on.
        """
        folder, default_suffix = _FOLDERS.get(kind, ("documents", ""))
        suffix = default_suffix
        if file_name and "." in file_name:
            suffix = "." + file_name.rsplit(".", 1)[1]
        elif not suffix and mime_type:
            suffix = mimetypes.guess_extension(mime_type) or ""
        digest = hashlib.sha256(data + variant.encode()).digest()
        stored = StoredFile(
            file_id=f"BQACAgQAAxkBAAI{secrets.token_urlsafe(24)}",
            file_unique_id="AgAD" + base64.urlsafe_b64encode(digest[:9]).decode(),
            file_path=f"{folder}/file_{next(self._file_numbers)}{suffix}",
            data=data,
            mime_type=mime_type,
            file_name=file_name,
        )
        self._files[stored.file_id] = stored
        self._paths[stored.file_path] = stored
        return stored

    def file(self, file_id: str) -> StoredFile | None:
        return self._files.get(file_id)

    def file_by_path(self, file_path: str) -> StoredFile | None:
        return self._paths.get(file_path)
