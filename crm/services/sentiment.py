"""Sentiment on interactions: the columns written when one is logged, and the backfill of unscored rows.

Logging (:func:`crm.services.interactions.log`) scores the text with the offline engine inside its
transaction: deterministic, no network, about a millisecond. The text is the body (the
representative's message, a voice-note transcript) or, without one, the agent's summary. Messages
CRT sent (``crt_authored``) are never scored: only the representative's own words feed their
sentiment. Rows written around the service (CSV import, SQL) stay unscored until :func:`backfill`
reaches them; an interaction without any text stays unscored for good, and the backfill passes it by.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from functools import cache
from typing import Any, Final, cast

from sqlalchemy import Select, Table, bindparam, func, select, update
from sqlalchemy import text as sql

from ai.sentiment import LexiconSentimentAnalyzer, SentimentResult
from crm import audit
from crm.db import UnitOfWork
from crm.models import Interaction, Representative
from crm.schemas.sentiment import BackfillReport
from crm.schemas.types import Actor

BatchAnalyzer = Callable[[Sequence[str]], Awaitable[list[SentimentResult]]]
"""Analyse texts in order: an async engine's ``analyze_many`` or :func:`offline_batch`."""
Progress = Callable[[int, int], None]
"""Called after each batch with (rows done, rows pending)."""

DEFAULT_BATCH_SIZE: Final = 500
ENGINE_COLUMN_CHARS: Final = 64
# The representative's words without an analysis; text CRT sent is never scored (crt_authored).
_UNSCORED = Interaction.sentiment_label.is_(None) & ~Interaction.crt_authored


@cache
def offline_analyzer() -> LexiconSentimentAnalyzer:
    """The offline engine, built once (its lexicon is parsed on first use); stateless, thread-safe."""
    return LexiconSentimentAnalyzer()


def offline_batch() -> BatchAnalyzer:
    analyzer = offline_analyzer()

    async def analyze(texts: Sequence[str]) -> list[SentimentResult]:
        return analyzer.analyze_many(texts)

    return analyze


def text_of(body: str | None, summary: str | None) -> str | None:
    """What an interaction says: the body if it has one, else the summary, else nothing."""
    for text in (body, summary):
        if text is not None and text.strip():
            return text
    return None


FEELING_SIGNALS: Final = frozenset({"churn_signal", "praise_agent"})
"""Signals that read a person's feelings rather than a topic: never stored for someone who opted out."""


def columns(result: SentimentResult, *, profiling: bool = True) -> dict[str, Any]:
    """The interaction columns for one result (the score fits ``numeric(4, 3)``).

    A representative who opted out of profiling gets the polarity only (how the service is going,
    a business measure): no emotions and no feeling signals are stored, whatever the engine."""
    return {
        "sentiment_label": result.label,
        "sentiment_score": Decimal(str(round(result.score, 3))),
        "sentiment_confidence": result.confidence,
        "emotions": dict(result.emotions) if profiling else None,
        "signals": [s for s in result.signals if profiling or s not in FEELING_SIGNALS],
        "sentiment_engine": result.engine[:ENGINE_COLUMN_CHARS],
    }


def columns_for(body: str | None, summary: str | None, *, profiling: bool = True) -> dict[str, Any]:
    """Offline analysis columns for a new interaction; empty when it has no text."""
    text = text_of(body, summary)
    return {} if text is None else columns(offline_analyzer().analyze(text), profiling=profiling)


def unscored_count() -> Select[int]:
    """How many rows the backfill has left: counted on the partial index ix_interaction_unscored."""
    return select(func.count(Interaction.id)).where(_UNSCORED)


async def count_unscored(uow: UnitOfWork) -> int:
    return int(await uow.session.scalar(unscored_count()) or 0)


def unscored_after(cursor: int, limit: int) -> Select[int, str | None, str | None, bool]:
    """The next unscored rows after id ``cursor``, in id order (a range scan of ix_interaction_unscored),
    with whether their representative opted out of profiling."""
    return (
        select(Interaction.id, Interaction.body, Interaction.summary, Representative.profiling_opt_out)
        .join(Representative, Representative.id == Interaction.representative_id)
        .where(_UNSCORED, Interaction.id > cursor)
        .order_by(Interaction.id)
        .limit(limit)
    )


