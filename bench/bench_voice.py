"""Voice notes: Persian transcription speed, end-to-end latency, and accuracy (default vs naive)

Default pipeline: the packaged multilingual Whisper base, int8 on the CPU with WHISPER_CPU_THREADS,
loaded once; greedy decoding, one sampled retry on looping or very unsure windows, Silero VAD, Persian
forced. Naive pipeline, measured in the same run: the model loaded per request, beam 5, no VAD,
language detection, faster-whisper's stock temperature fallback.

Notes of about 10 s, 30 s and 120 s are built from the Persian espeak-ng clips in
tests/data/audio/bench_fa (24 sentences with reference texts). Latency is measured through the
loopback Bot API emulator: from the update carrying the voice note to the status message edited
with the transcript. Character error rate (CER) is over the 24 clips, Persian letters only
(normalised, punctuation and spaces removed).
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from ai.stt import SAMPLE_RATE, DecodeOptions, FasterWhisperSTT, decode_audio, load_whisper
from ai.stt.models import resolve_model
from ai.text.persian import fold
from bench.support import scratch_database
from bot.dispatcher import build_dispatcher
from bot.sender import build_bot
from chronos.emulators import TelegramEmulator
from chronos.emulators.tracking import UpdateTracker
from chronos.settings import Settings, WhisperSettings
from chronos.voice_runtime import voice_service
from crm.db import UnitOfWork, create_engine, create_session_factory
from crm.enums import AgentRole
from crm.schemas.people import AgentCreate
from crm.schemas.types import Actor
from crm.services import agents

CLIPS = Path(__file__).resolve().parents[1] / "tests" / "data" / "audio" / "bench_fa"
LENGTHS_S = (10, 30, 120)
THREADS = WhisperSettings().cpu_threads
_NOT_LETTER = re.compile(r"[^\w]|[\d_]")


def references() -> list[tuple[np.ndarray, str]]:
    rows = []
    for line in (CLIPS / "references.tsv").read_text(encoding="utf-8").splitlines():
        name, text = line.split("\t", 1)
        rows.append((decode_audio(CLIPS / name).samples, text))
    return rows


def note_of(clips: list[np.ndarray], seconds: float) -> np.ndarray:
    """Clips joined with 0.4 s pauses, cycling until the note is ``seconds`` long."""
    pause = np.zeros(int(0.4 * SAMPLE_RATE), dtype=np.float32)
    parts: list[np.ndarray] = []
    total, index = 0, 0
    while total < seconds * SAMPLE_RATE:
        for piece in (clips[index % len(clips)], pause):
            parts.append(piece)
            total += len(piece)
        index += 1
    return np.concatenate(parts)[: int(seconds * SAMPLE_RATE)]


def ogg_opus(samples: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="ogg") as out:
        stream = out.add_stream("libopus", rate=48_000)
        stream.layout = "mono"
        stream.bit_rate = 24_000
        pcm = (samples * 32767).clip(-32768, 32767).astype(np.int16).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
        frame.sample_rate, frame.time_base, frame.pts = SAMPLE_RATE, Fraction(1, SAMPLE_RATE), 0
        resampler = av.AudioResampler(format=stream.format.name, layout="mono", rate=48_000)
        packets = [p for f in resampler.resample(frame) for p in stream.encode(f)]
        out.mux(packets + list(stream.encode(None)))
    return buffer.getvalue()


def _letters(text: str) -> str:
    return _NOT_LETTER.sub("", fold(text))


def _distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


def cer(hypotheses: list[str], refs: list[str]) -> float:
    """Corpus CER: total edits over total reference characters."""
    edits = sum(_distance(_letters(h), _letters(r)) for h, r in zip(hypotheses, refs, strict=True))
    return edits / sum(len(_letters(r)) for r in refs)


def _transcribe_set(
    stt: FasterWhisperSTT, clips: list[tuple[np.ndarray, str]], language: str | None
) -> dict[str, Any]:
    texts, languages = [], []
    started, cpu = time.perf_counter(), time.process_time()
    for samples, _ in clips:
        result = stt.transcribe(samples, language=language)
        texts.append(result.text)
        languages.append(result.language)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    persian = sum(1 for lang in languages if lang == "fa")
    return {
        "cer": round(cer(texts, [ref for _, ref in clips]), 3),
        "detected_fa": f"{persian}/{len(clips)}",
        "s_per_clip": round(seconds / len(clips), 2),
        "cpu_s_per_clip": round(cpu_seconds / len(clips), 2),
    }


def _naive(model_dir: Path, samples: np.ndarray) -> tuple[str, str, float, float]:
    """What a first attempt looks like: a fresh model per request, stock faster-whisper decoding.
    Returns text, detected language, wall and CPU seconds."""
    from faster_whisper import WhisperModel

    started, cpu = time.perf_counter(), time.process_time()
    model = WhisperModel(str(model_dir), device="cpu", compute_type="int8", cpu_threads=THREADS)
    segments, info = model.transcribe(samples, beam_size=5, vad_filter=False, language=None)
    text = " ".join(s.text for s in segments)
    return text, str(info.language), time.perf_counter() - started, time.process_time() - cpu


async def _latency(stt: FasterWhisperSTT, notes: dict[int, bytes], data_dir: Path) -> dict[int, float]:
    """Seconds from the voice-note update to the status message showing the transcript."""
    async with scratch_database("voice") as url:
        engine = create_engine(url, pool_size=5)
        session_factory = create_session_factory(engine)
        async with UnitOfWork(session_factory) as uow:
            agent = await agents.create(
                uow,
                AgentCreate(telegram_user_id=7_700_001, full_name="کارشناس", role=AgentRole.AGENT),
                Actor.cli(),
            )
        settings = Settings(data_dir=data_dir, whisper=WhisperSettings())
        results: dict[int, float] = {}
        async with TelegramEmulator() as emulator:
            bot = build_bot(emulator.token, api_server=emulator.base_url)
            dp = build_dispatcher(session_factory)
            UpdateTracker(dp)
            polling = asyncio.create_task(
                dp.start_polling(bot, handle_signals=False, close_bot_session=False, polling_timeout=1)
            )
            async with voice_service(settings, session_factory, bot, dp, stt=stt):
                await emulator.wait_for("getUpdates", timeout=10)
                user = emulator.user(agent.telegram_user_id, "Agent")
                for seconds, data in notes.items():
                    emulator.clear_calls()
                    started = time.perf_counter()
                    emulator.send_voice(user, data, duration=seconds)
                    await emulator.wait_for(
                        lambda c: c.method == "editMessageText" and "<b>" in str(c.params.get("text", "")),
                        timeout=600,
                    )
                    results[seconds] = time.perf_counter() - started
            await dp.stop_polling()
            await polling
            await bot.session.close()
        await engine.dispose()
    return results


def _batch(stt: FasterWhisperSTT, note: np.ndarray, notes: int, workers: int) -> tuple[float, list[float]]:
    """Transcribe ``notes`` copies with ``workers`` threads; wall time and each note's finish time."""
    from concurrent.futures import ThreadPoolExecutor

    finished: list[float] = []
    started = time.perf_counter()

    def one(_: int) -> None:
        stt.transcribe(note)
        finished.append(time.perf_counter() - started)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, range(notes)))
    return time.perf_counter() - started, finished


