"""Voice notes end to end: the real dispatcher, the loopback Bot API emulator serving the files, the
real tiny.en model, and the status message the agent watches."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.callbacks import RepAction, RepReply, VoiceAction
from bot.texts.fa import FA
from chronos.emulators import EmulatedUser, StoredMessage
from chronos.settings import Settings, WhisperSettings
from chronos.voice_runtime import voice_service
from crm.db import UnitOfWork
from crm.enums import Channel, VoiceFailure, VoiceNoteStatus
from crm.models import AIFeedback, AuditLog, Interaction, NudgeMessage, VoiceNote
from crm.schemas.activity import InteractionCreate
from crm.schemas.nudges import CampaignCreate, NudgePolicy
from crm.schemas.types import Actor
from crm.schemas.voice import VoiceKind, VoiceNoteDTO, VoiceNoteIncoming
from crm.services import interactions, nudges, voice_notes
from crm.services.voice_audio import AudioStore
from crm.services.voice_pipeline import VoicePipeline
from jobs.voice import VoiceWorkerPool
from tests.bot.harness import BotHarness, alerts, sent_texts
from tests.factories import make_agent, make_rep
from tests.voice_support import audio, tiny_en


@dataclass
class Voice:
    harness: BotHarness
    pipeline: VoicePipeline
    db: UnitOfWork

    @property
    def pool(self) -> VoiceWorkerPool:
        assert isinstance(self.pipeline.queue, VoiceWorkerPool)
        return self.pipeline.queue

    async def settle(self) -> None:
        await self.pool.drain(timeout=120)
        await self.harness.emulator.wait_for(lambda c: True, timeout=1)  # the last edit is recorded

    async def note(self, note_id: int | None = None) -> VoiceNoteDTO:
        async with self.db:
            query = select(VoiceNote).order_by(VoiceNote.id.desc())
            if note_id is not None:
                query = query.where(VoiceNote.id == note_id)
            row = await self.db.session.scalar(query)
            assert row is not None
            return VoiceNoteDTO.model_validate(row)

    def status_message(self, user: EmulatedUser, note: VoiceNoteDTO) -> StoredMessage:
        assert note.status_message_id is not None
        message = self.harness.emulator.message(user.id, note.status_message_id)
        assert message is not None
        return message


@pytest.fixture
async def voice(
    harness: BotHarness,
    committing_session_factory: async_sessionmaker[AsyncSession],
    db: UnitOfWork,
    tmp_path: Path,
) -> AsyncIterator[Voice]:
    settings = Settings(data_dir=tmp_path, whisper=WhisperSettings(language="en", max_attempts=3))
    async with voice_service(
        settings, committing_session_factory, harness.bot, harness.dispatcher, stt=tiny_en()
    ) as pipeline:
        assert pipeline is not None
        yield Voice(harness, pipeline, db)


async def _agent(voice: Voice, name: str = "Agent") -> EmulatedUser:
    async with voice.db:
        agent = await make_agent(voice.db)
    return voice.harness.emulator.user(agent.telegram_user_id, name)


async def test_forwarded_voice_note_is_transcribed_and_logged(voice: Voice) -> None:
    emulator = voice.harness.emulator
    async with voice.db:
        agent = await make_agent(voice.db)
        rep = await make_rep(voice.db, name="رضا کریمی", telegram_user_id=8_100_001)
    user = emulator.user(agent.telegram_user_id, "Agent")
    rep_user = emulator.user(8_100_001, "Reza")
    update_id = emulator.send_voice(user, audio("en_speech.ogg"), duration=6, forward_from=rep_user)
    calls = await voice.harness.deliver(update_id)
    assert [c.method for c in calls if c.method in {"getFile", "downloadFile"}] == ["getFile", "downloadFile"]
    await voice.settle()
    note = await voice.note()
    assert note.status == VoiceNoteStatus.DONE
    assert note.representative_id == rep.id
    final = voice.status_message(user, note)
    assert "panel" in (final.text or "").lower()
    assert "رضا کریمی" in (final.text or "")
    assert "ثبت شد" in (final.text or "")
    assert VoiceAction(action="up", note_id=note.id).pack() in final.callback_data
    assert RepAction(action="card", rep_id=rep.id).pack() in final.callback_data  # the next step
    edits = [
        c for c in emulator.calls("editMessageText") if c.params.get("message_id") == note.status_message_id
    ]
    edit_texts = [str(c.params["text"]) for c in edits]
    assert any("رونویسی" in text for text in edit_texts)  # the progress stage was shown
    async with voice.db:
        logged = await voice.db.session.scalar(
            select(Interaction).where(Interaction.voice_note_id == note.id)
        )
        assert logged is not None
        assert logged.channel == Channel.VOICE_NOTE
        assert logged.representative_id == rep.id


async def test_caption_code_names_the_rep_and_duplicates_are_ignored(voice: Voice) -> None:
    emulator = voice.harness.emulator
    async with voice.db:
        agent = await make_agent(voice.db)
        rep = await make_rep(voice.db, code="REP-0042")
    user = emulator.user(agent.telegram_user_id, "Agent")
    update_id = emulator.send_audio(
        user, audio("en_speech.mp3"), duration=5, caption="تماس با REP-0042", file_name="call.mp3"
    )
    await voice.harness.deliver(update_id)
    redelivered = await voice.harness.redeliver(update_id)  # the same update again: no effect
    assert [c for c in redelivered if c.method in {"sendMessage", "getFile"}] == []
    again = emulator.send_audio(user, audio("en_speech.mp3"), duration=5, file_name="call.mp3")
    replies = sent_texts(await voice.harness.deliver(again))  # same file forwarded again
    assert any("قبلاً دریافت شده" in text for text in replies)
    await voice.settle()
    async with voice.db:
        assert await voice.db.session.scalar(select(func.count()).select_from(VoiceNote)) == 1
    note = await voice.note()
    assert note.representative_id == rep.id
    assert note.status == VoiceNoteStatus.DONE


async def test_agent_picks_the_rep_from_recent_ones(voice: Voice) -> None:
    emulator = voice.harness.emulator
    async with voice.db:
        agent = await make_agent(voice.db)
        rep = await make_rep(voice.db, name="مریم احمدی")
        await interactions.log(
            voice.db,
            InteractionCreate(
                representative_id=rep.id,
                agent_id=agent.id,
                channel=Channel.CALL,
                occurred_at=rep.created_at,
                source="test",
                idempotency_key="recent",
            ),
            Actor.agent(agent.id),
        )
    user = emulator.user(agent.telegram_user_id, "Agent")
    await voice.harness.deliver(emulator.send_video_note(user, audio("en_video_note.mp4"), duration=5))
    picker = voice.harness.last(user)
    assert "کدام نماینده" in (picker.text or "")
    await voice.settle()
    note = await voice.note()
    assert note.status == VoiceNoteStatus.DONE
    assert "نامشخص" in (voice.status_message(user, note).text or "")
    pick = VoiceAction(action="rep", note_id=note.id, rep_id=rep.id).pack()
    await voice.harness.press(user, picker, pick)
    assert "مریم احمدی" in (emulator.message(user.id, picker.message_id).text or "")  # type: ignore[union-attr]
    assert "ثبت شد" in (voice.status_message(user, note).text or "")
    async with voice.db:
        assert (
            await voice.db.session.scalar(
                select(func.count()).select_from(Interaction).where(Interaction.voice_note_id == note.id)
            )
            == 1
        )


async def test_search_feedback_and_correction(voice: Voice) -> None:
    emulator = voice.harness.emulator
    async with voice.db:
        agent = await make_agent(voice.db)
        rep = await make_rep(voice.db, name="سعید رحیمی", code="REP-0777")
    user = emulator.user(agent.telegram_user_id, "Agent")
    await voice.harness.deliver(emulator.send_voice(user, audio("en_speech.ogg"), duration=6))
    await voice.settle()
    note = await voice.note()
    status = voice.status_message(user, note)
    await voice.harness.press(user, status, VoiceAction(action="find", note_id=note.id).pack())
    await voice.harness.text(user, "رحیمی")
    results = voice.harness.last(user)
    await voice.harness.press(user, results, voice.harness.button(results, "سعید رحیمی"))
    up = await voice.harness.press(
        user, voice.status_message(user, note), VoiceAction(action="up", note_id=note.id).pack()
    )
    assert alerts(up) == ["سپاس از بازخوردتان 🙏"]
    await voice.harness.press(
        user, voice.status_message(user, note), VoiceAction(action="fix", note_id=note.id).pack()
    )
    await voice.harness.text(user, "Hello, the panel is down since yesterday. Please call me back.")
    note = await voice.note(note.id)
    assert note.representative_id == rep.id
    assert note.transcript_corrected == "Hello, the panel is down since yesterday. Please call me back."
    assert note.transcript is not None
    async with voice.db:
        assert list(await voice.db.session.scalars(select(AIFeedback.rating))) == [1]
    assert "اصلاح‌شده" in (voice.status_message(user, note).text or "")


@pytest.mark.parametrize(
    ("name", "mime", "failure", "reply"),
    [
        ("not_audio.txt", "audio/ogg", VoiceFailure.NOT_AUDIO, "صوت یا ویدیو نیست"),
        ("silence.ogg", "audio/ogg", VoiceFailure.SILENCE, "سکوت"),
        ("garbled.ogg", "audio/ogg", VoiceFailure.CORRUPT, "خراب یا ناقص"),
        ("music.ogg", "audio/ogg", VoiceFailure.NO_SPEECH, "موسیقی یا نویز"),
    ],
)
async def test_bad_input_gets_a_clear_persian_reason(
    voice: Voice, name: str, mime: str, failure: VoiceFailure, reply: str
) -> None:
    user = await _agent(voice)
    await voice.harness.deliver(voice.harness.emulator.send_document(user, audio(name), name, mime_type=mime))
    await voice.settle()
    note = await voice.note()
    assert note.status == VoiceNoteStatus.FAILED
    assert note.failure_code == failure.value
    assert reply in (voice.status_message(user, note).text or "")


async def test_oversized_file_is_refused_before_download(voice: Voice) -> None:
    user = await _agent(voice)
    emulator = voice.harness.emulator
    calls = await voice.harness.deliver(emulator.send_voice(user, b"\x00" * (20 * 2**20 + 1), duration=30))
    assert not [c for c in calls if c.method in {"getFile", "downloadFile"}]
    assert any("بزرگ‌تر از ۲۰ مگابایت" in text for text in sent_texts(calls))
    note = await voice.note()
    assert note.failure_code == VoiceFailure.TOO_LARGE.value


async def test_download_failure_offers_a_retry(voice: Voice) -> None:
    user = await _agent(voice)
    emulator = voice.harness.emulator
    emulator.inject_fault("getFile", kind="500", times=2)  # intake's download and the worker's
    await voice.harness.deliver(emulator.send_voice(user, audio("en_speech.ogg"), duration=6))
    await voice.settle()
    note = await voice.note()
    assert note.status == VoiceNoteStatus.RECEIVED
    assert note.failure_code == VoiceFailure.DOWNLOAD.value
    status = voice.status_message(user, note)
    retry = VoiceAction(action="retry", note_id=note.id).pack()
    assert retry in status.callback_data
    await voice.harness.press(user, status, retry)
    await voice.settle()
    note = await voice.note(note.id)
    assert note.status == VoiceNoteStatus.DONE
    assert "panel" in (voice.status_message(user, note).text or "").lower()


async def test_without_a_model_agents_are_told(harness: BotHarness, db: UnitOfWork) -> None:
    async with db:
        agent = await make_agent(db)
    user = harness.emulator.user(agent.telegram_user_id, "Agent")
    calls = await harness.deliver(harness.emulator.send_voice(user, audio("en_speech.ogg"), duration=6))
    assert any("در دسترس نیست" in text for text in sent_texts(calls))
    async with db:
        assert await db.session.scalar(select(func.count()).select_from(VoiceNote)) == 0


async def test_restart_resumes_a_note_left_transcribing(
    harness: BotHarness,
    committing_session_factory: async_sessionmaker[AsyncSession],
    db: UnitOfWork,
    tmp_path: Path,
) -> None:
    """The process died mid-transcription: on the next start the note is finished and its status
    message edited, without the agent doing anything."""
    async with db:
        agent = await make_agent(db)
    user = harness.emulator.user(agent.telegram_user_id, "Agent")
    status = await harness.bot.send_message(user.id, "🎧 …")
    settings = Settings(data_dir=tmp_path, whisper=WhisperSettings(language="en"))
    store = AudioStore(tmp_path / "audio")
    async with db:
        note, _ = await voice_notes.receive(
            db,
            VoiceNoteIncoming(
                file_unique_id="left-behind",
                file_id="gone",
                kind=VoiceKind.VOICE,
                size_bytes=1,
                duration_s=6,
                chat_id=user.id,
                agent_id=agent.id,
            ),
            Actor.agent(agent.id),
        )
        await voice_notes.set_status_message(db, note.id, status.message_id)
        await voice_notes.store_audio(db, note.id, store.save(note.id, audio("en_speech.ogg"), "audio/ogg"))
        await voice_notes.claim(db, note.id, max_attempts=3)  # ... and then the process died
    async with voice_service(
        settings, committing_session_factory, harness.bot, harness.dispatcher, stt=tiny_en()
    ) as pipeline:
        assert pipeline is not None
        assert isinstance(pipeline.queue, VoiceWorkerPool)
        await pipeline.queue.drain(timeout=120)
    message = harness.emulator.message(user.id, status.message_id)
    assert message is not None
    assert "panel" in (message.text or "").lower()
    async with db:
        row = await db.session.get(VoiceNote, note.id)
        assert row is not None
        assert row.status == VoiceNoteStatus.DONE
        assert row.attempts == 2


async def test_a_correction_rewrites_the_logged_interaction_and_is_scored_again(voice: Voice) -> None:
    """«✏️ اصلاح متن» used to leave the garbled Whisper text (and its sentiment) on the interaction."""
    emulator = voice.harness.emulator
    async with voice.db:
        agent = await make_agent(voice.db)
        await make_rep(voice.db, name="رضا کریمی", telegram_user_id=8_100_011)
    user = emulator.user(agent.telegram_user_id, "Agent")
    rep_user = emulator.user(8_100_011, "Reza")
    await voice.harness.deliver(
        emulator.send_voice(user, audio("en_speech.ogg"), duration=6, forward_from=rep_user)
    )
    await voice.settle()
    note = await voice.note()
    assert "احساس: منفی" in (voice.status_message(user, note).text or "")  # the reply shows the sentiment
    await voice.harness.press(
        user, voice.status_message(user, note), VoiceAction(action="fix", note_id=note.id).pack()
    )
    await voice.harness.text(user, "دستتون درد نکنه، مشکل حل شد و سرعت عالیه")
    async with voice.db:
        logged = await voice.db.session.scalar(
            select(Interaction).where(Interaction.voice_note_id == note.id)
        )
        audit_before = await voice.db.session.scalar(
            select(AuditLog.before).where(
                AuditLog.action == "voice_note.correct", AuditLog.entity_id == str(note.id)
            )
        )
        assert logged is not None
        assert logged.body == "دستتون درد نکنه، مشکل حل شد و سرعت عالیه"
        assert logged.sentiment_label == "positive"
    assert (await voice.note(note.id)).transcript == note.transcript  # the original stays, for audit
    assert audit_before is not None
    assert audit_before["body"] == note.transcript
    assert "احساس: مثبت" in (voice.status_message(user, await voice.note(note.id)).text or "")


async def test_a_representatives_own_voice_note_reaches_their_agent_and_answers_the_nudge(
    voice: Voice,
) -> None:
    """A representative's voice note used to get «این دستور را نمی‌شناسم» and was lost."""
    emulator = voice.harness.emulator
    async with voice.db:
        agent = await make_agent(voice.db)
        rep = await make_rep(
            voice.db, name="مینا صالحی", telegram_user_id=8_100_021, assigned_agent_id=agent.id
        )
        campaign = await nudges.create(
            voice.db,
            CampaignCreate(name="احوال‌پرسی", purpose="پیگیری", template="سلام {name} عزیز"),
            Actor.cli(),
        )
        await nudges.submit(voice.db, campaign.id, Actor.cli(), policy=NudgePolicy())
        await voice.db.session.execute(
            NudgeMessage.__table__.update()
            .where(NudgeMessage.representative_id == rep.id)
            .values(status="sent", sent_at=dt.datetime.now(dt.UTC), telegram_message_id=1)
        )
        await voice.db.commit()
    agent_user = emulator.user(agent.telegram_user_id, "Agent")
    rep_user = emulator.user(8_100_021, "Mina")
    calls = await voice.harness.deliver(emulator.send_voice(rep_user, audio("en_speech.ogg"), duration=6))
    replies = [
        str(c.params["text"])
        for c in calls
        if c.method == "sendMessage" and c.params["chat_id"] == rep_user.id
    ]
    assert replies == [FA["rep.voice_received"]]
    await voice.settle()
    note = await voice.note()
    assert (note.status, note.representative_id, note.from_representative) == (
        VoiceNoteStatus.DONE,
        rep.id,
        True,
    )
    status = voice.status_message(agent_user, note)  # the transcript goes to the agent, never to the rep
    assert "پیام صوتی نماینده" in (status.text or "")
    assert "مینا صالحی" in (status.text or "")
    assert RepReply(rep_id=rep.id).pack() in status.callback_data
    assert all("panel" not in (m.text or "").lower() for m in emulator.messages_to(rep_user.id))
    async with voice.db:
        logged = await voice.db.session.scalar(
            select(Interaction).where(Interaction.voice_note_id == note.id)
        )
        replied = await voice.db.session.scalar(
            select(NudgeMessage.reply_interaction_id).where(NudgeMessage.representative_id == rep.id)
        )
        assert logged is not None
        assert logged.representative_id == rep.id
        assert replied == logged.id
    [help_text] = sent_texts(await voice.harness.text(rep_user, "/help"))
    assert "/stop" in help_text
    assert "صوتی" in help_text