_TABLE = cast(Table, Interaction.__table__)
_STORE = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("b_id"), _TABLE.c.sentiment_label.is_(None), ~_TABLE.c.crt_authored)
    .values(
        sentiment_label=bindparam("b_label"),
        sentiment_score=bindparam("b_score"),
        sentiment_confidence=bindparam("b_confidence"),
        emotions=bindparam("b_emotions"),
        signals=bindparam("b_signals"),
        sentiment_engine=bindparam("b_engine"),
    )
)


async def backfill(
    uow: UnitOfWork,
    analyze: BatchAnalyzer | None = None,
    actor: Actor | None = None,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    limit: int | None = None,
    progress: Progress | None = None,
) -> BackfillReport:
    """Score every unscored interaction that has text, ``batch_size`` rows per transaction.

    Rows are walked in id order along the partial index ``ix_interaction_unscored``, so a run ends even
    though text-less rows stay unscored, and rerunning it finds nothing new (idempotent). Each batch is
    read and committed, analysed outside any transaction (an LLM engine may take seconds), then written
    in its own transaction; a row scored meanwhile by someone else is left as they wrote it.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    analyze = analyze or offline_batch()
    pending = await count_unscored(uow)
    if limit is not None:
        pending = min(pending, limit)
    report = {"scored": 0, "without_text": 0, "batches": 0}
    engines: dict[str, int] = {}
    cursor, done = 0, 0
    if progress is not None:
        progress(0, pending)
    while done < pending:
        rows = (await uow.session.execute(unscored_after(cursor, min(batch_size, pending - done)))).all()
        await uow.commit()  # end the read transaction before the (possibly slow) analysis
        if not rows:
            break
        cursor, done = rows[-1].id, done + len(rows)
        texts = [(row.id, text_of(row.body, row.summary), not row.profiling_opt_out) for row in rows]
        scored = [(row_id, text, profiling) for row_id, text, profiling in texts if text is not None]
        # Text of representatives who opted out of profiling never leaves for a model: the offline
        # engine gives them the polarity, and columns() stores no emotion for them.
        allowed = [(row_id, text) for row_id, text, profiling in scored if profiling]
        opted_out = [(row_id, text) for row_id, text, profiling in scored if not profiling]
        allowed_results = await analyze([t for _, t in allowed]) if allowed else []
        opted_out_results = offline_analyzer().analyze_many([t for _, t in opted_out])
        results = [
            *((row_id, r, True) for (row_id, _), r in zip(allowed, allowed_results, strict=True)),
            *((row_id, r, False) for (row_id, _), r in zip(opted_out, opted_out_results, strict=True)),
        ]
        if results:
            await uow.session.execute(
                _STORE, [_params(row_id, r, profiling=profiling) for row_id, r, profiling in results]
            )
            await uow.commit()
        for _, scored_result, _ in results:
            engines[scored_result.engine] = engines.get(scored_result.engine, 0) + 1
        report["scored"] += len(results)
        report["without_text"] += len(rows) - len(scored)
        report["batches"] += 1
        if progress is not None:
            progress(done, pending)
    summary = BackfillReport(pending=pending, engines=engines, **report)
    audit.record(
        uow.session, actor or Actor.system(), "sentiment.backfill", "interaction", None, after=summary
    )
    await uow.commit()
    return summary


def _params(row_id: int, result: SentimentResult, *, profiling: bool) -> dict[str, Any]:
    return {
        "b_id": row_id,
        **{
            f"b_{name.removeprefix('sentiment_')}": v
            for name, v in columns(result, profiling=profiling).items()
        },
    }


_FORGET_FEELINGS = sql(
    """
    UPDATE interaction SET
        emotions = NULL,
        signals = (
            SELECT coalesce(jsonb_agg(s), '[]'::jsonb) FROM jsonb_array_elements(signals) AS s
            WHERE s #>> '{}' <> ALL(CAST(:feelings AS text[]))
        )
    WHERE representative_id = :rep_id AND (emotions IS NOT NULL OR signals ?| CAST(:feelings AS text[]))
    """
)  # ix_interaction_representative_id_occurred_at (representative prefix)


async def forget_feelings(uow: UnitOfWork, rep_id: int) -> int:
    """A representative opted out of profiling: the emotions and feeling signals stored on their
    interactions go (the polarity stays). Returns how many rows changed; the caller commits."""
    result = await uow.session.execute(
        _FORGET_FEELINGS, {"rep_id": rep_id, "feelings": sorted(FEELING_SIGNALS)}
    )
    return int(getattr(result, "rowcount", 0) or 0)
