"""Opted out of profiling means no emotion is computed or stored about a representative, by any engine,
and their words never go to an external model for it; the polarity (how the service is going) stays.

Found by the probe: `sentiment backfill --engine llm` sent opted-out representatives' messages to the
model and stored emotions; logging an interaction stored offline emotions for them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, text

from ai.sentiment import SentimentResult
from crm.db import UnitOfWork
from crm.enums import Channel, Direction
from crm.models import AuditLog, Interaction
from crm.schemas.activity import InteractionCreate
from crm.schemas.people import RepresentativeUpdate
from crm.schemas.types import Actor
from crm.services import interactions, representatives, sentiment
from tests.factories import make_rep

T0 = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
ANGRY = "مشتریام دارن میرن، واقعا عصبانی‌ام از این قطعی‌ها!"


def _message(rep_id: int, key: str) -> InteractionCreate:
    return InteractionCreate(
        representative_id=rep_id,
        channel=Channel.TELEGRAM,
        direction=Direction.INBOUND,
        occurred_at=T0,
        body=ANGRY,
        source="test",
        idempotency_key=key,
    )


async def _row(uow: UnitOfWork, interaction_id: int) -> Any:
    return (
        await uow.session.execute(select(Interaction.__table__).where(Interaction.id == interaction_id))
    ).one()


async def test_logging_stores_no_emotion_for_someone_who_opted_out(uow: UnitOfWork) -> None:
    async with uow:
        rep = await make_rep(uow)
        await representatives.update(uow, rep.id, RepresentativeUpdate(profiling_opt_out=True), Actor.cli())
        item, _ = await interactions.log(uow, _message(rep.id, "m1"), Actor.cli())
        row = await _row(uow, item.id)
    assert row.sentiment_label == "negative"  # the polarity stays: how the service is going
    assert row.emotions is None
    assert "churn_signal" not in row.signals
    assert "outage_report" in row.signals  # a topic, not a feeling


async def test_the_backfill_never_sends_their_words_to_a_model(uow: UnitOfWork) -> None:
    seen: list[str] = []

    async def model(texts: Sequence[str]) -> list[SentimentResult]:
        seen.extend(texts)
        return [
            sentiment.offline_analyzer().analyze(t).model_copy(update={"engine": "some-llm"}) for t in texts
        ]

    async with uow:
        opted = await make_rep(uow, name="بدون پروفایل")
        other = await make_rep(uow, name="با پروفایل")
        await representatives.update(uow, opted.id, RepresentativeUpdate(profiling_opt_out=True), Actor.cli())
        ids = {}
        for rep, body in ((opted, "فقط برای بدون پروفایل: " + ANGRY), (other, ANGRY)):
            ids[rep.id] = await uow.session.scalar(
                text(
                    "INSERT INTO interaction (representative_id, channel, direction, occurred_at, body, source, "
                    "idempotency_key) VALUES (:rep, 'telegram', 'inbound', :at, :body, 'csv', :key) RETURNING id"
                ),
                {"rep": rep.id, "at": T0, "body": body, "key": f"csv-{rep.id}"},
            )
        await uow.commit()
        await sentiment.backfill(uow, model)
        opted_row, other_row = await _row(uow, ids[opted.id]), await _row(uow, ids[other.id])
    assert not [t for t in seen if "بدون پروفایل" in t]
    assert (opted_row.sentiment_engine, opted_row.emotions) == (sentiment.offline_analyzer().engine, None)
    assert opted_row.sentiment_label == "negative"
    assert other_row.sentiment_engine == "some-llm"
    assert other_row.emotions is not None


async def test_opting_out_forgets_what_was_stored(uow: UnitOfWork) -> None:
    async with uow:
        rep = await make_rep(uow)
        item, _ = await interactions.log(uow, _message(rep.id, "m1"), Actor.cli())
        assert (await _row(uow, item.id)).emotions is not None
        await representatives.update(uow, rep.id, RepresentativeUpdate(profiling_opt_out=True), Actor.cli())
        row = await _row(uow, item.id)
        audited = await uow.session.scalar(
            select(AuditLog.after).where(AuditLog.action == "profiling.opt_out")
        )
    assert row.emotions is None
    assert "churn_signal" not in row.signals
    assert row.sentiment_label == "negative"
    assert audited == {"interactions": 1}
