"""Emotional arc: the service for a representative with 2,000 interactions, and the chart rendering

The database holds 1,000 other representatives with 100 interactions each (100,000 rows, interleaved
in time), so the queries must use their indexes. The target representative has 2,000 scored
interactions over the last year (some reporting outages), 60 tickets and 24 payments. Each
``emotional_arc.view`` runs in a fresh unit of work, as the bot runs it, audit row and commit included.
Wall-clock and CPU time of this process are both reported (the database server's CPU is not in the
latter); the machine is shared, so wall-clock moves with its load. The views are measured twice: with
the default garbage collector, and after ``gc.freeze()`` of the start-up heap (what a long-running
bot process should do), because a full collection of the imported modules' objects dominates the
default p95. The chart is the bot's picture of
that arc (2,000 points), rendered with the Agg backend; ``python -m bench.bench_arc_chart OUT.png``
also writes it out for a look.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from ai.charts import ArcChart, ChartMarker, render_arc_png
from ai.coaching import compute_arc
from bench.support import percentile, scratch_database
from bot.routers.arc import chart_labels, chart_points, summary_lines
from bot.texts import Texts
from crm.db import UnitOfWork, create_engine, create_session_factory
from crm.schemas.sentiment import ArcView
from crm.schemas.types import Actor
from crm.services import emotional_arc

TARGET_INTERACTIONS = 2_000
OTHER_REPS = 1_000
OTHER_INTERACTIONS = 100
VIEW_RUNS = 60
CHART_RUNS = 12
TARGET_P95_MS = 100.0

SETUP = (
    "SELECT setseed(0.2026)",
    "INSERT INTO crt_agent (telegram_user_id, full_name, role) VALUES (5000001, 'کارشناس', 'agent')",
    f"""INSERT INTO representative (code, full_name, name_key, name_trigrams, status)
        SELECT 'REP-' || lpad(g::text, 5, '0'), 'نماینده ' || g, 'نماینده ' || g, ARRAY['نما'], 'active'
        FROM generate_series(0, {OTHER_REPS}) g""",
    # Everyone else's history first, interleaved with the target's below only by time.
    f"""INSERT INTO interaction (representative_id, channel, direction, occurred_at, body, sentiment_label,
                                 sentiment_score, sentiment_confidence, emotions, signals, sentiment_engine,
                                 source, idempotency_key)
        SELECT r.id, 'telegram', 'inbound', now() - random() * interval '365 days', 'پیام ' || g,
               'neutral', 0, 0.4, '{{}}'::jsonb, '[]'::jsonb, 'offline-lexicon-v1', 'bench', 'o-' || g
        FROM generate_series(1, {OTHER_REPS * OTHER_INTERACTIONS}) g
        JOIN representative r ON r.code = 'REP-' || lpad((1 + g % {OTHER_REPS})::text, 5, '0')""",
    # The target: a mood that swings over the year, a few outage reports, some replies of ours.
    f"""INSERT INTO interaction (representative_id, channel, direction, occurred_at, body, sentiment_label,
                                 sentiment_score, sentiment_confidence, emotions, signals, sentiment_engine,
                                 source, idempotency_key)
        SELECT t.id, (ARRAY['telegram', 'voice_note', 'call'])[1 + g % 3],
               CASE WHEN g % 4 = 0 THEN 'outbound' ELSE 'inbound' END,
               now() - interval '365 days' + g * interval '365 days' / {TARGET_INTERACTIONS},
               CASE WHEN g % 2 = 0 THEN 'شما لطف دارید، ممنون' ELSE 'باز قطع شد، داداش یه کاری بکن' END,
               CASE WHEN s.v >= 0.2 THEN 'positive' WHEN s.v <= -0.2 THEN 'negative' ELSE 'neutral' END,
               round(s.v::numeric, 3), 0.7, '{{}}'::jsonb,
               CASE WHEN g % 37 = 0 THEN '["outage_report"]'::jsonb
                    WHEN g % 53 = 0 THEN '["price_complaint"]'::jsonb ELSE '[]'::jsonb END,
               'offline-lexicon-v1', 'bench', 't-' || g
        FROM generate_series(1, {TARGET_INTERACTIONS}) g
        CROSS JOIN (SELECT id FROM representative WHERE code = 'REP-00000') t
        CROSS JOIN LATERAL (
            SELECT greatest(-1, least(1, 0.5 * cos(g / 160.0) + (random() - 0.5) * 0.8)) AS v
        ) s""",
    """INSERT INTO ticket (representative_id, category, priority, status, subject, opened_at, sla_due_at)
       SELECT t.id, (ARRAY['connectivity', 'billing', 'panel', 'setup'])[1 + g % 4], 'normal', 'open',
              'تیکت ' || g, now() - g * interval '6 days', now() - g * interval '6 days' + interval '2 days'
       FROM generate_series(1, 60) g CROSS JOIN (SELECT id FROM representative WHERE code = 'REP-00000') t""",
    """INSERT INTO payment (reference, representative_id, amount_toman, paid_at)
       SELECT 'PAY-' || g, t.id, 1500000, now() - g * interval '15 days'
       FROM generate_series(1, 24) g CROSS JOIN (SELECT id FROM representative WHERE code = 'REP-00000') t""",
    "ANALYZE",
)


def _ms(samples: list[float]) -> tuple[float, float]:
    ms = [s * 1000 for s in samples]
    return round(statistics.median(ms), 1), round(percentile(ms, 95), 1)


async def _views(
    factory: Any, rep_id: int, actor: Actor, runs: int
) -> tuple[list[float], list[float], ArcView]:
    wall: list[float] = []
    cpu: list[float] = []
    view: ArcView | None = None
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        async with UnitOfWork(factory) as uow:
            view = await emotional_arc.view(uow, rep_id, actor)
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    assert view is not None
    return wall, cpu, view


async def _measure(url: str) -> tuple[dict[str, tuple[list[float], list[float]]], ArcView]:
    engine = create_engine(url, pool_size=2)
    try:
        async with engine.begin() as conn:
            for statement in SETUP:
                await conn.execute(text(statement))
            rep_id = int(
                (
                    await conn.execute(text("SELECT id FROM representative WHERE code = 'REP-00000'"))
                ).scalar_one()
            )
            agent_id = int((await conn.execute(text("SELECT id FROM crt_agent"))).scalar_one())
        factory = create_session_factory(engine)
        actor = Actor.agent(agent_id)
        await _views(factory, rep_id, actor, 5)  # warm: pool, statement cache, lexicon
        wall, cpu, view = await _views(factory, rep_id, actor, VIEW_RUNS)
        # A long-running process should freeze its start-up heap (aiogram, SQLAlchemy, matplotlib…):
        # otherwise every few views a full collection re-scans ~300,000 import-time objects.
        gc.collect()
        gc.freeze()
        try:
            frozen_wall, frozen_cpu, _ = await _views(factory, rep_id, actor, VIEW_RUNS)
        finally:
            gc.unfreeze()
        async with UnitOfWork(factory) as uow:
            events, _ = await emotional_arc._events(
                uow, rep_id, dt.datetime.now(dt.UTC) - dt.timedelta(days=365)
            )
        compute_wall: list[float] = []
        compute_cpu: list[float] = []
        for _ in range(20):
            w, c = time.perf_counter(), time.process_time()
            compute_arc(events)
            compute_wall.append(time.perf_counter() - w)
            compute_cpu.append(time.process_time() - c)
        return {
            "default": (wall, cpu),
            "frozen": (frozen_wall, frozen_cpu),
            "compute": (compute_wall, compute_cpu),
        }, view
    finally:
        await engine.dispose()


def _chart(view: ArcView) -> tuple[list[float], list[float], bytes]:
    arc = view.arc
    assert arc is not None
    texts = Texts("fa")
    lines = summary_lines(arc, texts)
    chart = ArcChart(
        points=chart_points(arc),
        markers=[ChartMarker(m.at, m.kind) for m in arc.markers],
        labels=chart_labels(view, texts, lines),
        now=view.generated_at,
    )
    png = render_arc_png(chart)  # warm: fonts, glyph caches
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(CHART_RUNS):
        w, c = time.perf_counter(), time.process_time()
        png = render_arc_png(chart)
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return wall, cpu, png


async def _bench(out: Path | None) -> list[dict[str, Any]]:
    async with scratch_database("arc") as url:
        samples, view = await _measure(url)
    chart_wall, chart_cpu, png = _chart(view)
    if out is not None:
        await asyncio.to_thread(out.write_bytes, png)
    arc = view.arc
    assert arc is not None
    n = f"{len(arc.series):,}"
    load = os.getloadavg()[0]
    rows: list[dict[str, Any]] = []
    for what, (w, c), target in (
        (f"arc service, {n} interactions, default GC", samples["default"], f"p95 < {TARGET_P95_MS:.0f} ms"),
        (
            f"arc service, {n} interactions, gc.freeze() at start-up",
            samples["frozen"],
            f"p95 < {TARGET_P95_MS:.0f} ms",
        ),
        ("  of which compute_arc alone", samples["compute"], ""),
        (f"chart PNG, {n} points ({len(png) // 1024} KiB)", (chart_wall, chart_cpu), ""),
    ):
        wall_p50, wall_p95 = _ms(w)
        cpu_p50, cpu_p95 = _ms(c)
        rows.append(
            {
                "what": what,
                "runs": len(w),
                "wall p50 ms": wall_p50,
                "wall p95 ms": wall_p95,
                "CPU p50 ms": cpu_p50,
                "CPU p95 ms": cpu_p95,
                "target": target,
                "load avg": round(load, 1),
            }
        )
    return rows


def run(out: Path | None = None) -> list[dict[str, Any]]:
    return asyncio.run(_bench(out))


if __name__ == "__main__":
    from bench.support import print_table

    print_table(
        __doc__.splitlines()[0] if __doc__ else "arc", run(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
    )
