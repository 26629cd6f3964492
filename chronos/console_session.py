"""What `chronos console` shows of the emulated chats, and what a typed line does.

Every message the bot sends is shown as it happens, numbered (``#3``), whoever it is for: a message for
someone other than the person you play is labelled ``→ to <name> (<role>)``, so a nudge reaching a
representative or a reply forwarded to an agent is never lost. Inline buttons are numbered per
message (``[3.1]``); ``#3.1`` presses button 1 of message 3 (as the person the message is for), ``#1``
button 1 of your own last message with buttons. Photos and documents are saved under the media
directory and their path printed. Bot text and names are printed as plain Rich ``Text``, never parsed
as markup, and Persian is shaped for the terminal by :mod:`chronos.terminal`: a message is wrapped
first and each drawn line reordered after, so a long Persian message reads from its first line down.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console, Group, RenderableType
from rich.text import Text

from chronos.emulators import RecordedCall, StoredMessage, TelegramEmulator
from chronos.emulators.tracking import UpdateTracker
from chronos.terminal import has_arabic_script, rtl, shape, shaping

ROLES = ("agent", "supervisor", "admin", "representative")
HELP = (
    "Type text or a /command to send it · #N presses button N of your last message with buttons · "
    "#M.N presses button N of message #M · :voice FILE sends audio as a voice note · "
    f":as {'|'.join(ROLES)} switches who you are, :as #M to the person message #M is for · :help · :quit"
)
REPLY_TIMEOUT_S = 60.0
_PRESS = re.compile(r"#(\d+)(?:\.(\d+))?")
_MESSAGE_NUMBER = re.compile(r"#(\d+)")
_MESSAGE_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
    }
)
_UNSAFE_IN_FILE_NAME = re.compile(r"[^\w.-]+")
_IMAGE_SUFFIXES = ((b"\x89PNG", ".png"), (b"\xff\xd8", ".jpg"), (b"GIF8", ".gif"))


@dataclass(frozen=True)
class Person:
    """Someone in the emulated world: who you play, or whom a message is for."""

    telegram_id: int
    name: str
    role: str

    @property
    def label(self) -> str:
        return f"{rtl(self.name)} ({self.role})"


Switch = Callable[[str], Awaitable[Person]]


def _buttons(message: StoredMessage) -> list[tuple[str, str]]:
    """(label, callback data) of the message's callback buttons, in the order they are numbered."""
    return [
        (str(button.get("text", "")), str(button["callback_data"]))
        for row in message.inline_keyboard
        for button in row
        if "callback_data" in button
    ]


def _image_suffix(data: bytes) -> str:
    return next((suffix for magic, suffix in _IMAGE_SUFFIXES if data.startswith(magic)), ".bin")


