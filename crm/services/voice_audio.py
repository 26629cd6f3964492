"""Where voice-note audio lives on disk: ``<data_dir>/audio/<note id><suffix>``."""

from __future__ import annotations

import mimetypes
import os
import tempfile
from pathlib import Path

_SUFFIXES = {
    "audio/ogg": ".ogg",
    "audio/opus": ".ogg",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "audio/x-m4a": ".m4a",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "video/mp4": ".mp4",
}


class AudioStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def save(self, note_id: int, data: bytes, mime_type: str | None = None) -> str:
        """Write atomically; returns the name stored on the row (relative to the root)."""
        suffix = _SUFFIXES.get(mime_type or "") or mimetypes.guess_extension(mime_type or "") or ".bin"
        name = f"{note_id}{suffix}"
        self.root.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=self.root, prefix=f".{note_id}.")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temporary, self.root / name)
        finally:
            Path(temporary).unlink(missing_ok=True)
        return name

    def path(self, name: str) -> Path:
        candidate = (self.root / name).resolve()
        if candidate.parent != self.root.resolve():
            raise ValueError(f"audio name {name!r} escapes the audio directory")
        return candidate

    def read(self, name: str) -> bytes:
        return self.path(name).read_bytes()

    def delete(self, name: str) -> None:
        self.path(name).unlink(missing_ok=True)
