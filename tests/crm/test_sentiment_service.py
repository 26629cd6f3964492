"""Sentiment stored on every logged interaction, and the backfill of rows written around the service."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError

from ai.sentiment import ENGINE, SentimentResult
from crm.db import UnitOfWork
from crm.enums import Channel, Direction
from crm.models import AuditLog, Interaction
from crm.schemas.activity import InteractionCreate
from crm.schemas.types import Actor
from crm.services import interactions, sentiment
from tests.factories import make_rep

COMPLAINT = "سه روزه کانفیگ‌ها روی ایرانسل قطعه، واقعا خسته شدم"
THANKS = "دستتون درد نکنه، سرعت عالیه"
T0 = dt.datetime(2025, 3, 1, 6, 30, tzinfo=dt.UTC)


def _create(
    rep_id: int, key: str, *, body: str | None = None, summary: str | None = None
) -> InteractionCreate:
    return InteractionCreate(
        representative_id=rep_id,
        channel=Channel.TELEGRAM,
        direction=Direction.INBOUND,
        occurred_at=T0,
        body=body,
        summary=summary,
        source="test",
        idempotency_key=key,
    )


async def _row(uow: UnitOfWork, interaction_id: int) -> Any:
    return (
        await uow.session.execute(select(Interaction.__table__).where(Interaction.id == interaction_id))
    ).one()


async def test_logging_stores_the_analysis_in_the_row(uow: UnitOfWork) -> None:
    async with uow:
        rep = await make_rep(uow)
        item, created = await interactions.log(uow, _create(rep.id, "k1", body=COMPLAINT), Actor.cli())
        row = await _row(uow, item.id)

    assert created
    assert (row.sentiment_label, row.sentiment_engine) == ("negative", ENGINE)
    assert Decimal(-1) <= row.sentiment_score < Decimal("-0.5")
    assert 0.5 < row.sentiment_confidence <= 1.0
    assert set(row.emotions) == {
        "satisfaction", "gratitude", "frustration", "anger", "anxiety", "confusion", "urgency", "disappointment",
    }  # fmt: skip
    assert row.emotions["frustration"] > 0.5
    assert "outage_report" in row.signals
    assert item.sentiment_label == "negative"  # the DTO returned by log() carries it too


async def test_summary_is_scored_when_there_is_no_body_and_no_text_means_no_score(uow: UnitOfWork) -> None:
    async with uow:
        rep = await make_rep(uow)
        noted, _ = await interactions.log(uow, _create(rep.id, "k1", summary=THANKS), Actor.cli())
        silent, _ = await interactions.log(uow, _create(rep.id, "k2"), Actor.cli())
        blank, _ = await interactions.log(uow, _create(rep.id, "k3", body="   ", summary=THANKS), Actor.cli())
        rows = [await _row(uow, i.id) for i in (noted, silent, blank)]

    assert rows[0].sentiment_label == "positive"
    assert rows[0].sentiment_score > 0
    assert (rows[1].sentiment_label, rows[1].sentiment_score, rows[1].emotions, rows[1].sentiment_engine) == (
        None, None, None, None,
    )  # fmt: skip
    assert rows[2].sentiment_label == "positive"  # a blank body falls back to the summary


async def _insert_unscored(uow: UnitOfWork, rep_id: int, texts: Sequence[str | None]) -> list[int]:
    """Rows as a CSV import writes them: straight SQL, no analysis."""
    ids = []
    for n, body in enumerate(texts):
        ids.append(
            await uow.session.scalar(
                text(
                    "INSERT INTO interaction (representative_id, channel, direction, occurred_at, body, "
                    "source, idempotency_key) VALUES (:rep, 'call', 'inbound', :at, :body, 'sql', :key) "
                    "RETURNING id"
                ),
                {"rep": rep_id, "at": T0 + dt.timedelta(hours=n), "body": body, "key": f"raw-{n}"},
            )
        )
    await uow.commit()
    return ids


async def test_backfill_scores_unscored_rows_in_batches_and_is_idempotent(uow: UnitOfWork) -> None:
    texts = [COMPLAINT, THANKS, None, "فاکتور این ماه رو کی می‌فرستید؟", COMPLAINT, THANKS, None]
    seen: list[tuple[int, int]] = []
    async with uow:
        rep = await make_rep(uow)
        ids = await _insert_unscored(uow, rep.id, texts)
        assert await sentiment.count_unscored(uow) == len(texts)

        report = await sentiment.backfill(
            uow, batch_size=3, progress=lambda done, total: seen.append((done, total))
        )
        labels = {i: (await _row(uow, i)).sentiment_label for i in ids}
        scores_before = [(await _row(uow, i)).sentiment_score for i in ids]
        again = await sentiment.backfill(uow, batch_size=3)
        scores_after = [(await _row(uow, i)).sentiment_score for i in ids]
        audits = list(
            await uow.session.scalars(select(AuditLog.after).where(AuditLog.action == "sentiment.backfill"))
        )

    assert (report.pending, report.scored, report.without_text, report.batches) == (7, 5, 2, 3)
    assert report.engines == {ENGINE: 5}
    assert seen == [(0, 7), (3, 7), (6, 7), (7, 7)]
    assert [labels[i] for i in ids] == ["negative", "positive", None, "neutral", "negative", "positive", None]
    # The second run only meets the two rows without text, scores nothing and changes nothing.
    assert (again.pending, again.scored, again.without_text) == (2, 0, 2)
    assert scores_after == scores_before
    assert [a["scored"] for a in audits] == [5, 0]


async def test_backfill_limit_and_a_custom_engine(uow: UnitOfWork) -> None:
    calls: list[int] = []

    async def fake(texts: Sequence[str]) -> list[SentimentResult]:
        calls.append(len(texts))
        return [
            sentiment.offline_analyzer().analyze(t).model_copy(update={"engine": "fake-llm"}) for t in texts
        ]

    async with uow:
        rep = await make_rep(uow)
        ids = await _insert_unscored(uow, rep.id, [COMPLAINT] * 5)
        report = await sentiment.backfill(uow, fake, batch_size=2, limit=3)
        engines = [(await _row(uow, i)).sentiment_engine for i in ids]

    assert (report.pending, report.scored, report.engines) == (3, 3, {"fake-llm": 3})
    assert calls == [2, 1]
    assert engines == ["fake-llm"] * 3 + [None] * 2  # walked in id order


async def _plan(uow: UnitOfWork, statement: Any) -> str:
    sql = statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    return "\n".join(str(line) for line in await uow.session.scalars(text(f"EXPLAIN {sql}")))


async def test_backfill_reads_unscored_rows_through_the_partial_index(uow: UnitOfWork) -> None:
    async with uow:
        await uow.session.execute(text("SET LOCAL enable_seqscan = off"))
        batch = await _plan(uow, sentiment.unscored_after(0, 500))
        counted = await _plan(uow, sentiment.unscored_count())
    assert "ix_interaction_unscored" in batch
    assert "ix_interaction_unscored" in counted


async def test_backfill_rejects_a_silly_batch_size(uow: UnitOfWork) -> None:
    async with uow:
        with pytest.raises(ValueError, match="batch_size"):
            await sentiment.backfill(uow, batch_size=0)
        assert await uow.session.scalar(select(func.count(AuditLog.id))) == 0


APOLOGY = "واقعاً متأسفیم و بابت قطعی ناراحت‌کنندهٔ دیشب عذرخواهی می‌کنیم؛ مشکل کامل حل شده است."


async def test_text_crt_sent_is_never_scored_as_the_representatives_emotion(uow: UnitOfWork) -> None:
    """An outbound /draft apology was scored −0.87 and turned the rep's arc negative."""
    async with uow:
        rep = await make_rep(uow)
        sent = _create(rep.id, "ours", body=APOLOGY).model_copy(
            update={"direction": Direction.OUTBOUND, "crt_authored": True}
        )
        ours, _ = await interactions.log(uow, sent, Actor.cli())
        theirs, _ = await interactions.log(uow, _create(rep.id, "theirs", body=APOLOGY), Actor.cli())
        assert await sentiment.count_unscored(uow) == 0  # the backfill does not see ours either
        report = await sentiment.backfill(uow)
        ours_row, theirs_row = await _row(uow, ours.id), await _row(uow, theirs.id)

    assert sentiment.offline_analyzer().analyze(APOLOGY).label == "negative"  # the text itself reads sad
    assert (ours_row.sentiment_label, ours_row.emotions, ours_row.signals) == (None, None, None)
    assert theirs_row.sentiment_label == "negative"  # the same words from the rep do count
    assert report.scored == 0


async def test_the_database_refuses_a_score_on_crt_text(uow: UnitOfWork) -> None:
    async with uow:
        rep = await make_rep(uow)
        with pytest.raises(IntegrityError, match="crt_authored_unscored"):
            await uow.session.execute(
                text(
                    "INSERT INTO interaction (representative_id, channel, direction, occurred_at, body, "
                    "crt_authored, sentiment_label, sentiment_score, source, idempotency_key) "
                    "VALUES (:rep, 'telegram', 'outbound', :at, 'x', true, 'negative', -0.8, 'sql', 'k')"
                ),
                {"rep": rep.id, "at": T0},
            )
