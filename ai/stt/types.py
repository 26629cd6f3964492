"""Plain data of speech-to-text: options in, a transcript out, and the reasons audio is refused."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

SAMPLE_RATE = 16_000
AUTO = "auto"

# Called from the transcribing thread with the fraction of the audio done (0..1).
ProgressCallback = Callable[[float], None]
Samples = NDArray[np.float32]


class AudioProblemCode(StrEnum):
    """Why audio cannot be transcribed; each maps to a clear reply for the agent."""

    EMPTY = "empty"
    CORRUPT = "corrupt"
    NOT_AUDIO = "not_audio"
    SILENCE = "silence"
    TOO_LONG = "too_long"
    NO_SPEECH = "no_speech"


class AudioProblem(Exception):
    """The input itself is unusable; retrying the same bytes cannot help."""

    def __init__(self, code: AudioProblemCode, detail: str) -> None:
        super().__init__(f"{code.value}: {detail}")
        self.code = code
        self.detail = detail


class ModelUnavailable(RuntimeError):
    """The configured model is not on this machine (and is never downloaded at run time)."""


@dataclass(frozen=True, slots=True)
class DecodeOptions:
    """How Whisper decodes. Defaults are the measured choice for Persian on 2 CPU cores (bench_voice,
    24 espeak-ng clips and whole 30 s / 120 s notes):

    * ``beam_size=1`` (greedy): beam 5 lowers the character error rate only from 0.44 to 0.42 for
      about 1.5× the CPU time on whole notes.
    * ``temperatures=(0.0, 0.6)`` with ``log_prob_threshold=-1.5``: one sampled retry for a window
      whose output loops (compression ratio > 2.4) or is very unsure. Without any retry the base
      model loops on Persian (CER 0.82); Whisper's stock fallback (six temperatures, ``-1.0``)
      re-decodes most Persian windows, whose average log-prob sits near −1.1, for about 1.8× the CPU
      and no better CER.
    * ``vad=True``: Silero VAD drops silences before decoding; it is both faster and stops Whisper
      from inventing text over pauses.
    """

    language: str | None = "fa"
    beam_size: int = 1
    temperatures: tuple[float, ...] = (0.0, 0.6)
    log_prob_threshold: float | None = -1.5
    no_speech_threshold: float = 0.6
    compression_ratio_threshold: float = 2.4
    condition_on_previous_text: bool = False
    vad: bool = True
    vad_min_silence_ms: int = 500

    @staticmethod
    def language_code(value: str) -> str | None:
        """``auto`` (or empty) lets Whisper detect the language; anything else is forced."""
        cleaned = value.strip().lower()
        return None if cleaned in {"", AUTO} else cleaned


@dataclass(frozen=True, slots=True)
class Segment:
    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float


@dataclass(frozen=True, slots=True)
class Transcript:
    text: str
    language: str
    language_probability: float
    duration: float
    model: str
    seconds: float
    segments: tuple[Segment, ...] = field(default_factory=tuple)

    @property
    def avg_logprob(self) -> float:
        """Mean token log-probability, weighted by how long each segment lasts."""
        weights = [max(s.end - s.start, 0.01) for s in self.segments]
        if not weights:
            return float("-inf")
        return sum(w * s.avg_logprob for w, s in zip(weights, self.segments, strict=True)) / sum(weights)

    @property
    def confidence(self) -> float:
        """``exp(avg_logprob)``: the geometric-mean token probability, in 0..1."""
        value = self.avg_logprob
        return 0.0 if value == float("-inf") else round(min(1.0, math.exp(value)), 4)

    @property
    def realtime_factor(self) -> float:
        return self.seconds / self.duration if self.duration > 0 else 0.0


class SpeechToText(Protocol):
    """Transcribes 16 kHz mono float32 samples. Blocking: call it from a worker thread."""

    @property
    def model_name(self) -> str: ...

    def transcribe(
        self,
        samples: Samples,
        *,
        language: str | None = ...,
        progress: ProgressCallback | None = None,
    ) -> Transcript: ...
