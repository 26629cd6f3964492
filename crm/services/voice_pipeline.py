"""The voice pipeline around the services: intake of a Telegram file (row → status message → audio on
disk → queue) and the processing of one note by a worker (claim → decode → transcribe → store →
interaction), reporting each step to the agent's status message through :class:`VoiceEvents`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ai.stt import AudioProblem, SpeechToText, Transcript, decode_audio
from crm.db import UnitOfWork
from crm.enums import VoiceFailure
from crm.schemas.types import Actor
from crm.schemas.voice import TranscriptIn, VoiceNoteDTO, VoiceNoteIncoming, VoiceNoteView, VoiceSegment
from crm.services import voice_notes
from crm.services.voice_audio import AudioStore

log = logging.getLogger(__name__)
_REMEMBERED = 1024


class AudioFetcher(Protocol):
    """Downloads a Telegram file by ``file_id``; raises on any failure."""

    async def __call__(self, file_id: str) -> bytes: ...


class VoiceEvents(Protocol):
    """Shows a note's state to its agent. Returns the status message id when it sent a new one."""

    async def show(
        self, view: VoiceNoteView, *, position: int | None = None, progress: float | None = None
    ) -> int | None: ...


class VoiceQueue(Protocol):
    def submit(self, note_id: int) -> int:
        """Queue a note (once); returns its position, 1 = next."""
        ...


@dataclass(frozen=True, slots=True)
class VoiceLimits:
    max_file_bytes: int
    max_duration_s: float
    max_attempts: int
    language: str | None  # None = detect


class IntakeOutcome(StrEnum):
    QUEUED = "queued"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Intake:
    outcome: IntakeOutcome
    view: VoiceNoteView


def transcript_in(transcript: Transcript) -> TranscriptIn:
    return TranscriptIn(
        text=transcript.text,
        language=transcript.language,
        confidence=transcript.confidence,
        model=transcript.model,
        duration_s=transcript.duration,
        seconds=transcript.seconds,
        segments=[VoiceSegment(start=s.start, end=s.end, text=s.text) for s in transcript.segments],
    )


