"""The emotional arc: smoothing, trend, turning points, trigger attribution and preferences."""

from __future__ import annotations

import random
import statistics
import time
from datetime import UTC, datetime, timedelta

import pytest

from ai.coaching import ArcConfig, ArcEvent, compute_arc, detect_register
from ai.coaching.arc import smooth, trend, turning_points

T0 = datetime(2025, 3, 1, 6, 30, tzinfo=UTC)  # 10:00 in Tehran


def _say(i: int, days: float, score: float, **kw: object) -> ArcEvent:
    return ArcEvent(f"i{i}", T0 + timedelta(days=days), "interaction", score=score, **kw)  # type: ignore[arg-type]


def test_declining_series_has_a_negative_trend() -> None:
    events = [_say(i, i * 2, 0.8 - i * 0.05) for i in range(30)]  # −0.75 per 30 days
    arc = compute_arc(events)
    assert arc.trend.direction == "declining"
    assert arc.trend.slope_per_30d == pytest.approx(-0.75, abs=0.01)
    assert arc.trend.n == 30
    assert arc.trend.evidence_ids[0] == "i0"
    assert arc.trend.evidence_ids[-1] == "i29"
    assert arc.current is not None
    assert arc.current < arc.series[0].smoothed


def test_trend_sign_and_stability() -> None:
    rising = compute_arc([_say(i, i, -0.5 + i * 0.03) for i in range(20)])
    assert rising.trend.direction == "improving"
    assert rising.trend.slope_per_30d > 0
    flat = compute_arc([_say(i, i, 0.3) for i in range(20)])
    assert flat.trend.direction == "stable"
    assert compute_arc([_say(0, 0, 0.3), _say(1, 1, 0.1)]).trend.direction == "unknown"
    # only the window counts: an old crash does not make a recent recovery look like a decline
    old = [_say(i, i, -0.9) for i in range(5)]
    recent = [_say(100 + i, 200 + i, 0.1 + i * 0.02) for i in range(20)]
    assert trend(smooth(old + recent), 90, 0.05).direction == "improving"


def test_smoothing_is_time_aware() -> None:
    burst = smooth([_say(0, 0, 1.0), _say(1, 0.0001, -1.0)], half_life_days=7)
    assert burst[-1].smoothed == pytest.approx(0.0, abs=0.01)  # two messages a second apart: their mean
    later = smooth([_say(0, 0, 1.0), _say(1, 70, -1.0)], half_life_days=7)
    assert later[-1].smoothed < -0.99  # ten half-lives later the old mood has faded
    week = smooth([_say(0, 0, 1.0), _say(1, 7, -1.0)], half_life_days=7)
    assert week[-1].smoothed == pytest.approx((0.5 - 1) / 1.5, abs=1e-6)
    unsorted = smooth([_say(1, 7, -1.0), _say(0, 0, 1.0)], half_life_days=7)
    assert [p.event_id for p in unsorted] == ["i0", "i1"]


def test_turning_points_are_found_where_the_mood_turned() -> None:
    scores = [0.0, 0.3, 0.6, 0.8, 0.9, 0.4, -0.1, -0.5, -0.6, -0.2, 0.3, 0.6]
    events = [_say(i, i * 7, s) for i, s in enumerate(scores)]  # a week apart: little carry-over
    points = smooth(events, half_life_days=2)
    turns = turning_points(points, threshold=0.3)
    assert [(t.kind, t.event_id) for t in turns] == [("peak", "i4"), ("trough", "i8")]
    assert [t.confirmed_by for t in turns] == ["i5", "i9"]
    assert turns[0].reversal >= 0.3
    # a monotone series, or noise below the threshold, has none
    assert turning_points(smooth([_say(i, i * 7, -0.1 * i) for i in range(8)], 2), 0.3) == []
    wobble = [_say(i, i * 7, 0.1 * (-1) ** i) for i in range(10)]
    assert turning_points(smooth(wobble, 2), 0.3) == []


def _scenario(seed: int = 3) -> list[ArcEvent]:
    """Failed payments are followed by angry calls; panel tickets and paid invoices are noise."""
    rng = random.Random(seed)
    events: list[ArcEvent] = []
    t = T0
    for i in range(120):
        t += timedelta(hours=rng.uniform(20, 40))
        roll = rng.random()
        if roll < 0.15:
            events.append(ArcEvent(f"pay-fail-{i}", t, "payment", topic="failed"))
            events.append(_say(i, (t - T0).total_seconds() / 86400 + 0.1, -0.7))
        elif roll < 0.3:
            events.append(ArcEvent(f"tk-{i}", t, "ticket", ticket_category="panel"))
            events.append(_say(i, (t - T0).total_seconds() / 86400 + 0.1, rng.uniform(0.3, 0.7)))
        elif roll < 0.4:
            events.append(ArcEvent(f"pay-ok-{i}", t, "payment", topic="paid"))
        else:
            events.append(_say(i, (t - T0).total_seconds() / 86400, rng.uniform(0.2, 0.8)))
    return events


