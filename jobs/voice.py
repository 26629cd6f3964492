"""The voice worker pool and the audio purge job.

The pool is a bounded set of asyncio workers over one FIFO queue of note ids. Each worker hands one
note at a time to the pipeline, whose transcription runs in a thread; a note is queued at most once.
On start-up every note left ``received`` or ``transcribing`` (a crash, a restart) is queued again.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm.db import UnitOfWork
from crm.services import voice_notes
from crm.services.voice_audio import AudioStore

log = logging.getLogger(__name__)

Process = Callable[[int], Awaitable[object]]
Announce = Callable[[int, int], Awaitable[None]]


class VoiceWorkerPool:
    def __init__(self, process: Process, *, workers: int = 1, announce: Announce | None = None) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self._process = process
        self._announce = announce
        self._workers = workers
        self._queue: asyncio.Queue[int] = asyncio.Queue()
        self._waiting: list[int] = []  # queued, in order (mirrors the queue, for positions)
        self._active: set[int] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._background: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def running(self) -> bool:
        return bool(self._tasks)

    def start(self) -> None:
        if self._tasks:
            return
        self._tasks = [
            asyncio.create_task(self._work(), name=f"voice-worker-{index}") for index in range(self._workers)
        ]

    async def stop(self) -> None:
        """Stop taking notes; a note being transcribed is abandoned in ``transcribing`` and resumed on
        the next start."""
        tasks, self._tasks = self._tasks, []
        for task in [*tasks, *self._background]:
            task.cancel()
        for task in [*tasks, *self._background]:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def submit(self, note_id: int) -> int:
        """Queue a note unless it is queued or being processed; returns its position (1 = next)."""
        if note_id in self._active:
            return 0
        if note_id not in self._waiting:
            self._waiting.append(note_id)
            self._queue.put_nowait(note_id)
            self._idle.clear()
        position = self._waiting.index(note_id) + 1
        self._tell(note_id, position)
        return position

    def position(self, note_id: int) -> int | None:
        return self._waiting.index(note_id) + 1 if note_id in self._waiting else None

    async def drain(self, timeout: float | None = None) -> None:  # noqa: ASYNC109 - bounded wait helper
        """Wait until nothing is queued or running (tests, benches, graceful shutdown)."""
        async with asyncio.timeout(timeout):
            await self._idle.wait()

    async def resume(self, session_factory: async_sessionmaker[AsyncSession]) -> int:
        """Queue every unfinished note, oldest first; returns how many."""
        async with UnitOfWork(session_factory) as uow:
            note_ids = await voice_notes.unfinished(uow)
        for note_id in note_ids:
            self.submit(note_id)
        if note_ids:
            log.info("resuming %d unfinished voice note(s)", len(note_ids))
        return len(note_ids)

    def _tell(self, note_id: int, position: int) -> None:
        if self._announce is None:
            return
        task = asyncio.create_task(self._safe_announce(note_id, position))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _safe_announce(self, note_id: int, position: int) -> None:
        assert self._announce is not None
        try:
            await self._announce(note_id, position)
        except Exception:
            log.warning("voice note %s: queue position not shown", note_id, exc_info=True)

    async def _work(self) -> None:
        while True:
            note_id = await self._queue.get()
            self._waiting.remove(note_id)
            self._active.add(note_id)
            for index, waiting in enumerate(self._waiting, start=1):
                self._tell(waiting, index)
            try:
                await self._process(note_id)
            except Exception:  # the pipeline stores its own failures; this is the last guard
                log.exception("voice note %s: worker error", note_id)
            finally:
                self._active.discard(note_id)
                self._queue.task_done()
                if not self._waiting and not self._active:
                    self._idle.set()


async def purge_expired_audio(
    session_factory: async_sessionmaker[AsyncSession],
    store: AudioStore,
    retention_days: int,
    *,
    now: dt.datetime | None = None,
) -> int:
    """Delete audio of finished notes older than the retention; transcripts stay. Returns how many.

    Files go first, then the rows are marked: a crash in between leaves rows that the next run
    marks (deleting a missing file is a no-op), never a row claiming audio that is gone.
    """
    cutoff = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=retention_days)
    purged = 0
    while True:
        async with UnitOfWork(session_factory) as uow:
            due = await voice_notes.audio_due_for_purge(uow, cutoff)
        if not due:
            return purged
        for _, name in due:
            try:
                await asyncio.to_thread(store.delete, name)
            except ValueError:
                log.warning("voice audio %r is outside the audio directory; not deleted", name)
        async with UnitOfWork(session_factory) as uow:
            purged += await voice_notes.mark_audio_purged(uow, [note_id for note_id, _ in due])


async def purge_periodically(
    session_factory: async_sessionmaker[AsyncSession],
    store: AudioStore,
    retention_days: int,
    *,
    every_s: float = 6 * 3600,
) -> None:
    """Run :func:`purge_expired_audio` now and then every ``every_s`` until cancelled."""
    while True:
        try:
            count = await purge_expired_audio(session_factory, store, retention_days)
            if count:
                log.info("purged the audio of %d voice note(s) older than %d days", count, retention_days)
        except Exception:
            log.exception("voice audio purge failed; trying again later")
        await asyncio.sleep(every_s)
