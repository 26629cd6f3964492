"""Voice notes: receipt (deduplicated by Telegram's file_unique_id), the transcription state machine
(received → transcribing → done | failed), attribution to a representative, feedback, corrections,
and audio retention. Each use-case commits its own transaction."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert

from ai.text.persian import normalize
from crm import audit
from crm.db import UnitOfWork
from crm.enums import (
    Channel,
    Direction,
    Locale,
    SuggestionKind,
    VoiceFailure,
    VoiceNoteStatus,
)
from crm.errors import InvalidTransition, NotFound, PermissionDenied
from crm.models import AISuggestion, CrtAgent, Interaction, Representative, VoiceNote
from crm.schemas.activity import InteractionCreate
from crm.schemas.types import Actor
from crm.schemas.voice import RepRef, TranscriptIn, VoiceNoteDTO, VoiceNoteIncoming, VoiceNoteView
from crm.services import interactions, nudge_replies, sentiment

INTERACTION_SOURCE = "voice"
SUMMARY_CHARS = 200
_UNFINISHED = (VoiceNoteStatus.RECEIVED.value, VoiceNoteStatus.TRANSCRIBING.value)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def load_row(uow: UnitOfWork, note_id: int, *, lock: bool = False) -> VoiceNote:
    row = await uow.session.get(VoiceNote, note_id, with_for_update=lock)
    if row is None:
        raise NotFound(f"voice note {note_id} not found", note_id=note_id)
    return row


def owned(row: VoiceNote, agent_id: int) -> None:
    if row.agent_id != agent_id:
        raise PermissionDenied("only the agent who sent the voice note may do this", note_id=row.id)


async def _insert(uow: UnitOfWork, data: VoiceNoteIncoming, **extra: object) -> tuple[VoiceNote, bool]:
    inserted = await uow.session.scalar(
        insert(VoiceNote)
        .values(
            file_unique_id=data.file_unique_id,
            file_id=data.file_id,
            agent_id=data.agent_id,
            representative_id=data.representative_id,
            from_representative=data.from_representative,
            chat_id=data.chat_id,
            mime_type=data.mime_type,
            size_bytes=data.size_bytes,
            duration_s=data.duration_s,
            **extra,
        )
        .on_conflict_do_nothing(index_elements=["file_unique_id"])
        .returning(VoiceNote.id)
    )
    row = await uow.session.scalar(select(VoiceNote).where(VoiceNote.file_unique_id == data.file_unique_id))
    if row is None:  # deleted between the two statements
        raise NotFound("voice note vanished while receiving; send it again", file=data.file_unique_id)
    return row, inserted is not None


async def receive(uow: UnitOfWork, data: VoiceNoteIncoming, actor: Actor) -> tuple[VoiceNoteDTO, bool]:
    """Store a new note in ``received``; the same file sent again returns the first row, not a new one."""
    row, created = await _insert(uow, data)
    dto = VoiceNoteDTO.model_validate(row)
    if created:
        audit.record(
            uow.session, actor, "voice_note.receive", "voice_note", row.id, after={"kind": data.kind}
        )
        await uow.commit()
    return dto, created


async def reject(
    uow: UnitOfWork, data: VoiceNoteIncoming, failure: VoiceFailure, detail: str, actor: Actor
) -> tuple[VoiceNoteDTO, bool]:
    """Record a note refused before download (too large, too long): a ``failed`` row saying why."""
    row, created = await _insert(
        uow,
        data,
        status=VoiceNoteStatus.FAILED.value,
        failure_code=failure.value,
        error=detail,
        finished_at=_now(),
    )
    dto = VoiceNoteDTO.model_validate(row)
    if created:
        audit.record(
            uow.session, actor, "voice_note.reject", "voice_note", row.id, after={"failure": failure.value}
        )
        await uow.commit()
    return dto, created


async def set_status_message(uow: UnitOfWork, note_id: int, message_id: int) -> None:
    row = await load_row(uow, note_id, lock=True)
    row.status_message_id = message_id
    await uow.commit()


async def store_audio(uow: UnitOfWork, note_id: int, audio_path: str) -> VoiceNoteDTO:
    row = await load_row(uow, note_id, lock=True)
    row.audio_path = audio_path
    row.error = None
    await uow.session.flush()
    dto = VoiceNoteDTO.model_validate(row)
    await uow.commit()
    return dto


async def claim(uow: UnitOfWork, note_id: int, max_attempts: int) -> VoiceNoteDTO | None:
    """Start an attempt: ``received``/``transcribing`` → ``transcribing``, attempts + 1.

    Counting at the start means a note that crashes the process mid-transcription still uses up its
    attempts. Returns None when the note is finished already or another worker holds it; a note out
    of attempts fails instead.
    """
    row = await uow.session.scalar(
        select(VoiceNote).where(VoiceNote.id == note_id).with_for_update(skip_locked=True)
    )
    if row is None or row.status not in _UNFINISHED:
        return None
    if row.attempts >= max_attempts:
        _set_failed(
            row, VoiceFailure.ENGINE, f"gave up after {row.attempts} attempts ({row.error or 'no error'})"
        )
        await uow.commit()
        return None
    row.status = VoiceNoteStatus.TRANSCRIBING.value
    row.attempts += 1
    row.started_at = _now()
    await uow.session.flush()
    dto = VoiceNoteDTO.model_validate(row)
    await uow.commit()
    return dto


def _set_failed(row: VoiceNote, failure: VoiceFailure, detail: str) -> None:
    row.status = VoiceNoteStatus.FAILED.value
    row.failure_code = failure.value
    row.error = detail[:2000]
    row.finished_at = _now()


async def fail(uow: UnitOfWork, note_id: int, failure: VoiceFailure, detail: str) -> VoiceNoteDTO:
    row = await load_row(uow, note_id, lock=True)
    _set_failed(row, failure, detail)
    await uow.session.flush()
    dto = VoiceNoteDTO.model_validate(row)
    await uow.commit()
    return dto


async def postpone(uow: UnitOfWork, note_id: int, failure: VoiceFailure, detail: str) -> VoiceNoteDTO:
    """A transient failure (download): back to ``received`` with the error, to be retried."""
    row = await load_row(uow, note_id, lock=True)
    row.status = VoiceNoteStatus.RECEIVED.value
    row.failure_code = failure.value
    row.error = detail[:2000]
    await uow.session.flush()
    dto = VoiceNoteDTO.model_validate(row)
    await uow.commit()
    return dto


async def complete(uow: UnitOfWork, note_id: int, result: TranscriptIn) -> VoiceNoteView:
    """``transcribing`` → ``done`` with the normalised transcript, its AI suggestion row and, when the
    representative is known, the interaction."""
    row = await load_row(uow, note_id, lock=True)
    if row.status != VoiceNoteStatus.TRANSCRIBING.value:
        raise InvalidTransition(
            f"voice note {note_id} is {row.status}, not transcribing",
            entity="voice_note",
            from_status=row.status,
            to_status=VoiceNoteStatus.DONE.value,
        )
    text = normalize(result.text)
    suggestion = AISuggestion(
        kind=SuggestionKind.TRANSCRIPT.value,
        representative_id=row.representative_id,
        agent_id=row.agent_id,
        engine=result.model,
        fingerprint=f"voice_note:{row.id}",
        content={"text": text, "language": result.language, "confidence": result.confidence},
        evidence=[{"voice_note_id": row.id}],
    )
    uow.session.add(suggestion)
    await uow.session.flush()
    row.status = VoiceNoteStatus.DONE.value
    row.transcript = text
    row.language = result.language
    row.confidence = result.confidence
    row.model = result.model
    row.duration_s = result.duration_s
    row.segments = [
        {"start": s.start, "end": s.end, "text": normalize(s.text)} for s in result.segments if s.text
    ]
    row.failure_code = None
    row.error = None
    row.finished_at = _now()
    row.suggestion_id = suggestion.id
    audit.record(
        uow.session,
        Actor.system(),
        "voice_note.transcribed",
        "voice_note",
        row.id,
        after={"model": result.model, "language": result.language, "seconds": result.seconds},
    )
    await uow.session.flush()
    await log_interaction(uow, row)
    await uow.commit()
    return await view_of(uow, row)


def summary_of(text: str) -> str:
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"


async def log_interaction(uow: UnitOfWork, row: VoiceNote) -> int | None:
    """The note as an inbound interaction on its representative, with the agent's correction when there
    is one; a note the representative sent themselves also answers the latest nudge they got."""
    text = row.transcript_corrected or row.transcript
    if row.representative_id is None or row.status != VoiceNoteStatus.DONE.value or not text:
        return None
    item, created = await interactions.log(
        uow,
        InteractionCreate(
            representative_id=row.representative_id,
            agent_id=row.agent_id,
            channel=Channel.VOICE_NOTE,
            direction=Direction.INBOUND,
            occurred_at=row.received_at,
            summary=summary_of(text),
            body=text,
            voice_note_id=row.id,
            ai_suggestion_id=row.suggestion_id,
            source=INTERACTION_SOURCE,
            idempotency_key=f"voice_note:{row.id}",
        ),
        Actor.agent(row.agent_id) if row.agent_id is not None else Actor.system(),
    )
    if created and row.from_representative:
        await nudge_replies.attribute_reply(uow, row.representative_id, item.id, row.received_at)
    return item.id


async def rewrite_interaction(uow: UnitOfWork, row: VoiceNote) -> dict[str, str | None] | None:
    """After a correction: the logged interaction says what the representative really said, scored
    again. Returns what it said before (for the audit), or None when nothing was logged yet."""
    text = row.transcript_corrected or row.transcript
    logged = await uow.session.scalar(
        select(Interaction).where(Interaction.voice_note_id == row.id).with_for_update()
    )
    if logged is None or not text:
        return None
    before = {"body": logged.body, "sentiment_label": logged.sentiment_label}
    logged.body, logged.summary = text, summary_of(text)
    rep = await uow.session.get(Representative, row.representative_id)
    profiling = rep is not None and not rep.profiling_opt_out
    for column, value in sentiment.columns_for(text, None, profiling=profiling).items():
        setattr(logged, column, value)
    return before


async def retry(uow: UnitOfWork, note_id: int, agent_id: int, max_attempts: int) -> VoiceNoteDTO:
    """The agent's Retry button: a retryable failure with attempts left goes back to ``received``."""
    row = await load_row(uow, note_id, lock=True)
    owned(row, agent_id)
    if not VoiceNoteDTO.model_validate(row).can_retry(max_attempts) and not (
        row.status == VoiceNoteStatus.RECEIVED.value and row.error is not None and row.attempts < max_attempts
    ):
        raise InvalidTransition(
            f"voice note {note_id} cannot be retried",
            entity="voice_note",
            from_status=row.status,
            action="retry",
        )
    audit.record(
        uow.session,
        Actor.agent(agent_id),
        "voice_note.retry",
        "voice_note",
        row.id,
        before={"status": row.status, "failure": row.failure_code, "error": row.error},
    )
    row.status = VoiceNoteStatus.RECEIVED.value
    row.failure_code = None
    row.error = None
    row.finished_at = None
    await uow.session.flush()
    dto = VoiceNoteDTO.model_validate(row)
    await uow.commit()
    return dto


