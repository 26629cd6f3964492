"""What an agent does with a voice note after it arrives: name the representative (from recent ones
or a search), rate the transcript 👍/👎, and correct it. Each use-case commits its own transaction."""

from __future__ import annotations

import re

from sqlalchemy import func, update
from sqlalchemy.dialects.postgresql import insert

from ai.text.persian import normalize, to_ascii_digits
from crm import audit
from crm.db import UnitOfWork
from crm.enums import VoiceNoteStatus
from crm.errors import InvalidTransition, NotFound, ValidationFailed
from crm.models import AIFeedback, AISuggestion
from crm.schemas.types import Actor
from crm.schemas.voice import RepRef, VoiceNoteDTO, VoiceNoteView
from crm.services import representatives
from crm.services.voice_notes import load_row, log_interaction, owned, rewrite_interaction, view_of

MAX_CORRECTION_CHARS = 4000
# Codes as written in captions: letters, a dash or underscore, digits (REP-0042, rep_42, MF-7).
_CODE_TOKEN = re.compile(r"\b[A-Z][A-Z0-9]*[-_][A-Z0-9-_]*\d[A-Z0-9]*\b")


async def attribute(uow: UnitOfWork, note_id: int, rep_id: int, agent_id: int) -> VoiceNoteView:
    """The agent names the representative; a finished note gets its interaction now."""
    row = await load_row(uow, note_id, lock=True)
    owned(row, agent_id)
    rep = await representatives.get(uow, rep_id)
    before = row.representative_id
    row.representative_id = rep.id
    if row.suggestion_id is not None:
        await uow.session.execute(
            update(AISuggestion).where(AISuggestion.id == row.suggestion_id).values(representative_id=rep.id)
        )
    audit.record(
        uow.session,
        Actor.agent(agent_id),
        "voice_note.attribute",
        "voice_note",
        row.id,
        before={"representative_id": before},
        after={"representative_id": rep.id},
    )
    await uow.session.flush()
    await log_interaction(uow, row)
    await uow.commit()
    return await view_of(uow, row)


async def correct(uow: UnitOfWork, note_id: int, text: str, agent_id: int) -> VoiceNoteDTO:
    """Store the agent's corrected transcript beside the original (which stays as transcribed, for the
    audit), and make the logged interaction say the corrected text, scored again."""
    row = await load_row(uow, note_id, lock=True)
    owned(row, agent_id)
    if row.status != VoiceNoteStatus.DONE.value:
        raise InvalidTransition(
            f"voice note {note_id} has no transcript yet",
            entity="voice_note",
            from_status=row.status,
            action="correct",
        )
    cleaned = normalize(text)
    if not cleaned or len(cleaned) > MAX_CORRECTION_CHARS:
        raise ValidationFailed("a correction is 1–4000 characters", limit=MAX_CORRECTION_CHARS)
    row.transcript_corrected = cleaned
    before = await rewrite_interaction(uow, row)
    audit.record(
        uow.session,
        Actor.agent(agent_id),
        "voice_note.correct",
        "voice_note",
        row.id,
        before=before,
        after={"chars": len(cleaned)},
    )
    await uow.session.flush()
    dto = VoiceNoteDTO.model_validate(row)
    await uow.commit()
    return dto


async def rate(uow: UnitOfWork, note_id: int, agent_id: int, rating: int) -> None:
    """👍 (+1) or 👎 (−1) on the transcript; pressing again changes the vote, never adds a second."""
    if rating not in (-1, 1):
        raise ValidationFailed("rating is -1 or 1", rating=rating)
    row = await load_row(uow, note_id)
    owned(row, agent_id)
    if row.suggestion_id is None:
        raise InvalidTransition(
            f"voice note {note_id} has no transcript to rate",
            entity="voice_note",
            from_status=row.status,
            action="rate",
        )
    await uow.session.execute(
        insert(AIFeedback)
        .values(suggestion_id=row.suggestion_id, agent_id=agent_id, rating=rating)
        .on_conflict_do_update(
            index_elements=["suggestion_id", "agent_id"], set_={"rating": rating, "updated_at": func.now()}
        )
    )
    await uow.commit()


async def search_representatives(uow: UnitOfWork, query: str, *, limit: int = 8) -> list[RepRef]:
    hits = await representatives.find(uow, query, limit=limit)
    return [RepRef.model_validate(hit.representative) for hit in hits]


async def guess_representative(
    uow: UnitOfWork, *, forwarded_from_user_id: int | None, caption: str | None
) -> int | None:
    """Who a note is from without asking: the linked representative it was forwarded from, else a
    representative code in the caption (e.g. REP-0042)."""
    if forwarded_from_user_id is not None:
        rep = await representatives.get_by_telegram_id(uow, forwarded_from_user_id)
        if rep is not None:
            return rep.id
    for token in _CODE_TOKEN.findall(to_ascii_digits(caption or "").upper()):
        try:
            return (await representatives.get_by_code(uow, token)).id
        except NotFound:
            continue
    return None
