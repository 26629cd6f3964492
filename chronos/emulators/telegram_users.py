"""What the humans in the emulated chats can do: each action becomes one Bot API update."""

from __future__ import annotations

import copy
from collections.abc import Callable

from chronos.emulators.telegram_models import EmulatedUser, JsonDict, StoredFile, StoredMessage
from chronos.emulators.telegram_store import ChatStore
from chronos.emulators.telegram_text import command_entities
from chronos.emulators.telegram_updates import UpdateBus

Forward = EmulatedUser | str | None


class UserActions:
    """Mixed into :class:`TelegramEmulator`; every method returns the new ``update_id``."""

    _store: ChatStore
    _bus: UpdateBus
    _clock: Callable[[], float]

    def user(
        self,
        id: int,
        first_name: str,
        username: str | None = None,
        language_code: str | None = "fa",
        last_name: str | None = None,
        *,
        started: bool = True,
    ) -> EmulatedUser:
        """A user who has started the bot, so the bot may write to them.

        With ``started=False`` Telegram knows the user (say, from a group) but they never opened the
        bot: sends fail with 403 "bot can't initiate conversation with a user" until the user writes.
        """
        user = EmulatedUser(id, first_name, username, language_code, last_name)
        return self._store.register(user, started=started)

    def deactivate_user(self, user_id: int) -> None:
        """The user deleted their Telegram account: sends fail with 403 "user is deactivated"."""
        if user_id not in self._store.users:
            raise KeyError(f"no user {user_id}")
        self._store.deactivated.add(user_id)

    def send_text(self, user: EmulatedUser, text: str, *, reply_to: int | None = None) -> int:
        content: JsonDict = {"text": text}
        if entities := command_entities(text):
            content["entities"] = entities
        if reply_to is not None and (target := self._store.message(user.id, reply_to)) is not None:
            content["reply_to_message"] = target.snapshot()
        return self._user_message(user, content)

    def send_command(self, user: EmulatedUser, command: str, args: str | None = None) -> int:
        text = "/" + command.removeprefix("/")
        return self.send_text(user, f"{text} {args}" if args else text)

    def press_button(
        self,
        user: EmulatedUser,
        message: int | StoredMessage,
        callback_data: str,
        *,
        check: bool = True,
    ) -> int:
        """Press an inline button of a bot message in ``user``'s chat.

        With ``check`` the button must exist on the message as it is now, as a real client allows.
        """
        self._store.acting(user)
        message_id = message if isinstance(message, int) else message.message_id
        chat_id = user.id if isinstance(message, int) else message.chat_id
        stored = self._store.message(chat_id, message_id)
        if stored is None or not stored.from_bot:
            raise LookupError(f"no bot message {message_id} in chat {chat_id}")
        if check and callback_data not in stored.callback_data:
            raise ValueError(f"message {message_id} has no button {callback_data!r}: {stored.callback_data}")
        query = {
            "id": self._store.next_callback_query_id(self._clock()),
            "from": user.to_api(),
            "message": stored.snapshot(),
            "chat_instance": str(chat_id * 7919 % 2**62),
            "data": callback_data,
        }
        return self._bus.inject({"callback_query": query})

    def send_voice(
        self,
        user: EmulatedUser,
        audio_bytes: bytes,
        duration: int,
        mime_type: str = "audio/ogg",
        forward_from: Forward = None,
        caption: str | None = None,
    ) -> int:
        stored = self._store.add_file("voice", audio_bytes, mime_type=mime_type)
        voice = {**self._media(stored), "duration": duration, "mime_type": mime_type}
        return self._user_message(user, {"voice": voice}, forward_from, caption)

    def send_audio(
        self,
        user: EmulatedUser,
        audio_bytes: bytes,
        duration: int,
        mime_type: str = "audio/mpeg",
        forward_from: Forward = None,
        caption: str | None = None,
        *,
        file_name: str | None = None,
        title: str | None = None,
        performer: str | None = None,
    ) -> int:
        stored = self._store.add_file("audio", audio_bytes, mime_type=mime_type, file_name=file_name)
        audio: JsonDict = {**self._media(stored), "duration": duration, "mime_type": mime_type}
        extra = {"file_name": file_name, "title": title, "performer": performer}
        audio.update({key: value for key, value in extra.items() if value})
        return self._user_message(user, {"audio": audio}, forward_from, caption)

    def send_document(
        self,
        user: EmulatedUser,
        data: bytes,
        file_name: str,
        mime_type: str | None = None,
        forward_from: Forward = None,
        caption: str | None = None,
    ) -> int:
        stored = self._store.add_file("document", data, mime_type=mime_type, file_name=file_name)
        document: JsonDict = {**self._media(stored), "file_name": file_name}
        if mime_type:
            document["mime_type"] = mime_type
        return self._user_message(user, {"document": document}, forward_from, caption)

    def send_video_note(
        self,
        user: EmulatedUser,
        data: bytes,
        duration: int,
        length: int = 240,
        forward_from: Forward = None,
    ) -> int:
        stored = self._store.add_file("video_note", data, mime_type="video/mp4")
        note = {**self._media(stored), "duration": duration, "length": length}
        return self._user_message(user, {"video_note": note}, forward_from)

    def inject_update(self, payload: JsonDict) -> int:
        """Queue any update given as Bot API JSON without ``update_id``; returns the id it got."""
        return self._bus.inject(copy.deepcopy(payload))

    def redeliver(self, update_id: int) -> int:
        """Deliver an earlier update again, unchanged and with the same ``update_id``."""
        self._bus.redeliver(update_id)
        return update_id

    def update(self, update_id: int) -> JsonDict:
        return copy.deepcopy(self._bus.history[update_id])

    def file_bytes(self, file_id: str) -> bytes:
        stored = self._store.file(file_id)
        if stored is None:
            raise KeyError(file_id)
        return stored.data

    @staticmethod
    def _media(stored: StoredFile) -> JsonDict:
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
        }

    def _user_message(
        self,
        user: EmulatedUser,
        content: JsonDict,
        forward_from: Forward = None,
        caption: str | None = None,
    ) -> int:
        self._store.acting(user)
        date = int(self._clock())
        message_id = self._store.next_message_id(user.id)
        raw: JsonDict = {
            "message_id": message_id,
            "from": user.to_api(),
            "chat": user.private_chat(),
            "date": date,
        }
        if isinstance(forward_from, EmulatedUser):
            raw["forward_origin"] = {"type": "user", "date": date, "sender_user": forward_from.to_api()}
        elif isinstance(forward_from, str):
            raw["forward_origin"] = {"type": "hidden_user", "date": date, "sender_user_name": forward_from}
        raw.update(content)
        if caption:
            raw["caption"] = caption
        self._store.add_message(StoredMessage(user.id, message_id, False, raw))
        keyboard = self._store.reply_keyboards.get(user.id)
        if keyboard is not None and keyboard.get("one_time_keyboard") and "text" in content:
            del self._store.reply_keyboards[user.id]
        return self._bus.inject({"message": copy.deepcopy(raw)})
