"""The Bot API methods the emulator implements, with Telegram's validation and error texts."""

from __future__ import annotations

import json
import mimetypes
import re
from collections.abc import Awaitable, Callable
from typing import Any

from chronos.emulators.telegram_models import (
    ApiError,
    EmulatedUser,
    JsonDict,
    StoredFile,
    StoredMessage,
    Upload,
)
from chronos.emulators.telegram_models import bad_request as bad
from chronos.emulators.telegram_params import optional_int, optional_str, required_int
from chronos.emulators.telegram_store import ChatStore, image_size
from chronos.emulators.telegram_text import render
from chronos.emulators.telegram_updates import UpdateBus, Webhook

Handler = Callable[[JsonDict], Awaitable[Any]]

MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
MAX_CALLBACK_ANSWER_CHARS = 200
CALLBACK_ANSWER_WINDOW_S = 15.0
_QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
_PHOTO_SIDES = (90, 320, 800)
_MEDIA_KEYS = ("photo", "document", "voice", "audio", "video_note", "video", "animation")
_COMPARED = ("text", "entities", "caption", "caption_entities", "reply_markup")


def _markup(params: JsonDict, *, inline_only: bool) -> JsonDict | None:
    markup = params.get("reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad("can't parse inline keyboard markup JSON object")
        for button in (button for row in rows for button in row):
            _check_button(button)
        return {"inline_keyboard": rows}
    if inline_only:
        raise bad("inline keyboard expected")
    if "keyboard" in markup or markup.get("remove_keyboard") or markup.get("force_reply"):
        return markup
    raise bad("can't parse reply keyboard markup JSON object")


def _check_button(button: object) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad('can\'t parse inline keyboard button: Field "text" must be of type String')
    if len([key for key in button if key != "text"]) != 1:
        raise bad("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
    data = button.get("callback_data")
    if data is not None and not 1 <= len(str(data).encode()) <= 64:
        raise bad("BUTTON_DATA_INVALID")
    url = button.get("url")
    if url is not None and not str(url).startswith(("http://", "https://", "tg://")):
        raise bad(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")


class BotApiMethods:
    def __init__(
        self,
        store: ChatStore,
        bus: UpdateBus,
        bot: JsonDict,
        clock: Callable[[], float],
        *,
        callback_answer_window_s: float = CALLBACK_ANSWER_WINDOW_S,
    ) -> None:
        self._store = store
        self._bus = bus
        self._bot = bot
        self._clock = clock
        self._callback_answer_window_s = callback_answer_window_s
        handlers: list[tuple[str, Handler]] = [
            ("getMe", self.get_me),
            ("getUpdates", self.get_updates),
            ("setWebhook", self.set_webhook),
            ("deleteWebhook", self.delete_webhook),
            ("getWebhookInfo", self.get_webhook_info),
            ("sendMessage", self.send_message),
            ("editMessageText", self.edit_message_text),
            ("editMessageCaption", self.edit_message_caption),
            ("editMessageReplyMarkup", self.edit_message_reply_markup),
            ("deleteMessage", self.delete_message),
            ("answerCallbackQuery", self.answer_callback_query),
            ("sendChatAction", self.send_chat_action),
            ("sendPhoto", self.send_photo),
            ("sendDocument", self.send_document),
            ("getFile", self.get_file),
            ("setMyCommands", self.set_my_commands),
            ("getMyCommands", self.get_my_commands),
            ("deleteMyCommands", self.delete_my_commands),
        ]
        self.handlers = {name.lower(): (name, handler) for name, handler in handlers}

    @property
    def bot_sender(self) -> JsonDict:
        return {key: self._bot[key] for key in ("id", "is_bot", "first_name", "username")}

    async def get_me(self, params: JsonDict) -> JsonDict:
        return dict(self._bot)

    async def get_updates(self, params: JsonDict) -> list[JsonDict]:
        self._bus.set_allowed(params.get("allowed_updates"))
        return await self._bus.get_updates(
            optional_int(params, "offset"),
            optional_int(params, "limit") or 100,
            optional_int(params, "timeout") or 0,
        )

    async def set_webhook(self, params: JsonDict) -> bool:
        url = optional_str(params, "url") or ""
        drop = bool(params.get("drop_pending_updates"))
        if not url:
            self._bus.set_webhook(None, drop_pending=drop)
            return True
        if not url.startswith(("http://", "https://")):
            raise bad("bad webhook: An HTTPS URL must be provided for webhook")
        secret = optional_str(params, "secret_token")
        if secret is not None and not _SECRET.fullmatch(secret):
            raise bad("secret token contains unallowed characters")
        allowed = params.get("allowed_updates")
        self._bus.set_allowed(allowed)
        hook = Webhook(
            url=url,
            secret_token=secret,
            max_connections=optional_int(params, "max_connections") or 40,
            allowed_updates=allowed if isinstance(allowed, list) else None,
        )
        self._bus.set_webhook(hook, drop_pending=drop)
        return True

    async def delete_webhook(self, params: JsonDict) -> bool:
        self._bus.set_webhook(None, drop_pending=bool(params.get("drop_pending_updates")))
        return True

    async def get_webhook_info(self, params: JsonDict) -> JsonDict:
        return self._bus.webhook_info()

    async def send_message(self, params: JsonDict) -> JsonDict:
        chat = self._store.writable_chat(params.get("chat_id"))
        text, entities = render(
            optional_str(params, "text"),
            optional_str(params, "parse_mode"),
            params.get("entities"),
            limit=4096,
            empty="message text is empty",
            too_long="message is too long",
        )
        content: JsonDict = {"text": text}
        if entities:
            content["entities"] = entities
        return self._send(chat, content, params)

    async def edit_message_text(self, params: JsonDict) -> JsonDict:
        stored = self._editable(params)
        if "text" not in stored.raw:
            raise bad("there is no text in the message to edit")
        text, entities = render(
            optional_str(params, "text"),
            optional_str(params, "parse_mode"),
            params.get("entities"),
            limit=4096,
            empty="text must be non-empty",
            too_long="MESSAGE_TOO_LONG",
        )
        return self._edit(stored, {"text": text, "entities": entities}, _markup(params, inline_only=True))

    async def edit_message_caption(self, params: JsonDict) -> JsonDict:
        stored = self._editable(params)
        if not any(key in stored.raw for key in _MEDIA_KEYS):
            raise bad("there is no caption in the message to edit")
        caption, entities = self._caption(params)
        changes = {"caption": caption, "caption_entities": entities}
        return self._edit(stored, changes, _markup(params, inline_only=True))

    async def edit_message_reply_markup(self, params: JsonDict) -> JsonDict:
        return self._edit(self._editable(params), {}, _markup(params, inline_only=True))

    async def delete_message(self, params: JsonDict) -> bool:
        chat = self._store.chat(params.get("chat_id"))
        message_id = required_int(params, "message_id", "message identifier is not specified")
        stored = self._store.message(chat.id, message_id)
        if stored is None:
            raise bad("message to delete not found")
        stored.deleted = True
        return True

    async def answer_callback_query(self, params: JsonDict) -> bool:
        """Telegram lets a bot answer a query once, within a short window after the press."""
        query_id = optional_str(params, "callback_query_id") or ""
        pressed_at = self._store.open_callback_queries.get(query_id)
        if pressed_at is None:
            raise bad(_QUERY_TOO_OLD)
        if self._clock() - pressed_at > self._callback_answer_window_s:
            del self._store.open_callback_queries[query_id]
            raise bad(_QUERY_TOO_OLD)
        if len(optional_str(params, "text") or "") > MAX_CALLBACK_ANSWER_CHARS:
            raise bad("MESSAGE_TOO_LONG")
        del self._store.open_callback_queries[query_id]
        return True

    async def send_chat_action(self, params: JsonDict) -> bool:
        self._store.writable_chat(params.get("chat_id"))
        if params.get("action") not in _CHAT_ACTIONS:
            raise bad("wrong parameter action in request")
        return True

    async def send_photo(self, params: JsonDict) -> JsonDict:
        chat = self._store.writable_chat(params.get("chat_id"))
        data, _, _ = self._input_file(params.get("photo"), "there is no photo in the request")
        size = image_size(data)
        if size is None:
            raise bad("IMAGE_PROCESS_FAILED")
        width, height = size
        sides = [side for side in _PHOTO_SIDES if max(width, height) > side]
        sides.append(min(max(width, height), 1280))
        photos: list[JsonDict] = []
        for side in sides:
            scale = side / max(width, height, 1)
            stored = self._store.add_file("photo", data, mime_type="image/jpeg", variant=str(side))
            photos.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "file_size": stored.file_size,
                    "width": max(1, round(width * scale)),
                    "height": max(1, round(height * scale)),
                }
            )
        return self._send(chat, {"photo": photos, **self._caption_content(params)}, params)

    async def send_document(self, params: JsonDict) -> JsonDict:
        chat = self._store.writable_chat(params.get("chat_id"))
        data, name, existing = self._input_file(params.get("document"), "there is no document in the request")
        if existing is None:
            mime = mimetypes.guess_type(name or "")[0] or "application/octet-stream"
            existing = self._store.add_file("document", data, mime_type=mime, file_name=name)
        document: JsonDict = {
            "file_id": existing.file_id,
            "file_unique_id": existing.file_unique_id,
            "file_size": existing.file_size,
        }
        if existing.file_name:
            document["file_name"] = existing.file_name
        if existing.mime_type:
            document["mime_type"] = existing.mime_type
        return self._send(chat, {"document": document, **self._caption_content(params)}, params)

    async def get_file(self, params: JsonDict) -> JsonDict:
        stored = self._store.file(optional_str(params, "file_id") or "")
        if stored is None:
            raise bad("invalid file_id")
        if stored.file_size > MAX_DOWNLOAD_BYTES:
            raise bad("file is too big")
        return stored.to_api_file()

    async def set_my_commands(self, params: JsonDict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad("can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND.fullmatch(str(command.get("command", ""))):
                raise bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
        self._store.commands[self.commands_key(params)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def get_my_commands(self, params: JsonDict) -> list[JsonDict]:
        return list(self._store.commands.get(self.commands_key(params), []))

    async def delete_my_commands(self, params: JsonDict) -> bool:
        self._store.commands.pop(self.commands_key(params), None)
        return True

    @staticmethod
    def commands_key(params: JsonDict) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), optional_str(params, "language_code") or ""

    def _caption(self, params: JsonDict) -> tuple[str, list[JsonDict]]:
        return render(
            optional_str(params, "caption"),
            optional_str(params, "parse_mode"),
            params.get("caption_entities"),
            limit=1024,
            empty=None,
            too_long="message caption is too long",
        )

    def _caption_content(self, params: JsonDict) -> JsonDict:
        caption, entities = self._caption(params)
        content: JsonDict = {}
        if caption:
            content["caption"] = caption
        if entities:
            content["caption_entities"] = entities
        return content

    def _input_file(self, value: object, missing: str) -> tuple[bytes, str | None, StoredFile | None]:
        if isinstance(value, Upload):
            return value.data, value.filename, None
        if not isinstance(value, str) or not value:
            raise bad(missing)
        if value.startswith(("http://", "https://")):
            raise bad("failed to get HTTP URL content")
        stored = self._store.file(value)
        if stored is None:
            raise bad("wrong file identifier/HTTP URL specified")
        return stored.data, stored.file_name, stored

    def _send(self, chat: EmulatedUser, content: JsonDict, params: JsonDict) -> JsonDict:
        markup = _markup(params, inline_only=False)
        reply_to = self._reply_to(chat.id, params)
        message_id = self._store.next_message_id(chat.id)
        raw: JsonDict = {
            "message_id": message_id,
            "from": self.bot_sender,
            "chat": chat.private_chat(),
            "date": int(self._clock()),
        }
        if reply_to is not None:
            raw["reply_to_message"] = reply_to
        raw.update(content)
        if markup is not None and "inline_keyboard" in markup:
            raw["reply_markup"] = markup
        if markup is not None and "keyboard" in markup:
            self._store.reply_keyboards[chat.id] = markup
        elif markup is not None and markup.get("remove_keyboard"):
            self._store.reply_keyboards.pop(chat.id, None)
        stored = self._store.add_message(StoredMessage(chat.id, message_id, True, raw, markup))
        return stored.snapshot()

    def _reply_to(self, chat_id: int, params: JsonDict) -> JsonDict | None:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            message_id, lenient = reply.get("message_id"), bool(reply.get("allow_sending_without_reply"))
        else:
            message_id = optional_int(params, "reply_to_message_id")
            lenient = bool(params.get("allow_sending_without_reply"))
        if not isinstance(message_id, int):
            return None
        target = self._store.message(chat_id, message_id)
        if target is None:
            if lenient:
                return None
            raise bad("message to be replied not found")
        snapshot = target.snapshot()
        snapshot.pop("reply_to_message", None)
        return snapshot

    def _editable(self, params: JsonDict) -> StoredMessage:
        if params.get("inline_message_id"):
            raise bad("MESSAGE_ID_INVALID")
        chat = self._store.writable_chat(params.get("chat_id"))
        message_id = required_int(params, "message_id", "message identifier is not specified")
        stored = self._store.message(chat.id, message_id)
        if stored is None:
            raise bad("message to edit not found")
        if not stored.from_bot:
            raise bad("message can't be edited")
        return stored

    def _edit(self, stored: StoredMessage, changes: JsonDict, markup: JsonDict | None) -> JsonDict:
        updated = dict(stored.raw)
        for key, value in changes.items():
            if value:
                updated[key] = value
            else:
                updated.pop(key, None)
        if markup is not None:
            updated["reply_markup"] = markup
        else:
            updated.pop("reply_markup", None)
        if all(updated.get(key) == stored.raw.get(key) for key in _COMPARED):
            raise ApiError(400, f"Bad Request: {_NOT_MODIFIED}")
        updated["edit_date"] = int(self._clock())
        stored.raw = updated
        stored.reply_markup = markup
        stored.edit_count += 1
        return stored.snapshot()
