"""The voice pipeline with the real tiny.en model: intake → worker pool → done, status events in
order, bad input failing with its reason, download failures waiting for a retry, resume after a
crash, and the audio purge job."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm.db import UnitOfWork
from crm.enums import VoiceFailure, VoiceNoteStatus
from crm.models import VoiceNote
from crm.schemas.types import Actor
from crm.schemas.voice import VoiceKind, VoiceNoteIncoming, VoiceNoteView
from crm.services import voice_notes
from crm.services.voice_audio import AudioStore
from crm.services.voice_pipeline import IntakeOutcome, VoiceLimits, VoicePipeline
from jobs.voice import VoiceWorkerPool, purge_expired_audio
from tests.factories import make_agent, make_rep
from tests.voice_support import audio, tiny_en

_ids = itertools.count(1)
LIMITS = VoiceLimits(max_file_bytes=20 * 2**20, max_duration_s=60, max_attempts=3, language="en")


@dataclass
class Recorder:
    """VoiceEvents that remembers what the agent would have seen."""

    shown: list[tuple[int, str, int | None, float | None]] = field(default_factory=list)
    next_message: itertools.count[int] = field(default_factory=lambda: itertools.count(100))

    async def show(
        self, view: VoiceNoteView, *, position: int | None = None, progress: float | None = None
    ) -> int | None:
        self.shown.append((view.note.id, view.note.status.value, position, progress))
        return next(self.next_message) if view.note.status_message_id is None else None

    def statuses(self, note_id: int) -> list[str]:
        return [status for shown_id, status, _, _ in self.shown if shown_id == note_id]


@dataclass
class Files:
    """AudioFetcher over an in-memory map; ``broken`` makes every download fail."""

    data: dict[str, bytes] = field(default_factory=dict)
    broken: bool = False
    calls: list[str] = field(default_factory=list)

    async def __call__(self, file_id: str) -> bytes:
        self.calls.append(file_id)
        if self.broken:
            raise ConnectionError("Telegram file server unreachable")
        return self.data[file_id]


@dataclass
class Setup:
    pipeline: VoicePipeline
    pool: VoiceWorkerPool
    events: Recorder
    files: Files
    store: AudioStore
    session_factory: async_sessionmaker[AsyncSession]

    async def send(self, agent_id: int, name: str, **changes: object) -> tuple[IntakeOutcome, int]:
        n = next(_ids)
        file_id = f"file-{n}"
        self.files.data[file_id] = audio(name) if name else b""
        values: dict[str, object] = {
            "file_unique_id": f"pipeline-{n}",
            "file_id": file_id,
            "kind": VoiceKind.VOICE,
            "size_bytes": len(self.files.data[file_id]),
            "mime_type": "audio/ogg",
            "chat_id": 777,
            "agent_id": agent_id,
        }
        values.update(changes)
        async with UnitOfWork(self.session_factory) as uow:
            result = await self.pipeline.intake(
                uow, VoiceNoteIncoming.model_validate(values), Actor.agent(agent_id)
            )
        return result.outcome, result.view.note.id


@pytest.fixture
async def setup(
    committing_session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> AsyncIterator[Setup]:
    events, files, store = Recorder(), Files(), AudioStore(tmp_path / "audio")
    pipeline = VoicePipeline(committing_session_factory, tiny_en(), store, LIMITS, fetch=files, events=events)
    pool = VoiceWorkerPool(pipeline.process, workers=1, announce=pipeline.announce)
    pipeline.queue = pool
    pool.start()
    yield Setup(pipeline, pool, events, files, store, committing_session_factory)
    await pool.stop()


async def _note(setup: Setup, note_id: int) -> VoiceNoteView:
    async with UnitOfWork(setup.session_factory) as uow:
        return await voice_notes.view(uow, note_id)


async def test_a_note_goes_from_intake_to_a_logged_interaction(setup: Setup) -> None:
    async with UnitOfWork(setup.session_factory) as uow:
        agent = await make_agent(uow)
        rep = await make_rep(uow)
    outcome, note_id = await setup.send(agent.id, "en_speech.ogg", representative_id=rep.id, duration_s=6)
    assert outcome == IntakeOutcome.QUEUED
    await setup.pool.drain(timeout=120)
    view = await _note(setup, note_id)
    note = view.note
    assert note.status == VoiceNoteStatus.DONE
    assert note.transcript is not None
    assert "panel" in note.transcript.lower()
    assert note.status_message_id == 100
    assert note.audio_path == f"{note_id}.ogg"
    assert setup.store.read(note.audio_path) == audio("en_speech.ogg")
    assert view.interaction_id is not None
    statuses = setup.events.statuses(note_id)
    assert statuses[0] == "received"
    assert statuses[-1] == "done"
    assert "transcribing" in statuses


async def test_the_same_file_again_is_a_duplicate(setup: Setup) -> None:
    async with UnitOfWork(setup.session_factory) as uow:
        agent = await make_agent(uow)
    outcome, note_id = await setup.send(agent.id, "en_speech.ogg", file_unique_id="same-file")
    again, same_id = await setup.send(agent.id, "en_speech.ogg", file_unique_id="same-file")
    assert (outcome, again) == (IntakeOutcome.QUEUED, IntakeOutcome.DUPLICATE)
    assert same_id == note_id
    await setup.pool.drain(timeout=120)


@pytest.mark.parametrize(
    ("name", "failure"),
    [
        ("not_audio.txt", VoiceFailure.NOT_AUDIO),
        ("silence.ogg", VoiceFailure.SILENCE),
        ("garbled.ogg", VoiceFailure.CORRUPT),
        ("noise.ogg", VoiceFailure.NO_SPEECH),
        ("", VoiceFailure.EMPTY),
    ],
)
async def test_bad_input_fails_with_its_reason(setup: Setup, name: str, failure: VoiceFailure) -> None:
    async with UnitOfWork(setup.session_factory) as uow:
        agent = await make_agent(uow)
    _, note_id = await setup.send(agent.id, name)
    await setup.pool.drain(timeout=120)
    note = (await _note(setup, note_id)).note
    assert note.status == VoiceNoteStatus.FAILED
    assert note.failure_code == failure
    assert note.error
    assert not note.can_retry(LIMITS.max_attempts)
    assert setup.events.statuses(note_id)[-1] == "failed"


async def test_truncated_note_fails_as_corrupt(setup: Setup) -> None:
    async with UnitOfWork(setup.session_factory) as uow:
        agent = await make_agent(uow)
    _, note_id = await setup.send(agent.id, "truncated.ogg", duration_s=8)
    await setup.pool.drain(timeout=120)
    note = (await _note(setup, note_id)).note
    assert note.failure_code == VoiceFailure.CORRUPT
    assert note.error is not None
    assert "truncated" in note.error


async def test_limits_are_checked_before_download(setup: Setup) -> None:
    async with UnitOfWork(setup.session_factory) as uow:
        agent = await make_agent(uow)
    outcome, big = await setup.send(agent.id, "en_speech.ogg", size_bytes=21 * 2**20)
    long_outcome, long = await setup.send(agent.id, "en_speech.ogg", duration_s=61)
    assert (outcome, long_outcome) == (IntakeOutcome.REJECTED, IntakeOutcome.REJECTED)
    assert setup.files.calls == []
    assert (await _note(setup, big)).note.failure_code == VoiceFailure.TOO_LARGE
    assert (await _note(setup, long)).note.failure_code == VoiceFailure.TOO_LONG


async def test_download_failure_waits_for_a_retry(setup: Setup) -> None:
    async with UnitOfWork(setup.session_factory) as uow:
        agent = await make_agent(uow)
    setup.files.broken = True
    _, note_id = await setup.send(agent.id, "en_speech.ogg")
    await setup.pool.drain(timeout=60)
    note = (await _note(setup, note_id)).note
    assert note.status == VoiceNoteStatus.RECEIVED
    assert note.failure_code == VoiceFailure.DOWNLOAD
    assert note.audio_path is None
    assert note.attempts == 1
    setup.files.broken = False
    async with UnitOfWork(setup.session_factory) as uow:
        await voice_notes.retry(uow, note_id, agent.id, LIMITS.max_attempts)
    setup.pipeline.submit(note_id)
    await setup.pool.drain(timeout=120)
    note = (await _note(setup, note_id)).note
    assert note.status == VoiceNoteStatus.DONE
    assert note.attempts == 2


async def test_resume_after_a_crash_mid_transcription(setup: Setup) -> None:
    """A row left in ``transcribing`` (the process died) is finished by the next start."""
    async with UnitOfWork(setup.session_factory) as uow:
        agent = await make_agent(uow)
        note, _ = await voice_notes.receive(
            uow,
            VoiceNoteIncoming(
                file_unique_id="crashed",
                file_id="file-crashed",
                kind=VoiceKind.VOICE,
                size_bytes=1,
                chat_id=777,
                agent_id=agent.id,
            ),
            Actor.agent(agent.id),
        )
        await voice_notes.store_audio(
            uow, note.id, setup.store.save(note.id, audio("en_speech.ogg"), "audio/ogg")
        )
        await voice_notes.claim(uow, note.id, LIMITS.max_attempts)
    assert (await _note(setup, note.id)).note.status == VoiceNoteStatus.TRANSCRIBING
    resumed = await setup.pool.resume(setup.session_factory)
    assert resumed == 1
    await setup.pool.drain(timeout=120)
    done = (await _note(setup, note.id)).note
    assert done.status == VoiceNoteStatus.DONE
    assert done.attempts == 2
    assert setup.files.calls == []  # the stored audio was used, nothing downloaded again


async def test_queue_positions_are_announced(setup: Setup) -> None:
    async with UnitOfWork(setup.session_factory) as uow:
        agent = await make_agent(uow)
    ids = [(await setup.send(agent.id, "en_speech.ogg"))[1] for _ in range(3)]
    await setup.pool.drain(timeout=300)
    positions = [(note_id, pos) for note_id, status, pos, _ in setup.events.shown if pos is not None]
    assert (ids[2], 2) in positions or (ids[2], 3) in positions
    for note_id in ids:
        assert (await _note(setup, note_id)).note.status == VoiceNoteStatus.DONE


async def test_purge_deletes_old_audio_and_keeps_transcripts(setup: Setup) -> None:
    async with UnitOfWork(setup.session_factory) as uow:
        agent = await make_agent(uow)
    _, note_id = await setup.send(agent.id, "en_speech.ogg")
    await setup.pool.drain(timeout=120)
    note = (await _note(setup, note_id)).note
    assert note.audio_path is not None
    assert setup.store.path(note.audio_path).exists()
    assert await purge_expired_audio(setup.session_factory, setup.store, 30) == 0  # too recent
    async with UnitOfWork(setup.session_factory) as uow:
        old = dt.datetime.now(dt.UTC) - dt.timedelta(days=31)
        await uow.session.execute(update(VoiceNote).where(VoiceNote.id == note_id).values(received_at=old))
        await uow.commit()
    assert await purge_expired_audio(setup.session_factory, setup.store, 30) == 1
    assert not setup.store.path(note.audio_path).exists()
    purged = (await _note(setup, note_id)).note
    assert purged.audio_purged_at is not None
    assert purged.transcript == note.transcript