async def view_of(uow: UnitOfWork, row: VoiceNote) -> VoiceNoteView:
    rep = None
    if row.representative_id is not None:
        found = await uow.session.get(Representative, row.representative_id)
        rep = None if found is None else RepRef.model_validate(found)
    locale = Locale.FA
    if row.agent_id is not None:
        agent_locale = await uow.session.scalar(select(CrtAgent.locale).where(CrtAgent.id == row.agent_id))
        locale = Locale(agent_locale) if agent_locale else Locale.FA
    logged = (
        await uow.session.execute(
            select(Interaction.id, Interaction.sentiment_label, Interaction.sentiment_score).where(
                Interaction.voice_note_id == row.id
            )
        )
    ).first()
    return VoiceNoteView(
        note=VoiceNoteDTO.model_validate(row),
        representative=rep,
        locale=locale,
        interaction_id=None if logged is None else logged.id,
        sentiment_label=None if logged is None else logged.sentiment_label,
        sentiment_score=None if logged is None else logged.sentiment_score,
    )


async def view(uow: UnitOfWork, note_id: int) -> VoiceNoteView:
    return await view_of(uow, await load_row(uow, note_id))


async def get(uow: UnitOfWork, note_id: int) -> VoiceNoteDTO:
    return VoiceNoteDTO.model_validate(await load_row(uow, note_id))


