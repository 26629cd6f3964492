"""The faster-whisper adapter: one model, loaded once by the composition root and shared."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from ai.stt.models import ResolvedModel, resolve_model
from ai.stt.types import (
    SAMPLE_RATE,
    AudioProblem,
    AudioProblemCode,
    DecodeOptions,
    ModelUnavailable,
    ProgressCallback,
    Samples,
    Segment,
    Transcript,
)

log = logging.getLogger(__name__)
_UNSET: Any = object()


class FasterWhisperSTT:
    """:class:`~ai.stt.types.SpeechToText` over ``faster_whisper.WhisperModel`` on the CPU.

    ``workers`` is CTranslate2's ``inter_threads``: how many ``transcribe`` calls may run at once
    from different threads; ``cpu_threads`` is the threads each of them uses.
    """

    def __init__(
        self,
        model: Any,
        name: str,
        options: DecodeOptions | None = None,
    ) -> None:
        self._model = model
        self._name = name
        self.options = options or DecodeOptions()

    @property
    def model_name(self) -> str:
        return self._name

    def with_options(self, options: DecodeOptions) -> FasterWhisperSTT:
        """Another decoding configuration over the same loaded model (no second load)."""
        return FasterWhisperSTT(self._model, self._name, options)

    def transcribe(
        self,
        samples: Samples,
        *,
        language: str | None = _UNSET,
        progress: ProgressCallback | None = None,
    ) -> Transcript:
        """Transcribe; ``language`` overrides the default (``None`` = detect).

        Raises :class:`AudioProblem` ``no_speech`` when nothing intelligible is left: VAD found no
        speech, or every decoded window is one Whisper itself calls non-speech.
        """
        options = self.options
        forced = options.language if language is _UNSET else language
        duration = len(samples) / SAMPLE_RATE
        started = time.perf_counter()
        segments_iter, info = self._model.transcribe(
            samples,
            language=forced,
            beam_size=options.beam_size,
            best_of=max(options.beam_size, 1),
            temperature=list(options.temperatures),
            log_prob_threshold=options.log_prob_threshold,
            no_speech_threshold=options.no_speech_threshold,
            compression_ratio_threshold=options.compression_ratio_threshold,
            condition_on_previous_text=options.condition_on_previous_text,
            vad_filter=options.vad,
            vad_parameters={"min_silence_duration_ms": options.vad_min_silence_ms} if options.vad else None,
        )
        segments: list[Segment] = []
        for raw in segments_iter:
            text = str(raw.text).strip()
            if text:
                segments.append(
                    Segment(
                        start=round(float(raw.start), 2),
                        end=round(float(raw.end), 2),
                        text=text,
                        avg_logprob=round(float(raw.avg_logprob), 4),
                        no_speech_prob=round(float(raw.no_speech_prob), 4),
                    )
                )
            if progress is not None and duration > 0:
                progress(min(1.0, float(raw.end) / duration))
        elapsed = time.perf_counter() - started
        speech = [s for s in segments if s.no_speech_prob < options.no_speech_threshold or s.avg_logprob > -1]
        if not speech:
            raise AudioProblem(AudioProblemCode.NO_SPEECH, f"no speech found in {duration:.1f} s of audio")
        return Transcript(
            text=" ".join(s.text for s in segments),
            language=str(info.language),
            language_probability=round(float(info.language_probability), 4),
            duration=round(duration, 2),
            model=self._name,
            seconds=round(elapsed, 3),
            segments=tuple(segments),
        )


def load_whisper(
    spec: str,
    data_dir: Path,
    *,
    compute_type: str = "int8",
    cpu_threads: int = 2,
    workers: int = 1,
    options: DecodeOptions | None = None,
) -> FasterWhisperSTT:
    """Resolve and load a model (seconds: call once, at start-up, off the event loop)."""
    from faster_whisper import WhisperModel  # heavy import (ctranslate2, onnxruntime): only when used

    resolved: ResolvedModel = resolve_model(spec, data_dir)
    target = str(resolved.path) if resolved.path is not None else resolved.name
    started = time.perf_counter()
    try:
        model = WhisperModel(
            target,
            device="cpu",
            compute_type=compute_type,
            cpu_threads=cpu_threads,
            num_workers=workers,
            download_root=None if resolved.cache_dir is None else str(resolved.cache_dir),
            local_files_only=True,
        )
    except (OSError, ValueError, RuntimeError) as exc:
        raise ModelUnavailable(
            f"Whisper model {spec!r} is not available locally ({exc}); models are never downloaded at "
            "run time: use packaged-base, or put a CTranslate2 model directory on this machine"
        ) from exc
    log.info("loaded Whisper %s (%s) in %.1fs", resolved.name, compute_type, time.perf_counter() - started)
    return FasterWhisperSTT(model, resolved.name, options)