class VoicePipeline:
    """One per process, built by the composition root around the shared model."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        stt: SpeechToText,
        store: AudioStore,
        limits: VoiceLimits,
        *,
        fetch: AudioFetcher | None = None,
        events: VoiceEvents | None = None,
        executor: Executor | None = None,
        progress_every_s: float = 2.0,
    ) -> None:
        self._session_factory = session_factory
        self.stt = stt
        self.store = store
        self.limits = limits
        self.fetch = fetch
        self.events = events
        self.queue: VoiceQueue | None = None
        self._executor = executor
        self._progress_every_s = progress_every_s
        self._locks: dict[int, asyncio.Lock] = {}
        # Notes whose final state was shown (late progress edits are dropped), bounded.
        self._settled: dict[int, None] = {}
        # Status messages sent by this process whose id the view may not carry yet.
        self._message_ids: dict[int, int] = {}

    # --- intake (inside the update's unit of work) -------------------------------------------------

    async def intake(self, uow: UnitOfWork, data: VoiceNoteIncoming, actor: Actor) -> Intake:
        limits = self.limits
        if data.size_bytes > limits.max_file_bytes:
            return await self._reject(uow, data, actor, VoiceFailure.TOO_LARGE, f"{data.size_bytes} bytes")
        if data.duration_s is not None and data.duration_s > limits.max_duration_s:
            return await self._reject(uow, data, actor, VoiceFailure.TOO_LONG, f"{data.duration_s:.0f} s")
        note, created = await voice_notes.receive(uow, data, actor)
        if not created:
            return Intake(IntakeOutcome.DUPLICATE, await voice_notes.view(uow, note.id))
        await self._show(await voice_notes.view(uow, note.id))
        await self._download(uow, note)
        self.submit(note.id)
        return Intake(IntakeOutcome.QUEUED, await voice_notes.view(uow, note.id))

    async def _reject(
        self, uow: UnitOfWork, data: VoiceNoteIncoming, actor: Actor, failure: VoiceFailure, detail: str
    ) -> Intake:
        note, created = await voice_notes.reject(uow, data, failure, detail, actor)
        view = await voice_notes.view(uow, note.id)
        return Intake(IntakeOutcome.REJECTED if created else IntakeOutcome.DUPLICATE, view)

    async def _download(self, uow: UnitOfWork, note: VoiceNoteDTO) -> bytes | None:
        """Fetch and keep the audio; a failure leaves the note ``received`` with the error."""
        if self.fetch is None:
            return None
        try:
            data = await self.fetch(note.file_id)
        except Exception as exc:  # any transport error: the note waits for a retry
            log.warning("voice note %s: download failed: %s", note.id, exc)
            await voice_notes.postpone(uow, note.id, VoiceFailure.DOWNLOAD, f"download failed: {exc}")
            return None
        name = await asyncio.to_thread(self.store.save, note.id, data, note.mime_type)
        await voice_notes.store_audio(uow, note.id, name)
        return data

    def submit(self, note_id: int) -> int | None:
        return None if self.queue is None else self.queue.submit(note_id)

    async def announce(self, note_id: int, position: int) -> None:
        """The queue moved: show the note's new position (while it is still waiting)."""
        async with UnitOfWork(self._session_factory) as uow:
            view = await voice_notes.view(uow, note_id)
        if (view.note.unfinished and view.note.started_at is None) or view.note.error is None:
            await self._show(view, position=position)

    # --- processing (a worker, its own units of work) ---------------------------------------------

    async def process(self, note_id: int) -> VoiceNoteView | None:
        """Run one attempt on a note. Never raises: every failure is stored on the row."""
        self._settled.pop(note_id, None)
        try:
            return await self._process(note_id)
        except Exception:
            log.exception("voice note %s: unexpected failure", note_id)
            with contextlib.suppress(Exception):
                async with UnitOfWork(self._session_factory) as uow:
                    await voice_notes.fail(uow, note_id, VoiceFailure.ENGINE, "internal error; see the log")
                    return await self._settle(await voice_notes.view(uow, note_id))
            return None
        finally:
            self._locks.pop(note_id, None)

    async def _process(self, note_id: int) -> VoiceNoteView | None:
        async with UnitOfWork(self._session_factory) as uow:
            note = await voice_notes.claim(uow, note_id, self.limits.max_attempts)
            view = await voice_notes.view(uow, note_id)
            if note is None:
                return await self._settle(view) if not view.note.unfinished else None
            await self._show(view, progress=0.0)
            data = await self._audio(uow, note)
            if data is None:
                return await self._settle(await voice_notes.view(uow, note_id))
        loop = asyncio.get_running_loop()
        try:
            transcript = await loop.run_in_executor(
                self._executor, self._transcribe, data, note, self._progress_reporter(view, loop)
            )
        except AudioProblem as problem:
            return await self._finish_failed(note_id, VoiceFailure(problem.code.value), problem.detail)
        except Exception as exc:  # the engine itself broke: retryable
            log.exception("voice note %s: transcription failed", note_id)
            return await self._finish_failed(note_id, VoiceFailure.ENGINE, f"{type(exc).__name__}: {exc}")
        async with UnitOfWork(self._session_factory) as uow:
            done = await voice_notes.complete(uow, note_id, transcript_in(transcript))
        log.info(
            "voice note %s: %.1f s transcribed in %.1f s (%s)",
            note_id,
            transcript.duration,
            transcript.seconds,
            transcript.model,
        )
        return await self._settle(done)

    async def _audio(self, uow: UnitOfWork, note: VoiceNoteDTO) -> bytes | None:
        if note.audio_path is not None:
            try:
                return await asyncio.to_thread(self.store.read, note.audio_path)
            except FileNotFoundError:
                log.warning("voice note %s: stored audio is missing; downloading again", note.id)
        return await self._download(uow, note)

    def _transcribe(self, data: bytes, note: VoiceNoteDTO, progress: Callable[[float], None]) -> Transcript:
        audio = decode_audio(
            data, max_duration_s=self.limits.max_duration_s, declared_duration_s=note.duration_s
        )
        return self.stt.transcribe(audio.samples, language=self.limits.language, progress=progress)

    async def _finish_failed(self, note_id: int, failure: VoiceFailure, detail: str) -> VoiceNoteView:
        async with UnitOfWork(self._session_factory) as uow:
            await voice_notes.fail(uow, note_id, failure, detail)
            return await self._settle(await voice_notes.view(uow, note_id))

    # --- status messages --------------------------------------------------------------------------

    def _progress_reporter(
        self, view: VoiceNoteView, loop: asyncio.AbstractEventLoop
    ) -> Callable[[float], None]:
        """Called from the transcribing thread; posts at most one edit per interval to the loop."""
        last = [time.monotonic()]

        def report(fraction: float) -> None:
            now = time.monotonic()
            if now - last[0] < self._progress_every_s or fraction >= 1.0:
                return
            last[0] = now
            asyncio.run_coroutine_threadsafe(self._show(view, progress=fraction), loop)

        return report

    async def _settle(self, view: VoiceNoteView) -> VoiceNoteView:
        await self._show(view)
        self._settled[view.note.id] = None
        while len(self._settled) > _REMEMBERED:
            self._settled.pop(next(iter(self._settled)))
        self._message_ids.pop(view.note.id, None)
        return view

    async def _show(
        self, view: VoiceNoteView, *, position: int | None = None, progress: float | None = None
    ) -> int | None:
        """Edits are serialised per note, and progress never overwrites the final message."""
        if self.events is None:
            return None
        note = view.note
        lock = self._locks.setdefault(note.id, asyncio.Lock())
        async with lock:
            if progress is not None and note.id in self._settled:
                return None
            known = self._message_ids.get(note.id)
            if note.status_message_id is None and known is not None:
                view = view.model_copy(update={"note": note.model_copy(update={"status_message_id": known})})
            try:
                sent = await self.events.show(view, position=position, progress=progress)
            except Exception:  # Telegram down or the message gone: the row is the truth
                log.warning("voice note %s: status message not updated", note.id, exc_info=True)
                return None
            if sent is not None:
                self._message_ids[note.id] = sent
                async with UnitOfWork(self._session_factory) as uow:
                    await voice_notes.set_status_message(uow, note.id, sent)
            return sent
