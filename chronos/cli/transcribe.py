"""`chronos transcribe FILE`: transcribe one audio or video file with the configured Whisper model."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.markup import escape

from ai.stt import AudioProblem, DecodeOptions, ModelUnavailable, decode_audio
from chronos.cli.common import console, err_console, print_json_line
from chronos.settings import SettingsError, get_settings
from chronos.terminal import ltr
from chronos.voice_runtime import load_stt


def transcribe_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="audio or video file"),
    language: str | None = typer.Option(
        None, "--language", "-l", help="fa (forced), auto (detect), or another code; default WHISPER_LANGUAGE"
    ),
    model: str | None = typer.Option(None, "--model", "-m", help="overrides WHISPER_MODEL"),
    as_json: bool = typer.Option(False, "--json", help="print JSON: text, language, duration, segments"),
) -> None:
    """Transcribe a file offline (no database, no network)."""
    try:
        settings = get_settings()
    except SettingsError as exc:
        err_console.print(f"[red]configuration error:[/red] {exc}")
        raise typer.Exit(2) from exc
    started = time.perf_counter()
    try:
        stt = load_stt(settings, model=model)
        audio = decode_audio(file, max_duration_s=settings.whisper.max_duration_s)
        forced = settings.whisper.language if language is None else language
        result = stt.transcribe(audio.samples, language=DecodeOptions.language_code(forced))
    except ModelUnavailable as exc:
        err_console.print(f"[red]model unavailable:[/red] {exc}")
        raise typer.Exit(2) from exc
    except AudioProblem as exc:
        err_console.print(f"[red]cannot transcribe {file.name}:[/red] {exc}")
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
