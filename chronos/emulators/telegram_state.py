"""The ids Telegram never reuses: update ids, message ids per chat and callback query ids.

The bot dedupes updates by update id and a representative's reply by chat and message id, so an
emulator that started again at 1 on the same database would have every update dropped as a repeat.
Given a state file, the counters continue where the last emulator on that file stopped; the file is
rewritten atomically (a temporary file, then a rename) each time an id is handed out, so even a killed
process leaves the last id it used. Without a file they start at 1, as tests expect.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

FIRST_CALLBACK_QUERY_ID = 4_000_000_000_000_000_001
_VERSION = 1


class StateFileError(RuntimeError):
    pass


class IdCounters:
    def __init__(self, path: Path | None = None) -> None:
        self._path = path
        self._next_update_id = 1
        self._next_callback_query_id = FIRST_CALLBACK_QUERY_ID
        self._next_message_id: dict[int, int] = {}
        if path is not None and path.exists():
            self._load(path)

    @property
    def path(self) -> Path | None:
        return self._path

    def next_update_id(self) -> int:
        value, self._next_update_id = self._next_update_id, self._next_update_id + 1
        self._save()
        return value

    def next_message_id(self, chat_id: int) -> int:
        value = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = value + 1
        self._save()
        return value

    def next_callback_query_id(self) -> int:
        value, self._next_callback_query_id = self._next_callback_query_id, self._next_callback_query_id + 1
        self._save()
        return value

    def _load(self, path: Path) -> None:
        try:
            state: Any = json.loads(path.read_text(encoding="utf-8"))
            if state.get("version") != _VERSION:
                raise ValueError(f"unknown version {state.get('version')!r}")
            self._next_update_id = int(state["next_update_id"])
            self._next_callback_query_id = int(state["next_callback_query_id"])
            self._next_message_id = {int(chat): int(n) for chat, n in state["next_message_id"].items()}
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            # Starting again at 1 would make the bot drop every update as already handled.
            raise StateFileError(
                f"the Telegram emulator's state file {path} is unreadable ({exc}); move it away to start "
                "the ids again (the bot may then ignore updates it believes it has seen)"
            ) from exc

    def _save(self) -> None:
        if self._path is None:
            return
        state = {
            "version": _VERSION,
            "next_update_id": self._next_update_id,
            "next_callback_query_id": self._next_callback_query_id,
            "next_message_id": {str(chat): n for chat, n in sorted(self._next_message_id.items())},
        }
        self._path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self._path.with_name(f".{self._path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(state, indent=1), encoding="utf-8")
        os.replace(temporary, self._path)
