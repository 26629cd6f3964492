"""Speech to text with real models: English words with tiny.en, Persian script with the packaged
multilingual base, every container Telegram sends, and each kind of bad input refused with a reason."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from ai.stt import (
    SAMPLE_RATE,
    AudioProblem,
    AudioProblemCode,
    DecodeOptions,
    ModelUnavailable,
    decode_audio,
    resolve_model,
    sniff_kind,
)
from ai.stt.models import BASE_MODEL_SHA256, BASE_MODEL_SIZE, assemble_packaged_base
from tests.voice_support import audio, base, tiny_en

PERSIAN_LETTERS = re.compile(r"[\u0600-\u06FF]")
LATIN_LETTERS = re.compile(r"[A-Za-z]")


@pytest.mark.parametrize(
    ("name", "container"),
    [
        ("en_speech.ogg", "ogg"),
        ("en_speech.mp3", "mp3"),
        ("en_speech.m4a", "mov,mp4,m4a,3gp,3g2,mj2"),
        ("en_video_note.mp4", "mov,mp4,m4a,3gp,3g2,mj2"),
    ],
)
def test_every_container_decodes_to_16k_mono_float(name: str, container: str) -> None:
    decoded = decode_audio(audio(name))
    assert decoded.container == container
    assert decoded.samples.dtype == np.float32
    assert decoded.samples.ndim == 1
    assert 4.5 < decoded.duration < 6.5
    assert len(decoded.samples) == pytest.approx(decoded.duration * SAMPLE_RATE, abs=1)
    assert float(np.max(np.abs(decoded.samples))) <= 1.0


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", AudioProblemCode.EMPTY),
        (audio("not_audio.txt"), AudioProblemCode.NOT_AUDIO),
        (audio("garbled.ogg"), AudioProblemCode.CORRUPT),
        (audio("silence.ogg"), AudioProblemCode.SILENCE),
    ],
)
def test_bad_input_is_refused_with_a_reason(data: bytes, code: AudioProblemCode) -> None:
    with pytest.raises(AudioProblem) as caught:
        decode_audio(data)
    assert caught.value.code == code
    assert caught.value.detail


def test_truncated_ogg_is_caught_against_the_declared_duration() -> None:
    partial = decode_audio(audio("truncated.ogg"))  # what survived still decodes ...
    assert partial.duration < 3
    with pytest.raises(AudioProblem) as caught:  # ... but Telegram said the note was 8 s long
        decode_audio(audio("truncated.ogg"), declared_duration_s=8)
    assert caught.value.code == AudioProblemCode.CORRUPT
    assert "truncated" in caught.value.detail


def test_too_long_stops_decoding() -> None:
    with pytest.raises(AudioProblem) as caught:
        decode_audio(audio("fa_speech.ogg"), max_duration_s=2)
    assert caught.value.code == AudioProblemCode.TOO_LONG


def test_a_video_without_sound_is_not_audio() -> None:
    with pytest.raises(AudioProblem) as caught:
        decode_audio(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
    assert caught.value.code in (AudioProblemCode.CORRUPT, AudioProblemCode.NOT_AUDIO)


def test_sniff_kind_names_containers() -> None:
    assert sniff_kind(audio("en_speech.ogg")[:16]) == "ogg"
    assert sniff_kind(audio("en_speech.mp3")[:16]) == "mp3"
    assert sniff_kind(audio("en_speech.m4a")[:16]) == "mp4"
    assert sniff_kind(b"plain text here!") is None


def test_tiny_en_recognises_english_words() -> None:
    stt = tiny_en()
    decoded = decode_audio(audio("en_speech.ogg"))
    fractions: list[float] = []
    result = stt.transcribe(decoded.samples, progress=fractions.append)
    words = set(re.findall(r"[a-z]+", result.text.lower()))
    assert {"hello", "panel", "yesterday", "please", "call"} <= words
    assert result.language == "en"
    assert result.model == "whisper-tiny.en"
    assert 0 < result.confidence <= 1
    assert result.segments
    assert all(s.start <= s.end <= result.duration + 0.5 for s in result.segments)
    assert fractions
    assert all(0 < f <= 1 for f in fractions)


@pytest.mark.parametrize("name", ["noise.ogg", "music.ogg"])
def test_noise_and_music_have_no_speech(name: str) -> None:
    with pytest.raises(AudioProblem) as caught:
        tiny_en().transcribe(decode_audio(audio(name)).samples)
    assert caught.value.code == AudioProblemCode.NO_SPEECH


def test_packaged_base_writes_persian_when_forced() -> None:
    result = base().transcribe(decode_audio(audio("fa_speech.ogg")).samples, language="fa")
    assert result.language == "fa"
    assert result.model == "whisper-base"
    letters = PERSIAN_LETTERS.findall(result.text)
    assert len(letters) >= 15
    assert len(letters) > 5 * len(LATIN_LETTERS.findall(result.text))
    assert "سلام" in result.text  # the greeting is what the base model gets right on espeak's voice


def test_packaged_base_detects_english_in_auto() -> None:
    result = base().transcribe(decode_audio(audio("en_speech.mp3")).samples, language=None)
    assert result.language == "en"
    assert "panel" in result.text.lower()


def test_packaged_base_is_joined_once_and_verified(tmp_path: Path) -> None:
    target = tmp_path / "whisper-base"
    assert assemble_packaged_base(target) == target
    model = target / "model.bin"
    assert model.stat().st_size == BASE_MODEL_SIZE
    assert (target / ".verified-sha256").read_text().strip() == BASE_MODEL_SHA256
    assert {p.name for p in target.iterdir()} >= {
        "model.bin",
        "config.json",
        "tokenizer.json",
        "vocabulary.txt",
    }
    joined_at = model.stat().st_mtime_ns
    assemble_packaged_base(target)  # a second start reuses the verified copy
    assert model.stat().st_mtime_ns == joined_at


def test_a_damaged_join_is_redone(tmp_path: Path) -> None:
    target = tmp_path / "whisper-base"
    assemble_packaged_base(target)
    with (target / "model.bin").open("r+b") as handle:
        handle.truncate(1000)
    assemble_packaged_base(target)
    assert (target / "model.bin").stat().st_size == BASE_MODEL_SIZE


def test_models_are_never_downloaded(tmp_path: Path) -> None:
    resolved = resolve_model("large-v3-turbo", tmp_path)
    assert resolved.path is None
    from ai.stt import load_whisper

    with pytest.raises(ModelUnavailable, match="never downloaded"):
        load_whisper("large-v3-turbo", tmp_path)
    with pytest.raises(ModelUnavailable):
        resolve_model("./no/such/dir", tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelUnavailable, match=r"model\.bin"):
        resolve_model(str(tmp_path / "empty"), tmp_path)


def test_language_codes() -> None:
    assert DecodeOptions.language_code("auto") is None
    assert DecodeOptions.language_code(" FA ") == "fa"