async def unfinished(uow: UnitOfWork) -> list[int]:
    """Notes to resume at start-up, oldest first (``ix_voice_note_status_received_at``)."""
    rows = await uow.session.scalars(
        select(VoiceNote.id)
        .where(VoiceNote.status.in_(_UNFINISHED))
        .order_by(VoiceNote.received_at, VoiceNote.id)
    )
    return list(rows)


async def recent_representatives(uow: UnitOfWork, agent_id: int, *, limit: int = 5) -> list[RepRef]:
    """The representatives of this agent's latest interactions, most recent first, each once."""
    latest = (
        select(Interaction.representative_id, func.max(Interaction.occurred_at).label("last"))
        .where(Interaction.agent_id == agent_id)
        .group_by(Interaction.representative_id)
        .order_by(func.max(Interaction.occurred_at).desc())
        .limit(limit)
        .subquery()
    )
    rows = await uow.session.scalars(
        select(Representative)
        .join(latest, latest.c.representative_id == Representative.id)
        .order_by(latest.c.last.desc())
    )
    return [RepRef.model_validate(rep) for rep in rows]


async def audio_due_for_purge(
    uow: UnitOfWork, older_than: dt.datetime, *, limit: int = 500
) -> list[tuple[int, str]]:
    """Finished notes whose audio outlived the retention (``ix_voice_note_audio_retained``)."""
    rows = await uow.session.execute(
        select(VoiceNote.id, VoiceNote.audio_path)
        .where(
            VoiceNote.audio_path.is_not(None),
            VoiceNote.audio_purged_at.is_(None),
            VoiceNote.received_at < older_than,
            VoiceNote.status.not_in(_UNFINISHED),
        )
        .order_by(VoiceNote.received_at)
        .limit(limit)
    )
    return [(note_id, path) for note_id, path in rows if path is not None]


async def mark_audio_purged(uow: UnitOfWork, note_ids: list[int]) -> int:
    """The audio is gone; the transcript stays. ``audio_path`` is kept as a record of what was deleted."""
    if not note_ids:
        return 0
    result = await uow.session.execute(
        update(VoiceNote)
        .where(VoiceNote.id.in_(note_ids), VoiceNote.audio_purged_at.is_(None))
        .values(audio_purged_at=_now())
    )
    audit.record(
        uow.session, Actor.system(), "voice_note.audio_purged", "voice_note", None, after={"ids": note_ids}
    )
    await uow.commit()
    return int(getattr(result, "rowcount", 0) or 0)
