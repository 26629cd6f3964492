"""`chronos transcribe FILE --json` with the real tiny.en model (no database, no network)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chronos.cli import app
from chronos.cli.common import configure_logging
from chronos.settings import get_settings
from tests.test_cli_output import drawn
from tests.voice_support import _DATA_DIR as VOICE_DATA_DIR  # where base() joined the model
from tests.voice_support import AUDIO, base


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("CHRONOS_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("cli_env")
def test_transcribe_prints_json() -> None:
    result = CliRunner().invoke(
        app,
        [
            "transcribe",
            str(AUDIO / "en_speech.m4a"),
            "--model",
            "packaged-tiny.en",
            "--language",
            "en",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(payload) == {"text", "language", "duration", "segments", "model", "seconds"}
    assert "panel" in payload["text"].lower()
    assert payload["language"] == "en"
    assert payload["model"] == "whisper-tiny.en"
    assert 4 < payload["duration"] < 6
    assert payload["seconds"] > 0
    assert all(set(s) == {"start", "end", "text"} for s in payload["segments"])


@pytest.mark.usefixtures("cli_env")
def test_transcribe_explains_bad_input() -> None:
    result = CliRunner().invoke(
        app, ["transcribe", str(AUDIO / "silence.ogg"), "--model", "packaged-tiny.en", "--json"]
    )
    assert result.exit_code == 1
    assert "silence" in result.output


@pytest.mark.usefixtures("cli_env")
def test_transcribe_refuses_a_model_it_would_have_to_download() -> None:
    result = CliRunner().invoke(
        app, ["transcribe", str(AUDIO / "en_speech.ogg"), "--model", "large-v3-turbo"]
    )
    assert result.exit_code == 2
    assert "never downloaded" in " ".join(result.output.split())  # rich wraps long lines


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("garbled.ogg", "the audio file is damaged or incomplete"),
        ("not_audio.txt", "this file is not audio or video"),
    ],
)
def test_a_broken_file_gets_a_clear_message(name: str, message: str) -> None:
    result = CliRunner().invoke(app, ["transcribe", str(AUDIO / name)])
    assert result.exit_code == 1
    said = " ".join(result.stderr.split())  # rich wraps long lines
    assert said.startswith(f"cannot transcribe {name}: {message}")
    assert "Errno" not in result.output


@pytest.mark.usefixtures("cli_env")
def test_verbose_adds_the_decoders_own_words() -> None:
    try:
        result = CliRunner().invoke(app, ["-v", "transcribe", str(AUDIO / "garbled.ogg")])
    finally:
        configure_logging(logging.WARNING)
    assert result.exit_code == 1
    assert "INFO chronos.cli.transcribe:" in result.stderr
    assert "Errno" in result.stderr  # FFmpeg's detail, for whoever asked for it


@pytest.mark.slow
def test_persian_transcript_is_shaped_like_every_other_output(monkeypatch: pytest.MonkeyPatch) -> None:
    base()  # joins the packaged model once into the shared voice-test data dir
    monkeypatch.setenv("CHRONOS_DATA_DIR", str(VOICE_DATA_DIR))
    get_settings.cache_clear()
    args = ["transcribe", str(AUDIO / "fa_speech.ogg"), "--model", "packaged-base", "--language", "fa"]
    shaped = CliRunner().invoke(app, ["--bidi", "on", *args])
    get_settings.cache_clear()
    assert shaped.exit_code == 0, shaped.output
    assert drawn("سلام") in shaped.stdout
    assert "سلام" not in shaped.stdout
    assert shaped.stdout.startswith("[   0.")  # the timestamps stay first, left to right
