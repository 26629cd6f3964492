"""Speech to text: decode any Telegram audio or video to 16 kHz mono, and transcribe it with
faster-whisper behind the :class:`SpeechToText` protocol. Pure: imports nothing from crm, bot or jobs."""

from ai.stt.audio import DecodedAudio, decode_audio, sniff_kind
from ai.stt.models import ResolvedModel, resolve_model
from ai.stt.types import (
    AUTO,
    SAMPLE_RATE,
    AudioProblem,
    AudioProblemCode,
    DecodeOptions,
    ModelUnavailable,
    ProgressCallback,
    Samples,
    Segment,
    SpeechToText,
    Transcript,
)
from ai.stt.whisper import FasterWhisperSTT, load_whisper

__all__ = [
    "AUTO",
    "SAMPLE_RATE",
    "AudioProblem",
    "AudioProblemCode",
    "DecodeOptions",
    "DecodedAudio",
    "FasterWhisperSTT",
    "ModelUnavailable",
    "ProgressCallback",
    "ResolvedModel",
    "Samples",
    "Segment",
    "SpeechToText",
    "Transcript",
    "decode_audio",
    "load_whisper",
    "resolve_model",
    "sniff_kind",
]