def _sizing(model_dir: Path, note: np.ndarray, notes: int = 4) -> list[dict[str, Any]]:
    """The same batch of notes through 1 worker × 2 threads and 2 workers × 1 thread."""
    rows = []
    for workers, threads in ((1, 2), (2, 1)):
        stt = load_whisper(str(model_dir), model_dir.parent, cpu_threads=threads, workers=workers)
        stt.transcribe(note[: 5 * SAMPLE_RATE])  # warm up
        wall, finished = _batch(stt, note, notes, workers)
        seconds = len(note) // SAMPLE_RATE
        rows.append(
            {
                "measure": f"sizing: {notes} × {seconds} s notes, {workers} worker(s) × {threads} thread(s)",
                "wall_s": round(wall, 2),
                "first_done_s": round(min(finished), 2),
                "mean_done_s": round(sum(finished) / len(finished), 2),
            }
        )
    return rows


def run() -> list[dict[str, Any]]:
    data_dir = Path(os.environ.get("CHRONOS_DATA_DIR", "var")).resolve()
    load_started = time.perf_counter()
    default = load_whisper("packaged-base", data_dir, cpu_threads=THREADS)
    load_s = time.perf_counter() - load_started
    model_dir = resolve_model("packaged-base", data_dir).path
    assert model_dir is not None
    clips = references()
    samples = [s for s, _ in clips]
    notes = {seconds: note_of(samples, seconds) for seconds in LENGTHS_S}
    rows: list[dict[str, Any]] = []

    for seconds, audio in notes.items():
        data = ogg_opus(audio)
        started, cpu = time.perf_counter(), time.process_time()
        decoded = decode_audio(data)
        result = default.transcribe(decoded.samples)
        fast, fast_cpu = time.perf_counter() - started, time.process_time() - cpu
        naive_text, naive_language, naive, naive_cpu = _naive(model_dir, decoded.samples)
        rows.append(
            {
                "measure": f"{seconds} s note",
                "default_s": round(fast, 2),
                "default_rtf": round(fast / seconds, 3),
                "default_cpu_s": round(fast_cpu, 1),
                "naive_s": round(naive, 2),
                "naive_cpu_s": round(naive_cpu, 1),
                "speedup": f"{naive / fast:.1f}x",
                "cpu_speedup": f"{naive_cpu / fast_cpu:.1f}x",
                "naive_language": naive_language,
                "default_chars": len(result.text),
                "naive_chars": len(naive_text),
            }
        )

    latency = asyncio.run(_latency(default, {s: ogg_opus(a) for s, a in notes.items()}, data_dir))
    for seconds, value in latency.items():
        rows.append(
            {"measure": f"{seconds} s note, update → transcript (emulator)", "default_s": round(value, 2)}
        )

    variants = [
        ("default: fa forced, beam 1, retry (0, 0.6), VAD", default.options),
        ("auto language, same decoding", None),
        ("fa, beam 5", DecodeOptions(beam_size=5)),
        (
            "fa, beam 1, stock fallback (6 temps, logprob -1.0)",
            DecodeOptions(temperatures=(0.0, 0.2, 0.4, 0.6, 0.8, 1.0), log_prob_threshold=-1.0),
        ),
        ("fa, beam 1, no fallback", DecodeOptions(temperatures=(0.0,))),
    ]
    for label, options in variants:
        if options is None:
            stats = _transcribe_set(default, clips, None)
        else:
            variant = default.with_options(options)
            stats = _transcribe_set(variant, clips, "fa")
        rows.append({"measure": f"CER, 24 clips: {label}", **stats})
    rows.extend(_sizing(model_dir, notes[10]))
    rows.append(
        {
            "measure": "context",
            "model_load_s": round(load_s, 2),
            "cpu_threads": THREADS,
            "load_avg_1m": round(os.getloadavg()[0], 2),
            "cores": os.cpu_count(),
        }
    )
    return rows
