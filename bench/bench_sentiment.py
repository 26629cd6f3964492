"""Offline Persian sentiment: throughput, quality on the held-out test split, emotional-arc latency.

Throughput is one Python thread (one core) over the 466 evaluation texts, repeated; both wall-clock
and CPU time are reported, because a busy machine inflates wall-clock. Quality is measured on the
``test`` split of ``tests/data/sentiment_fa.jsonl`` (the lexicon was tuned on ``dev`` only). Arc
latency is ``compute_arc`` over a synthetic 2,000-event history.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ai.coaching import ArcEvent, compute_arc
from ai.sentiment import EMOTIONS, LexiconSentimentAnalyzer
from ai.sentiment.evaluate import evaluate, load_items

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "sentiment_fa.jsonl"
PASSES = 5
ARC_EVENTS = 2000
ARC_RUNS = 40


def _pct(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))]


def _throughput(analyzer: LexiconSentimentAnalyzer, texts: list[str]) -> tuple[float, float]:
    analyzer.analyze_many(texts)  # warm caches
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(PASSES):
        w, c = time.perf_counter(), time.process_time()
        analyzer.analyze_many(texts)
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return len(texts) / statistics.median(wall), len(texts) / statistics.median(cpu)


def _history(n: int, seed: int = 2026) -> list[ArcEvent]:
    """A representative's year: mostly interactions, some tickets, payments and outages."""
    rng = random.Random(seed)
    t = datetime(2025, 1, 1, 5, 0, tzinfo=UTC)
    events: list[ArcEvent] = []
    mood = 0.3
    for i in range(n):
        t += timedelta(minutes=rng.uniform(5, 480))
        roll = rng.random()
        if roll < 0.05:
            events.append(ArcEvent(f"out-{i}", t, "outage", topic=rng.choice(["MCI", "Irancell", "TCI"])))
            mood -= 0.3
        elif roll < 0.12:
            category = rng.choice(["billing", "panel", "config", "speed"])
            events.append(ArcEvent(f"tk-{i}", t, "ticket", ticket_category=category))
        elif roll < 0.17:
            events.append(ArcEvent(f"pay-{i}", t, "payment", topic=rng.choice(["paid", "paid", "failed"])))
        else:
            mood = max(-1.0, min(1.0, mood * 0.9 + rng.gauss(0.03, 0.2)))
            events.append(
                ArcEvent(
                    f"int-{i}",
                    t,
                    "interaction",
                    score=mood,
                    channel=rng.choice(["voice", "text", "text"]),
                    text_length=rng.randint(8, 600),
                    direction=rng.choice(["inbound", "inbound", "outbound"]),
                    formal=rng.random() < 0.75,
                )
            )
    return events


def _arc_latency() -> tuple[list[float], list[float]]:
    events = _history(ARC_EVENTS)
    compute_arc(events)
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(ARC_RUNS):
        w, c = time.perf_counter(), time.process_time()
        compute_arc(events)
        wall.append((time.perf_counter() - w) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return wall, cpu


def run() -> list[dict[str, Any]]:
    analyzer = LexiconSentimentAnalyzer()
    items = load_items(DATA)
    wall_rate, cpu_rate = _throughput(analyzer, [i.text for i in items] * 4)
    test = evaluate(analyzer, [i for i in items if i.split == "test"])
    dev = evaluate(analyzer, [i for i in items if i.split == "dev"])
    wall, cpu = _arc_latency()
    rows: list[dict[str, Any]] = [
        {"metric": "throughput, texts/s (wall, 1 thread)", "value": round(wall_rate), "target": ">= 2000"},
        {"metric": "throughput, texts/s (CPU time)", "value": round(cpu_rate), "target": ">= 2000"},
        {"metric": f"test macro-F1 (n={test.n})", "value": test.macro_f1, "target": ">= 0.80"},
        {"metric": f"test hard macro-F1 (n={test.hard_n})", "value": test.hard_macro_f1, "target": ">= 0.70"},
        {"metric": "test accuracy", "value": test.accuracy, "target": ""},
        {"metric": "test emotion macro-F1", "value": test.emotion_macro_f1, "target": ""},
    ]
    for emotion in EMOTIONS:
        score = test.per_emotion.get(emotion)
        if score is not None:
            rows.append(
                {
                    "metric": f"  emotion F1 {emotion} (support {score.support})",
                    "value": score.f1,
                    "target": "",
                }
            )
    signals = [score.f1 for score in test.per_signal.values() if score.support]
    rows.append(
        {
            "metric": "test signal macro-F1 (signals in gold)",
            "value": round(statistics.fmean(signals), 4),
            "target": "",
        }
    )
    rows += [
        {"metric": "dev macro-F1 (tuned on; for reference)", "value": dev.macro_f1, "target": ""},
        {"metric": "dev hard macro-F1", "value": dev.hard_macro_f1, "target": ""},
        {
            "metric": f"arc {ARC_EVENTS} events p50 ms (wall)",
            "value": round(statistics.median(wall), 1),
            "target": "",
        },
        {
            "metric": f"arc {ARC_EVENTS} events p95 ms (wall)",
            "value": round(_pct(wall, 95), 1),
            "target": "< 100",
        },
        {
            "metric": f"arc {ARC_EVENTS} events p50 ms (CPU)",
            "value": round(statistics.median(cpu), 1),
            "target": "",
        },
        {
            "metric": f"arc {ARC_EVENTS} events p95 ms (CPU)",
            "value": round(_pct(cpu, 95), 1),
            "target": "< 100",
        },
    ]
    return rows


if __name__ == "__main__":
    from bench.support import print_table

    print_table((__doc__ or "bench_sentiment").strip().splitlines()[0], run())