class ConsoleSession:
    def __init__(
        self,
        emulator: TelegramEmulator,
        tracker: UpdateTracker,
        me: Person,
        out: Console,
        *,
        media_dir: Path,
        people: Mapping[int, Person] | None = None,
        switch: Switch | None = None,
        reply_timeout_s: float = REPLY_TIMEOUT_S,
    ) -> None:
        self.emulator = emulator
        self.tracker = tracker
        self.out = out
        self.media_dir = media_dir
        self.people: dict[int, Person] = dict(people or {})
        self._switch = switch
        self._reply_timeout_s = reply_timeout_s
        self._shown: list[tuple[int, int]] = []  # (chat id, message id) of message #n at index n - 1
        self._numbers: dict[tuple[int, int], int] = {}
        self.become(me)

    def become(self, person: Person) -> None:
        self.me = person
        self.people[person.telegram_id] = person
        self.user = self.emulator.user(person.telegram_id, person.name)

    def show(self, call: RecordedCall) -> None:
        """Print what a Bot API call means to the people in the chats (an ``on_call`` subscriber)."""
        if call.method == "answerCallbackQuery":
            if not call.ok:
                self._refused(call, "the answer to a button press")
            elif call.params.get("text"):
                self.out.print(self._shaped(Text(f"⚠ {call.params['text']}", style="yellow")))
            return
        if call.method not in _MESSAGE_METHODS:
            return
        if not call.ok:
            self._refused(call, f"a message to {self._person(call.params.get('chat_id')).label}")
            return
        result = call.result
        if not isinstance(result, dict):  # an edit of an inline-mode message answers True
            return
        chat_id, message_id = int(result["chat"]["id"]), int(result["message_id"])
        stored = self.emulator.message(chat_id, message_id)
        if stored is None:
            return
        number = self._number(chat_id, message_id)
        line = Text("✎ " if call.method.startswith("edit") else "🤖 ", style="cyan")
        if chat_id != self.me.telegram_id:
            line.append(f"→ to {self._person(chat_id, stored).label} ", style="magenta")
        line.append(f"#{number} ", style="bold cyan")
        if call.method in {"sendPhoto", "sendDocument"}:
            saved = self._save_media(call, stored)
            line.append(f"[{call.method.removeprefix('send').lower()}: {saved}] ", style="green")
        if call.method == "editMessageReplyMarkup":
            line.append("(buttons changed)" if stored.inline_keyboard else "(buttons removed)", style="dim")
        elif stored.text and has_arabic_script(stored.text):
            # A paragraph of its own, wrapped first and then put into visual order line by line.
            line.rstrip()
            self.out.print(line)
            self.out.print(self._shaped(Text(stored.text.rstrip(), style="cyan")))
            self._print_buttons(number, stored)
            return
        elif stored.text:
            line.append(stored.text, style="cyan")
        line.rstrip()
        self.out.print(line)
        self._print_buttons(number, stored)

    def _shaped(self, text: Text) -> RenderableType:
        """Persian for this terminal, when shaping is on (:mod:`chronos.terminal`). In a group, so that
        Rich draws it as given instead of joining it into a plain ``Text`` that is never reordered."""
        return Group(shape(text)) if shaping(self.out.file) else text

    async def handle(self, line: str) -> bool:
        """Act on one typed line; returns False to quit."""
        line = line.strip()
        if not line:
            return True
        if line in {":quit", ":q", ":exit"}:
            return False
        if line in {":help", ":h"}:
            self.out.print(Text(HELP))
            return True
        if line == ":as" or line.startswith(":as "):
            await self._switch_to(line.removeprefix(":as").strip())
            return True
        update_id: int | None
        if press := _PRESS.fullmatch(line):
            update_id = self._press(int(press[1]), None if press[2] is None else int(press[2]))
        elif line.startswith(":voice "):
            audio = await asyncio.to_thread(_read_file, line.removeprefix(":voice ").strip())
            if audio is None:
                self._hint("no such file")
                return True
            update_id = self.emulator.send_voice(self.user, audio, duration=0)
        else:
            update_id = self.emulator.send_text(self.user, line)
        if update_id is not None:
            with contextlib.suppress(TimeoutError):
                await self.tracker.wait(update_id, within_s=self._reply_timeout_s)
        return True

    def _number(self, chat_id: int, message_id: int) -> int:
        key = (chat_id, message_id)
        if key not in self._numbers:
            self._shown.append(key)
            self._numbers[key] = len(self._shown)
        return self._numbers[key]

    def _person(self, chat_id: object, stored: StoredMessage | None = None) -> Person:
        if isinstance(chat_id, int) and chat_id in self.people:
            return self.people[chat_id]
        name = str((stored.raw.get("chat") or {}).get("first_name", chat_id)) if stored else str(chat_id)
        return Person(chat_id if isinstance(chat_id, int) else 0, name, "not in the CRM")

    def _print_buttons(self, number: int, message: StoredMessage) -> None:
        index = 0
        for row in message.inline_keyboard:
            labels = []
            for button in row:
                if "callback_data" in button:
                    index += 1
                    labels.append(f"[{number}.{index}] {rtl(str(button.get('text', '')))}")
            if labels:
                self.out.print(Text("   " + "   ".join(labels)))

    def _refused(self, call: RecordedCall, what: str) -> None:
        description = str(call.response.get("description", call.response_status))
        if "message is not modified" in description:  # a no-op edit: the reader sees nothing change
            return
        self.out.print(Text(f"✗ Telegram refused {what}: {description}", style="red"))

    def _hint(self, text: str) -> None:
        self.out.print(Text(text, style="red"))

    def _last_with_buttons(self) -> int | None:
        for number in range(len(self._shown), 0, -1):
            chat_id, message_id = self._shown[number - 1]
            stored = self.emulator.message(chat_id, message_id)
            if chat_id == self.me.telegram_id and stored is not None and _buttons(stored):
                return number
        return None

    def _press(self, first: int, second: int | None) -> int | None:
        """``#N`` (first=N) or ``#M.N`` (first=M, second=N); the update id, or None after a hint."""
        if second is None:
            found = self._last_with_buttons()
            if found is None:
                self._hint("none of your messages has buttons; #M.N presses button N of message #M")
                return None
            number, index = found, first
        else:
            number, index = first, second
        stored = self._message(number)
        if stored is None:
            return None
        chat_id = stored.chat_id
        buttons = _buttons(stored)
        if not 1 <= index <= len(buttons):
            has = {0: "no buttons", 1: "only button 1"}.get(len(buttons), f"buttons 1–{len(buttons)}")
            self._hint(f"message #{number} has {has}")
            return None
        presser = self.user
        if chat_id != self.me.telegram_id:
            owner = self._person(chat_id, stored)
            self.out.print(Text(f"(message #{number} is for {owner.label}: pressing as them)", style="dim"))
            presser = self.emulator.user(chat_id, owner.name)
        return self.emulator.press_button(presser, stored, buttons[index - 1][1])

    async def _switch_to(self, target: str) -> None:
        """``:as ROLE`` or ``:as #M`` (whoever message #M is for)."""
        if number := _MESSAGE_NUMBER.fullmatch(target):
            found = self._message(int(number[1]))
            if found is None:
                return
            self.become(self._person(found.chat_id, found))
        elif target in ROLES and self._switch is not None:
            self.become(await self._switch(target))
        else:
            self._hint(f"roles: {', '.join(ROLES)}, or #M for the person message #M is for")
            return
        self.out.print(Text(f"You are now {self.me.label}."))

    def _message(self, number: int) -> StoredMessage | None:
        """Message #number as it is now, or None after a hint."""
        if not 1 <= number <= len(self._shown):
            self._hint(f"there is no message #{number}")
            return None
        stored = self.emulator.message(*self._shown[number - 1])
        if stored is None:
            self._hint(f"message #{number} was deleted")
        return stored

    def _save_media(self, call: RecordedCall, stored: StoredMessage) -> Path | None:
        """Write the photo or document to the media directory, named after its chat and message."""
        stem = f"{stored.chat_id}-{stored.message_id}"
        if photos := stored.raw.get("photo"):
            data = self.emulator.file_bytes(str(photos[-1]["file_id"]))
            upload = call.params.get("photo")
            uploaded_name = upload.get("filename") if isinstance(upload, dict) else None
            suffix = Path(str(uploaded_name)).suffix if uploaded_name else ""
            name = stem + (suffix or _image_suffix(data))
        elif document := stored.raw.get("document"):
            data = self.emulator.file_bytes(str(document["file_id"]))
            original = Path(str(document.get("file_name") or "document")).name
            name = f"{stem}-{_UNSAFE_IN_FILE_NAME.sub('_', original)}"
        else:
            return None
        path = self.media_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path


def _read_file(path_text: str) -> bytes | None:
    path = Path(path_text).expanduser()
    return path.read_bytes() if path.is_file() else None
