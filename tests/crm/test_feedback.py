"""The generic feedback service: one vote per agent and suggestion, reasons on 👎, comments, audit."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from crm.db import UnitOfWork
from crm.enums import FeedbackReason, SuggestionKind
from crm.errors import NotFound, ValidationFailed
from crm.models import AIFeedback, AISuggestion, AuditLog
from crm.services import feedback
from tests.factories import make_agent


async def suggestion(uow: UnitOfWork, kind: SuggestionKind = SuggestionKind.KB_ANSWER) -> int:
    row = AISuggestion(kind=kind.value, engine="offline", content={"answer": "…"})
    uow.session.add(row)
    await uow.session.flush()
    await uow.commit()
    return row.id


async def test_revote_updates_the_one_row(uow: UnitOfWork) -> None:
    async with uow:
        agent = await make_agent(uow)
        sid = await suggestion(uow)
        up = await feedback.vote(uow, sid, agent.id, feedback.UP)
        same = await feedback.vote(uow, sid, agent.id, feedback.UP)
        down = await feedback.vote(uow, sid, agent.id, feedback.DOWN)
        rows = await uow.session.scalar(select(func.count()).select_from(AIFeedback))
    assert up.id == same.id == down.id
    assert (up.rating, down.rating) == (1, -1)
    assert rows == 1


async def test_down_then_reason_then_comment(uow: UnitOfWork) -> None:
    async with uow:
        agent = await make_agent(uow)
        sid = await suggestion(uow, SuggestionKind.CALL_PREP)
        await feedback.vote(uow, sid, agent.id, feedback.DOWN)
        await feedback.set_reason(uow, sid, agent.id, FeedbackReason.WRONG_TONE)
        done = await feedback.set_comment(uow, sid, agent.id, "  لحنش برای این نماینده زیادی رسمی بود ")
        assert (done.rating, done.reason, done.comment) == (
            -1,
            FeedbackReason.WRONG_TONE,
            "لحنش برای این نماینده زیادی رسمی بود",
        )
        flipped = await feedback.vote(uow, sid, agent.id, feedback.UP)
        assert (flipped.reason, flipped.comment) == (None, None)  # they belonged to the 👎
        audited = await uow.session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.entity == "ai_suggestion", AuditLog.entity_id == str(sid))
        )
    assert audited == 4


async def test_reason_alone_records_the_down_vote(uow: UnitOfWork) -> None:
    async with uow:
        agent = await make_agent(uow)
        sid = await suggestion(uow)
        row = await feedback.set_reason(uow, sid, agent.id, FeedbackReason.OUTDATED)
    assert (row.rating, row.reason) == (-1, FeedbackReason.OUTDATED)


async def test_votes_are_per_agent_and_summarised(uow: UnitOfWork) -> None:
    async with uow:
        agents = [await make_agent(uow) for _ in range(3)]
        sid = await suggestion(uow)
        await feedback.vote(uow, sid, agents[0].id, feedback.UP)
        await feedback.set_reason(uow, sid, agents[1].id, FeedbackReason.TOO_LONG)
        await feedback.set_reason(uow, sid, agents[2].id, FeedbackReason.TOO_LONG)
        summary = await feedback.summary(uow, sid)
        mine = await feedback.get(uow, sid, agents[0].id)
        nobody = await feedback.get(uow, sid, 10**9)
    assert (summary.up, summary.down, summary.reasons) == (1, 2, {"too_long": 2})
    assert mine is not None
    assert mine.rating == 1
    assert nobody is None


async def test_bad_input_is_refused(uow: UnitOfWork) -> None:
    async with uow:
        agent = await make_agent(uow)
        sid = await suggestion(uow)
        with pytest.raises(NotFound):
            await feedback.vote(uow, 10**9, agent.id, feedback.UP)
        with pytest.raises(ValidationFailed):
            await feedback.vote(uow, sid, agent.id, 0)
        with pytest.raises(NotFound):
            await feedback.set_comment(uow, sid, agent.id, "بدون رأی")
        await feedback.vote(uow, sid, agent.id, feedback.UP)
        with pytest.raises(ValidationFailed):
            await feedback.set_reason(uow, sid, agent.id, FeedbackReason.INACCURATE)
        with pytest.raises(ValidationFailed):
            await feedback.set_comment(uow, sid, agent.id, "   ")
        with pytest.raises(ValidationFailed):
            await feedback.set_comment(uow, sid, agent.id, "x" * (feedback.MAX_COMMENT_CHARS + 1))
