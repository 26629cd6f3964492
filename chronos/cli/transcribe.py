"""`chronos transcribe FILE`: transcribe one audio or video file with the configured Whisper model."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import typer
from rich.markup import escape

from ai.stt import AudioProblem, AudioProblemCode, DecodeOptions, ModelUnavailable, decode_audio
from bot.texts import Texts
from chronos.cli.common import console, error, json_option, load_settings_or_exit, print_json_line
from chronos.terminal import ltr
from chronos.voice_runtime import load_stt

log = logging.getLogger(__name__)


def transcribe_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="audio or video file"),
    language: str | None = typer.Option(
        None, "--language", "-l", help="fa (forced), auto (detect), or another code; default WHISPER_LANGUAGE"
    ),
    model: str | None = typer.Option(None, "--model", "-m", help="overrides WHISPER_MODEL"),
    as_json: bool = json_option("print JSON: text, language, duration, segments, model, seconds"),
) -> None:
    """Transcribe a file offline (no database, no network)."""
    settings = load_settings_or_exit()
    started = time.perf_counter()
    try:
        audio = decode_audio(file, max_duration_s=settings.whisper.max_duration_s)  # before the model:
        stt = load_stt(settings, model=model)  # a bad file is refused in milliseconds, not seconds
        forced = settings.whisper.language if language is None else language
        result = stt.transcribe(audio.samples, language=DecodeOptions.language_code(forced))
    except ModelUnavailable as exc:
        error(str(exc), label="model unavailable")
        raise typer.Exit(2) from exc
    except AudioProblem as exc:
        log.info("%s: %s", file, exc)  # the decoder's own words (e.g. FFmpeg's), for -v
        error(problem(exc, settings.whisper.max_duration_s), label=f"cannot transcribe {file.name}")
        raise typer.Exit(1) from exc
    payload = {
        "text": result.text,
        "language": result.language,
        "duration": result.duration,
        "segments": [{"start": s.start, "end": s.end, "text": s.text} for s in result.segments],
        "model": result.model,
        "seconds": round(time.perf_counter() - started, 3),
    }
    if as_json:
        print_json_line(payload)
        return
    for segment in result.segments:
        console.print(ltr(f"[{segment.start:7.2f} → {segment.end:7.2f}] {escape(segment.text)}"))
    summary = f"{result.duration:.1f} s of audio in {payload['seconds']} s"
    console.print(f"language {result.language} · {summary} · {result.model}")


def problem(exc: AudioProblem, max_duration_s: float) -> str:
    """What is wrong with the file, in the words the bot uses for a voice note (English catalog)."""
    message = Texts("en").t(f"voice.failure.{exc.code.value}", limit=round(max_duration_s / 60))
    if exc.code in (AudioProblemCode.SILENCE, AudioProblemCode.NO_SPEECH):
        return f"{message} ({exc.detail})"
    return message
