"""Decode any audio or video Telegram sends (OGG/Opus voice, MP3, M4A, WAV, MP4 video notes) with
PyAV into 16 kHz mono float32, and refuse unusable input with a reason."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import av
import av.error
import numpy as np

from ai.stt.types import SAMPLE_RATE, AudioProblem, AudioProblemCode, Samples

# Peak below this (about −60 dBFS) is digital silence or a muted microphone.
SILENCE_PEAK = 1e-3
# A decoded stream shorter than this share of the length the sender declared was cut off.
TRUNCATED_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class DecodedAudio:
    samples: Samples
    duration: float
    container: str


def sniff_kind(head: bytes) -> str | None:
    """The container a file's first bytes announce, or None when it is not a known audio/video one."""
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"fLaC"):
        return "flac"
    if head[4:8] == b"ftyp":
        return "mp4"
    if head.startswith(b"\x1aE\xdf\xa3"):
        return "matroska"
    if head.startswith(b"#!AMR"):
        return "amr"
    return None


def _open(source: bytes | Path) -> av.container.InputContainer:
    head = source[:16] if isinstance(source, bytes) else _head(source)
    if not head:
        raise AudioProblem(AudioProblemCode.EMPTY, "the file has no bytes")
    try:
        handle: io.BytesIO | str = io.BytesIO(source) if isinstance(source, bytes) else str(source)
        return av.open(handle, mode="r", metadata_errors="ignore")
    except (av.error.FFmpegError, ValueError, EOFError) as exc:
        kind = sniff_kind(head)
        if kind is None:
            raise AudioProblem(AudioProblemCode.NOT_AUDIO, f"not an audio or video file ({exc})") from exc
        raise AudioProblem(AudioProblemCode.CORRUPT, f"{kind} file cannot be read ({exc})") from exc


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(16)


def decode_audio(
    source: bytes | Path,
    *,
    max_duration_s: float | None = None,
    declared_duration_s: float | None = None,
) -> DecodedAudio:
    """The first audio track as 16 kHz mono float32 in −1..1.

    Raises :class:`AudioProblem` for empty, unreadable, non-audio, too long, truncated or silent input.
    ``declared_duration_s`` is what the sender claimed (Telegram's ``duration``); a stream that decodes
    to much less was cut off in transit.
    """
    container = _open(source)
    with container:
        stream = next(iter(container.streams.audio), None)
        if stream is None:
            raise AudioProblem(AudioProblemCode.NOT_AUDIO, "the file has no audio track")
        if max_duration_s is not None and container.duration is not None:
            announced = container.duration / av.time_base
            if announced > max_duration_s + 1:
                raise AudioProblem(AudioProblemCode.TOO_LONG, f"{announced:.0f} s > {max_duration_s:.0f} s")
        samples = _decode_stream(container, stream, max_duration_s)
        name = container.format.name
    duration = len(samples) / SAMPLE_RATE
    if duration == 0:
        raise AudioProblem(AudioProblemCode.CORRUPT, "the audio track decodes to nothing")
    if declared_duration_s and declared_duration_s >= 2 and duration < declared_duration_s * TRUNCATED_SHARE:
        raise AudioProblem(
            AudioProblemCode.CORRUPT,
            f"truncated: {duration:.1f} s decoded of {declared_duration_s:.0f} s declared",
        )
    if float(np.max(np.abs(samples))) < SILENCE_PEAK:
        raise AudioProblem(AudioProblemCode.SILENCE, f"{duration:.1f} s of silence")
    return DecodedAudio(samples=samples, duration=duration, container=name)


def _decode_stream(
    container: av.container.InputContainer, stream: av.AudioStream, max_duration_s: float | None
) -> Samples:
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    limit = None if max_duration_s is None else int((max_duration_s + 1) * SAMPLE_RATE)
    chunks: list[Samples] = []
    total = 0
    try:
        for frame in container.decode(stream):
            frame.pts = None  # let the resampler follow sample counts, not (possibly broken) timestamps
            for out in resampler.resample(frame):
                array = out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
                chunks.append(array)
                total += len(array)
            if limit is not None and total > limit:
                raise AudioProblem(
                    AudioProblemCode.TOO_LONG, f"longer than {max_duration_s:.0f} s (stopped decoding)"
                )
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1).astype(np.float32, copy=False))
    except av.error.FFmpegError as exc:
        done = f"after {total / SAMPLE_RATE:.1f} s" if total else "at the start"
        raise AudioProblem(AudioProblemCode.CORRUPT, f"decoding failed {done} ({exc})") from exc
    if not chunks:
        return np.zeros(0, dtype=np.float32)
    return np.clip(np.concatenate(chunks), -1.0, 1.0)
