"""👍/👎 on any AI output (an ``ai_suggestion`` row), with a reason and an optional comment.

Generic on purpose: call prep, voice-note transcripts, KB answers and drafts all vote the same way.
One vote per agent and suggestion (the table's unique constraint); voting again updates it. Changing
the rating clears the reason and comment, which belonged to the old rating; a reason is only
accepted on a 👎 (the table's CHECK says the same). Every change is audited.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Final

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from ai.text.persian import normalize
from crm import audit
from crm.db import UnitOfWork
from crm.enums import FeedbackReason
from crm.errors import NotFound, ValidationFailed
from crm.models import AIFeedback, AISuggestion
from crm.schemas.types import DTO, Actor

UP: Final = 1
DOWN: Final = -1
MAX_COMMENT_CHARS: Final = 1000


class FeedbackDTO(DTO):
    id: int
    suggestion_id: int
    agent_id: int
    rating: int
    reason: FeedbackReason | None
    comment: str | None
    updated_at: dt.datetime


class FeedbackSummary(DTO):
    suggestion_id: int
    up: int
    down: int
    reasons: dict[str, int]


async def _require_suggestion(uow: UnitOfWork, suggestion_id: int) -> None:
    found = await uow.session.scalar(select(AISuggestion.id).where(AISuggestion.id == suggestion_id))
    if found is None:
        raise NotFound(f"suggestion {suggestion_id} not found", suggestion_id=suggestion_id)


async def _current(uow: UnitOfWork, suggestion_id: int, agent_id: int) -> AIFeedback | None:
    return await uow.session.scalar(
        select(AIFeedback)
        .where(AIFeedback.suggestion_id == suggestion_id, AIFeedback.agent_id == agent_id)
        .with_for_update()
    )


async def vote(uow: UnitOfWork, suggestion_id: int, agent_id: int, rating: int) -> FeedbackDTO:
    """Record 👍 (``1``) or 👎 (``-1``); the same rating again changes nothing."""
    if rating not in (UP, DOWN):
        raise ValidationFailed("rating must be 1 or -1", rating=rating)
    await _require_suggestion(uow, suggestion_id)
    before = await _current(uow, suggestion_id, agent_id)
    if before is not None and before.rating == rating:
        return FeedbackDTO.model_validate(before)
    await uow.session.execute(
        insert(AIFeedback)
        .values(suggestion_id=suggestion_id, agent_id=agent_id, rating=rating)
        .on_conflict_do_update(
            index_elements=["suggestion_id", "agent_id"],
            set_={"rating": rating, "reason": None, "comment": None, "updated_at": dt.datetime.now(dt.UTC)},
        )
    )
    return await _finish(
        uow, suggestion_id, agent_id, "feedback.vote", {"rating": before.rating if before else None}
    )


async def set_reason(
    uow: UnitOfWork, suggestion_id: int, agent_id: int, reason: FeedbackReason
) -> FeedbackDTO:
    """Why it was 👎 (the fixed list); records the 👎 too if the agent had not voted yet."""
    await _require_suggestion(uow, suggestion_id)
    row = await _current(uow, suggestion_id, agent_id)
    if row is None:
        row = AIFeedback(suggestion_id=suggestion_id, agent_id=agent_id, rating=DOWN)
        uow.session.add(row)
    elif row.rating != DOWN:
        raise ValidationFailed("a reason only goes with a 👎", suggestion_id=suggestion_id)
    before = row.reason
    row.reason = reason.value
    return await _finish(uow, suggestion_id, agent_id, "feedback.reason", {"reason": before})


async def set_comment(uow: UnitOfWork, suggestion_id: int, agent_id: int, comment: str) -> FeedbackDTO:
    """A free-text comment on an existing vote."""
    text = normalize(comment)
    if not text:
        raise ValidationFailed("a comment needs text")
    if len(text) > MAX_COMMENT_CHARS:
        raise ValidationFailed(f"a comment has at most {MAX_COMMENT_CHARS} characters")
    row = await _current(uow, suggestion_id, agent_id)
    if row is None:
        raise NotFound("vote first, then comment", suggestion_id=suggestion_id)
    before = row.comment
    row.comment = text
    return await _finish(uow, suggestion_id, agent_id, "feedback.comment", {"comment": before})


async def _finish(
    uow: UnitOfWork, suggestion_id: int, agent_id: int, action: str, before: dict[str, object]
) -> FeedbackDTO:
    await uow.session.flush()
    row = await _current(uow, suggestion_id, agent_id)
    assert row is not None  # written just above in this transaction
    await uow.session.refresh(row)
    dto = FeedbackDTO.model_validate(row)
    audit.record(
        uow.session,
        Actor.agent(agent_id),
        action,
        "ai_suggestion",
        suggestion_id,
        before=before,
        after={"rating": dto.rating, "reason": dto.reason, "comment": dto.comment},
    )
    await uow.commit()
    return dto


async def get(uow: UnitOfWork, suggestion_id: int, agent_id: int) -> FeedbackDTO | None:
    row = await uow.session.scalar(
        select(AIFeedback).where(AIFeedback.suggestion_id == suggestion_id, AIFeedback.agent_id == agent_id)
    )
    return None if row is None else FeedbackDTO.model_validate(row)


async def summary(uow: UnitOfWork, suggestion_id: int) -> FeedbackSummary:
    rows = (
        await uow.session.execute(
            select(AIFeedback.rating, AIFeedback.reason).where(AIFeedback.suggestion_id == suggestion_id)
        )
    ).all()
    return FeedbackSummary(
        suggestion_id=suggestion_id,
        up=sum(1 for rating, _ in rows if rating == UP),
        down=sum(1 for rating, _ in rows if rating == DOWN),
        reasons=dict(Counter(reason for _, reason in rows if reason)),
    )