def test_triggers_attribute_negative_shifts_to_what_preceded_them() -> None:
    events = _scenario()
    arc = compute_arc(events, ArcConfig(lookback_hours=12))
    failures = {e.id for e in events if e.topic == "failed"}
    assert arc.negative_shifts
    top = arc.triggers[0]
    assert top.key == "payment:failed"
    assert top.lift > 2
    assert set(top.evidence_ids) <= failures
    assert top.count == len(top.shift_ids) == len(arc.negative_shifts)
    assert top.share == 1.0
    shift_ids = {s.event_id for s in arc.negative_shifts}
    assert set(top.shift_ids) == shift_ids
    for shift in arc.negative_shifts:
        assert shift.preceded_by
        assert set(shift.preceded_by) <= failures
    panel = [t for t in arc.triggers if t.key == "ticket:panel"]
    assert not panel or panel[0].lift < 1  # tickets came before good moods, not bad ones


def test_satisfaction_moments_carry_what_came_before() -> None:
    events = [
        _say(0, 0, -0.6),
        ArcEvent("tk-1", T0 + timedelta(days=1), "ticket", ticket_category="config"),
        _say(1, 1.2, 0.8),
        _say(2, 3, 0.1),
    ]
    arc = compute_arc(events)
    assert [m.event_id for m in arc.satisfaction_moments] == ["i1"]
    assert arc.satisfaction_moments[0].preceded_by == ("tk-1",)
    assert "tk-1" in arc.evidence_ids


def test_preferences_from_evidence() -> None:
    events: list[ArcEvent] = []
    for d in range(10):
        day = T0 + timedelta(days=d)
        events.append(ArcEvent(f"out-{d}", day, "interaction", direction="outbound", channel="text"))
        events.append(
            ArcEvent(
                f"in-{d}",
                day + timedelta(minutes=30 + d),  # replies 30…39 minutes later
                "interaction",
                score=0.2,
                channel="voice" if d < 7 else "text",
                text_length=40 + d,
                formal=d != 0,
            )
        )
    prefs = compute_arc(events).preferences
    assert prefs.channel.preferred == "voice"
    assert prefs.channel.shares == {"voice": 0.7, "text": 0.3}
    assert set(prefs.channel.evidence_ids) == {f"in-{d}" for d in range(7)}
    assert prefs.length.median_chars == 48  # text messages only: 47, 48, 49
    assert prefs.length.style == "short"
    assert prefs.register.preferred == "formal"
    assert prefs.register.formal_share == 0.9
    assert prefs.response_time.median_minutes == pytest.approx(34.5)
    assert prefs.response_time.n == 10
    assert prefs.response_time.evidence_ids[0] == ("out-0", "in-0")
    hours = prefs.active_hours
    assert hours.histogram == {10: 10}  # 06:30–06:39 UTC is 10:00–10:09 in Tehran
    assert hours.best_window is not None
    assert 10 in {hours.best_window[0] % 24, (hours.best_window[0] + 1) % 24, (hours.best_window[0] + 2) % 24}
    assert hours.window_share == 1.0


def test_no_events_and_naive_datetimes() -> None:
    empty = compute_arc([])
    assert empty.series == ()
    assert empty.current is None
    assert empty.trend.direction == "unknown"
    assert empty.preferences.channel.preferred is None
    naive = ArcEvent("n", datetime(2025, 1, 1, 12, 0), "interaction", score=0.5)  # noqa: DTZ001
    aware = ArcEvent("a", datetime(2025, 1, 1, 12, 0, tzinfo=UTC), "interaction", score=0.5)
    assert compute_arc([naive]).series[0].at == compute_arc([aware]).series[0].at


@pytest.mark.parametrize(
    ("text", "register"),
    [
        ("سلام، لطفاً فاکتور رو برام بفرستید", "formal"),
        ("جنابعالی کی تشریف میارید؟", "formal"),
        ("ممنون از پیگیری‌تون", "formal"),
        ("داداش دمت گرم", "informal"),
        ("بهت گفتم که قطعه، چرا درستش نمی‌کنی؟", "informal"),
        ("تو پنل مشکل هست", "unknown"),  # «تو» here is «in», not «you»
        ("سرور آلمان قطعه", "unknown"),
    ],
)
def test_detect_register(text: str, register: str) -> None:
    assert detect_register(text) == register


def _history(n: int, seed: int = 11) -> list[ArcEvent]:
    rng = random.Random(seed)
    kinds = ["interaction"] * 7 + ["ticket", "payment", "outage"]
    t = T0
    out: list[ArcEvent] = []
    for i in range(n):
        t += timedelta(minutes=rng.uniform(10, 600))
        kind = rng.choice(kinds)
        out.append(
            ArcEvent(
                f"e{i}",
                t,
                kind,  # type: ignore[arg-type]
                score=rng.uniform(-1, 1) if kind == "interaction" else None,
                channel=rng.choice(["voice", "text"]),
                text_length=rng.randint(5, 400),
                direction=rng.choice(["inbound", "outbound"]),
                ticket_category=rng.choice(["billing", "panel"]) if kind == "ticket" else None,
                formal=rng.random() < 0.7,
                topic=rng.choice(["failed", "paid", None]) if kind == "payment" else None,
            )
        )
    return out


def test_two_thousand_events_under_100ms_p95() -> None:
    """CPU time, so that other processes on a busy CI machine do not make the test flaky."""
    events = _history(2000)
    compute_arc(events)  # warm-up
    samples = []
    for _ in range(20):
        started = time.process_time()
        compute_arc(events)
        samples.append(time.process_time() - started)
    p95 = sorted(samples)[int(0.95 * len(samples)) - 1]
    assert p95 < 0.100, f"p95 {p95 * 1000:.1f} ms, median {statistics.median(samples) * 1000:.1f} ms"
