"""The voice-note services: dedupe on receipt, the state machine and its attempt cap, attribution
logging the interaction once, feedback, corrections, the representative picker, and retention."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import func, select, update

from crm.db import UnitOfWork
from crm.enums import Channel, VoiceFailure, VoiceNoteStatus
from crm.errors import InvalidTransition, PermissionDenied, ValidationFailed
from crm.models import AIFeedback, AISuggestion, Interaction, VoiceNote
from crm.schemas.activity import InteractionCreate
from crm.schemas.types import Actor
from crm.schemas.voice import TranscriptIn, VoiceKind, VoiceNoteIncoming, VoiceSegment
from crm.services import interactions, voice_notes, voice_review
from tests.factories import make_agent, make_rep

_files = itertools.count(1)


def incoming(agent_id: int, rep_id: int | None = None, **changes: object) -> VoiceNoteIncoming:
    n = next(_files)
    data: dict[str, object] = {
        "file_unique_id": f"uniq-{n}",
        "file_id": f"file-{n}",
        "kind": VoiceKind.VOICE,
        "size_bytes": 12_000,
        "duration_s": 7.0,
        "mime_type": "audio/ogg",
        "chat_id": 4242,
        "agent_id": agent_id,
        "representative_id": rep_id,
    }
    data.update(changes)
    return VoiceNoteIncoming.model_validate(data)


TRANSCRIPT = TranscriptIn(
    text="سلام، پنل من از ديروز قطع است",
    language="fa",
    confidence=0.41,
    model="whisper-base",
    duration_s=7.1,
    seconds=1.9,
    segments=[
        VoiceSegment(start=0.1, end=3.8, text="سلام، پنل من"),
        VoiceSegment(start=3.8, end=6.3, text="از ديروز قطع است"),
    ],
)


async def _transcribed(uow: UnitOfWork, agent_id: int, rep_id: int | None) -> int:
    note, _ = await voice_notes.receive(uow, incoming(agent_id, rep_id), Actor.agent(agent_id))
    assert await voice_notes.claim(uow, note.id, max_attempts=3) is not None
    await voice_notes.complete(uow, note.id, TRANSCRIPT)
    return note.id


async def test_the_same_file_twice_is_one_row(uow: UnitOfWork) -> None:
    async with uow:
        agent = await make_agent(uow)
        data = incoming(agent.id)
        first, created = await voice_notes.receive(uow, data, Actor.agent(agent.id))
        again, created_again = await voice_notes.receive(
            uow, data.model_copy(update={"file_id": "another-file-id"}), Actor.agent(agent.id)
        )
        assert created
        assert not created_again
        assert again.id == first.id
        assert first.status == VoiceNoteStatus.RECEIVED
        count = await uow.session.scalar(
            select(func.count()).select_from(VoiceNote).where(VoiceNote.file_unique_id == data.file_unique_id)
        )
        assert count == 1


async def test_done_stores_normalised_transcript_suggestion_and_interaction(uow: UnitOfWork) -> None:
    async with uow:
        agent = await make_agent(uow)
        rep = await make_rep(uow)
        note_id = await _transcribed(uow, agent.id, rep.id)
        view = await voice_notes.view(uow, note_id)
        note = view.note
        assert note.status == VoiceNoteStatus.DONE
        assert note.transcript == "سلام، پنل من از دیروز قطع است"  # Arabic yeh normalised
        assert note.segments == [
            {"start": 0.1, "end": 3.8, "text": "سلام، پنل من"},
            {"start": 3.8, "end": 6.3, "text": "از دیروز قطع است"},
        ]
        assert (note.language, note.confidence, note.model) == ("fa", 0.41, "whisper-base")
        assert note.attempts == 1
        assert note.finished_at is not None
        suggestion = await uow.session.get(AISuggestion, note.suggestion_id)
        assert suggestion is not None
        assert suggestion.kind == "transcript"
        assert suggestion.engine == "whisper-base"
        item = await interactions.get(uow, view.interaction_id or 0)
        assert item.channel == Channel.VOICE_NOTE
        assert item.voice_note_id == note_id
        assert item.representative_id == rep.id
        assert item.body == note.transcript


async def test_states_move_only_forward(uow: UnitOfWork) -> None:
    async with uow:
        agent = await make_agent(uow)
        note, _ = await voice_notes.receive(uow, incoming(agent.id), Actor.agent(agent.id))
        with pytest.raises(InvalidTransition):
            await voice_notes.complete(uow, note.id, TRANSCRIPT)  # not transcribing yet
        claimed = await voice_notes.claim(uow, note.id, max_attempts=3)
        assert claimed is not None
        assert claimed.status == VoiceNoteStatus.TRANSCRIBING
        await voice_notes.complete(uow, note.id, TRANSCRIPT)
        assert await voice_notes.claim(uow, note.id, max_attempts=3) is None  # done stays done
        with pytest.raises(InvalidTransition):
            await voice_notes.complete(uow, note.id, TRANSCRIPT)


async def test_attempts_are_capped(uow: UnitOfWork) -> None:
    async with uow:
        agent = await make_agent(uow)
        note, _ = await voice_notes.receive(uow, incoming(agent.id), Actor.agent(agent.id))
        for attempt in (1, 2):
            claimed = await voice_notes.claim(uow, note.id, max_attempts=2)
            assert claimed is not None
            assert claimed.attempts == attempt
            failed = await voice_notes.fail(uow, note.id, VoiceFailure.ENGINE, "boom")
            assert failed.can_retry(2) == (attempt < 2)
            if attempt < 2:
                await voice_notes.retry(uow, note.id, agent.id, max_attempts=2)
        with pytest.raises(InvalidTransition):
            await voice_notes.retry(uow, note.id, agent.id, max_attempts=2)
        # A note left unfinished with no attempts left is failed by the next claim.
        await uow.session.execute(update(VoiceNote).where(VoiceNote.id == note.id).values(status="received"))
        assert await voice_notes.claim(uow, note.id, max_attempts=2) is None
        final = await voice_notes.get(uow, note.id)
        assert final.status == VoiceNoteStatus.FAILED
        assert final.failure_code == VoiceFailure.ENGINE
        assert final.error is not None
        assert "gave up after 2 attempts" in final.error


async def test_bad_audio_is_not_retryable_and_only_its_agent_may_retry(uow: UnitOfWork) -> None:
    async with uow:
        agent = await make_agent(uow)
        other = await make_agent(uow)
        note, _ = await voice_notes.receive(uow, incoming(agent.id), Actor.agent(agent.id))
        await voice_notes.claim(uow, note.id, max_attempts=3)
        failed = await voice_notes.fail(uow, note.id, VoiceFailure.SILENCE, "3.0 s of silence")
        assert not failed.can_retry(3)
        with pytest.raises(InvalidTransition):
            await voice_notes.retry(uow, note.id, agent.id, max_attempts=3)
        with pytest.raises(PermissionDenied):
            await voice_notes.retry(uow, note.id, other.id, max_attempts=3)


async def test_download_failure_keeps_the_note_received(uow: UnitOfWork) -> None:
    async with uow:
        agent = await make_agent(uow)
        note, _ = await voice_notes.receive(uow, incoming(agent.id), Actor.agent(agent.id))
        waiting = await voice_notes.postpone(uow, note.id, VoiceFailure.DOWNLOAD, "download failed: 502")
        assert waiting.status == VoiceNoteStatus.RECEIVED
        assert waiting.failure_code == VoiceFailure.DOWNLOAD
        assert note.id in await voice_notes.unfinished(uow)
        again = await voice_notes.retry(uow, note.id, agent.id, max_attempts=3)
        assert again.error is None


async def test_oversized_file_is_recorded_as_rejected(uow: UnitOfWork) -> None:
    async with uow:
        agent = await make_agent(uow)
        data = incoming(agent.id, size_bytes=25 * 2**20)
        note, created = await voice_notes.reject(
            uow, data, VoiceFailure.TOO_LARGE, "26214400 bytes", Actor.agent(agent.id)
        )
        assert created
        assert note.status == VoiceNoteStatus.FAILED
        assert note.failure_code == VoiceFailure.TOO_LARGE
        assert note.audio_path is None
        assert note.id not in await voice_notes.unfinished(uow)


async def test_attributing_later_logs_the_interaction_once(uow: UnitOfWork) -> None:
    async with uow:
        agent = await make_agent(uow)
        rep = await make_rep(uow)
        note_id = await _transcribed(uow, agent.id, None)
        assert (await voice_notes.view(uow, note_id)).interaction_id is None
        view = await voice_review.attribute(uow, note_id, rep.id, agent.id)
        assert view.representative is not None
        assert view.representative.id == rep.id
        assert view.interaction_id is not None
        again = await voice_review.attribute(uow, note_id, rep.id, agent.id)
        assert again.interaction_id == view.interaction_id
        logged = await uow.session.scalar(
            select(func.count()).select_from(Interaction).where(Interaction.voice_note_id == note_id)
        )
        assert logged == 1
        suggestion = await uow.session.get(AISuggestion, view.note.suggestion_id)
        assert suggestion is not None
        assert suggestion.representative_id == rep.id


async def test_feedback_is_one_vote_per_agent_and_changeable(uow: UnitOfWork) -> None:
    async with uow:
        agent = await make_agent(uow)
        note_id = await _transcribed(uow, agent.id, None)
        await voice_review.rate(uow, note_id, agent.id, 1)
        await voice_review.rate(uow, note_id, agent.id, -1)
        ratings = list(await uow.session.scalars(select(AIFeedback.rating)))
        assert ratings == [-1]
        with pytest.raises(ValidationFailed):
            await voice_review.rate(uow, note_id, agent.id, 0)


async def test_correction_sits_beside_the_original(uow: UnitOfWork) -> None:
    async with uow:
        agent = await make_agent(uow)
        note_id = await _transcribed(uow, agent.id, None)
        corrected = await voice_review.correct(uow, note_id, "سلام، پنل من از ديروز قطع شده", agent.id)
        assert corrected.transcript_corrected == "سلام، پنل من از دیروز قطع شده"
        assert corrected.transcript == "سلام، پنل من از دیروز قطع است"
        with pytest.raises(ValidationFailed):
            await voice_review.correct(uow, note_id, "   ", agent.id)


async def test_recent_representatives_and_guessing(uow: UnitOfWork) -> None:
    async with uow:
        agent = await make_agent(uow)
        older = await make_rep(uow, name="نماینده قدیمی")
        newer = await make_rep(uow, name="نماینده تازه", code="REP-0042", telegram_user_id=8_800_001)
        await make_rep(uow, name="نماینده دیگر")
        base = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
        for rep, days in ((older, 1), (newer, 3), (older, 0)):
            await interactions.log(
                uow,
                InteractionCreate(
                    representative_id=rep.id,
                    agent_id=agent.id,
                    channel=Channel.CALL,
                    occurred_at=base + dt.timedelta(days=days),
                    source="test",
                    idempotency_key=f"{rep.id}:{days}",
                ),
                Actor.agent(agent.id),
            )
        recent = await voice_notes.recent_representatives(uow, agent.id)
        assert [r.id for r in recent] == [newer.id, older.id]
        by_forward = await voice_review.guess_representative(
            uow, forwarded_from_user_id=8_800_001, caption=None
        )
        by_caption = await voice_review.guess_representative(
            uow, forwarded_from_user_id=None, caption="تماس امروز با rep-۰۰۴۲ دربارهٔ تمدید"
        )
        unknown = await voice_review.guess_representative(
            uow, forwarded_from_user_id=1, caption="REP-9999 نیست"
        )
        assert (by_forward, by_caption, unknown) == (newer.id, newer.id, None)
        hits = await voice_review.search_representatives(uow, "تازه")
        assert hits[0].id == newer.id


async def test_only_finished_old_audio_is_due_for_purge(uow: UnitOfWork) -> None:
    async with uow:
        agent = await make_agent(uow)
        done_id = await _transcribed(uow, agent.id, None)
        waiting, _ = await voice_notes.receive(uow, incoming(agent.id), Actor.agent(agent.id))
        for note_id in (done_id, waiting.id):
            await voice_notes.store_audio(uow, note_id, f"{note_id}.ogg")
        old = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
        await uow.session.execute(update(VoiceNote).values(received_at=old))
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
        assert await voice_notes.audio_due_for_purge(uow, cutoff) == [(done_id, f"{done_id}.ogg")]
        assert await voice_notes.mark_audio_purged(uow, [done_id]) == 1
        assert await voice_notes.audio_due_for_purge(uow, cutoff) == []
        purged = await voice_notes.get(uow, done_id)
        assert purged.audio_purged_at is not None
        assert purged.transcript is not None
