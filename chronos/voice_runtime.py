"""Composition of the voice pipeline: the Whisper model (loaded once), the audio store, the worker
pool and the purge job, attached to a dispatcher as workflow data ``voice``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from aiogram import Bot, Dispatcher
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ai.stt import DecodeOptions, ModelUnavailable, SpeechToText, load_whisper
from bot.voice_status import BotAudioFetcher, TelegramVoiceStatus, VoiceStatusRenderer
from chronos.runtime import Runtime
from chronos.settings import Settings, WhisperSettings
from crm.services.voice_audio import AudioStore
from crm.services.voice_pipeline import VoiceLimits, VoicePipeline
from jobs.voice import VoiceWorkerPool, purge_periodically

log = logging.getLogger(__name__)


def decode_options(settings: WhisperSettings) -> DecodeOptions:
    return DecodeOptions(
        language=DecodeOptions.language_code(settings.language), beam_size=settings.beam_size
    )


def load_stt(settings: Settings, *, model: str | None = None) -> SpeechToText:
    """Blocking (seconds): the first start also joins and verifies the packaged model."""
    whisper = settings.whisper
    return load_whisper(
        model or whisper.model,
        settings.resolved_data_dir,
        compute_type=whisper.compute_type,
        cpu_threads=whisper.cpu_threads,
        workers=whisper.workers,
        options=decode_options(whisper),
    )


def limits(settings: WhisperSettings) -> VoiceLimits:
    return VoiceLimits(
        max_file_bytes=settings.max_file_bytes,
        max_duration_s=settings.max_duration_s,
        max_attempts=settings.max_attempts,
        language=DecodeOptions.language_code(settings.language),
    )


def audio_dir(settings: Settings) -> Path:
    return settings.resolved_data_dir / "audio"


@contextlib.asynccontextmanager
async def voice_service(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    bot: Bot,
    dp: Dispatcher,
    *,
    stt: SpeechToText | None = None,
    purge_every_s: float = 6 * 3600,
) -> AsyncIterator[VoicePipeline | None]:
    """Run the pipeline for as long as the bot runs. Without a usable model the bot still runs and
    tells agents that transcription is unavailable."""
    whisper = settings.whisper
    if stt is None:
        try:
            stt = await asyncio.to_thread(load_stt, settings)
        except ModelUnavailable as exc:
            log.error("voice notes disabled: %s", exc)
            yield None
            return
    voice_limits = limits(whisper)
    executor = ThreadPoolExecutor(max_workers=whisper.workers, thread_name_prefix="whisper")
    store = AudioStore(audio_dir(settings))
    pipeline = VoicePipeline(
        session_factory,
        stt,
        store,
        voice_limits,
        fetch=BotAudioFetcher(bot, max_bytes=whisper.max_file_bytes),
        events=TelegramVoiceStatus(bot, VoiceStatusRenderer.for_limits(voice_limits)),
        executor=executor,
    )
    pool = VoiceWorkerPool(pipeline.process, workers=whisper.workers, announce=pipeline.announce)
    pipeline.queue = pool
    dp.workflow_data["voice"] = pipeline
    pool.start()
    purge = asyncio.create_task(
        purge_periodically(session_factory, store, whisper.audio_retention_days, every_s=purge_every_s),
        name="voice-audio-purge",
    )
    try:
        await pool.resume(session_factory)
        yield pipeline
    finally:
        dp.workflow_data.pop("voice", None)
        purge.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await purge
        await pool.stop()
        executor.shutdown(wait=False, cancel_futures=True)


def attach_voice(dp: Dispatcher, runtime: Runtime) -> None:
    """Start the voice pipeline when the dispatcher starts (polling, webhook or the console) and stop
    it when the dispatcher stops."""
    stack = contextlib.AsyncExitStack()

    async def start_voice(bot: Bot) -> None:
        await stack.enter_async_context(voice_service(runtime.settings, runtime.session_factory, bot, dp))

    async def stop_voice() -> None:
        await stack.aclose()

    dp.startup.register(start_voice)
    dp.shutdown.register(stop_voice)
