"""The emotional arc of one representative: how sentiment moved over time, and what moved it.

Input is a list of dated events (interactions with a sentiment score, tickets, payments, outages);
output is a smoothed series, a trend, turning points, what tends to precede negative shifts,
satisfaction moments and communication preferences. Every finding carries the ids of the events it
rests on, so call prep can cite them. Pure functions: no I/O, no clock (``now`` is a parameter).

Smoothing is a time-aware EWMA: an event's weight halves every ``half_life_days``, so two messages
a minute apart count as nearly one observation and a month-old mood fades. It is the normalised form
(running weighted mean), so the first event is not pulled toward an arbitrary prior.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from ai.coaching.preferences import CommunicationPreferences, preferences

EventKind = Literal["interaction", "ticket", "payment", "outage"]
Direction = Literal["inbound", "outbound"]  # inbound = from the representative


@dataclass(frozen=True, slots=True)
class ArcEvent:
    id: str
    at: datetime  # timezone-aware (naive values are taken as UTC)
    kind: EventKind
    score: float | None = None  # sentiment in [-1, 1]; None when not scored
    channel: str = "text"  # "voice", "text", "call", …
    text_length: int = 0
    direction: Direction = "inbound"
    ticket_category: str | None = None
    formal: bool | None = None  # the «شما» register was used (see preferences.detect_register)
    topic: str | None = None  # payment status, outage region, interaction topic…


@dataclass(frozen=True, slots=True)
class ArcConfig:
    half_life_days: float = 7.0
    trend_window_days: float = 90.0
    turning_threshold: float = 0.25  # a reversal of the smoothed score this large is a turning point
    negative_score: float = -0.2  # a shift must reach at least this low …
    shift_drop: float = 0.3  # … and fall this far below the smoothed mood before it
    lookback_hours: float = 72.0  # what counts as «preceding» a shift or a satisfaction moment
    satisfied_score: float = 0.5
    stable_slope: float = 0.05  # |slope per 30 days| below this is «stable»


@dataclass(frozen=True, slots=True)
class ArcPoint:
    event_id: str
    at: datetime
    score: float
    smoothed: float


@dataclass(frozen=True, slots=True)
class Trend:
    slope_per_30d: float
    direction: Literal["improving", "declining", "stable", "unknown"]
    n: int
    evidence_ids: tuple[str, ...]  # first and last points of the window the slope was fitted on


@dataclass(frozen=True, slots=True)
class TurningPoint:
    event_id: str
    at: datetime
    kind: Literal["peak", "trough"]
    smoothed: float
    reversal: float  # how far the smoothed score moved back before the point was confirmed
    confirmed_by: str  # event id at which the reversal reached the threshold


@dataclass(frozen=True, slots=True)
class Shift:
    event_id: str
    at: datetime
    score: float
    before: float  # smoothed mood just before
    preceded_by: tuple[str, ...]  # ids of tickets, outages, payments in the look-back window


@dataclass(frozen=True, slots=True)
class Trigger:
    key: str  # "ticket:billing", "outage", "payment:failed", "topic:price"
    count: int  # negative shifts it preceded
    share: float  # count / all negative shifts
    lift: float  # how much likelier it precedes a negative shift than any scored interaction
    evidence_ids: tuple[str, ...]  # the trigger events
    shift_ids: tuple[str, ...]  # the negative shifts they preceded


@dataclass(frozen=True, slots=True)
class EmotionalArc:
    series: tuple[ArcPoint, ...]
    current: float | None  # last smoothed value
    trend: Trend
    turning_points: tuple[TurningPoint, ...]
    negative_shifts: tuple[Shift, ...]
    triggers: tuple[Trigger, ...]
    satisfaction_moments: tuple[Shift, ...]
    preferences: CommunicationPreferences
    evidence_ids: tuple[str, ...] = field(default=())  # every event the arc used


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class _Timeline:
    """Events in time order with their UTC instants as epoch seconds (computed once)."""

    events: list[ArcEvent]
    at: list[datetime]
    ts: list[float]

    @classmethod
    def of(cls, events: Sequence[ArcEvent]) -> _Timeline:
        dated = sorted(((_utc(e.at), k, e) for k, e in enumerate(events)), key=lambda x: (x[0], x[1]))
        return cls(
            [e for _, _, e in dated], [at for at, _, _ in dated], [at.timestamp() for at, _, _ in dated]
        )


def _smooth(line: _Timeline, half_life_days: float) -> tuple[list[ArcPoint], list[int]]:
    points: list[ArcPoint] = []
    index: list[int] = []  # position in the timeline of each point
    num = den = 0.0
    last: float | None = None
    rate = math.log(2) / (half_life_days * 86400)
    for i, e in enumerate(line.events):
        if e.score is None or math.isnan(e.score):
            continue
        x = max(-1.0, min(1.0, e.score))
        if last is not None:
            decay = math.exp(-rate * max(0.0, line.ts[i] - last))
            num, den = num * decay, den * decay
        num, den, last = num + x, den + 1.0, line.ts[i]
        points.append(ArcPoint(e.id, line.at[i], x, num / den))
        index.append(i)
    return points, index


def smooth(events: Sequence[ArcEvent], half_life_days: float = 7.0) -> list[ArcPoint]:
    """Time-aware EWMA over the scored events, in time order."""
    return _smooth(_Timeline.of(events), half_life_days)[0]


def trend(points: Sequence[ArcPoint], window_days: float, stable_slope: float) -> Trend:
    """Least-squares slope of raw scores over the last ``window_days``, per 30 days."""
    if not points:
        return Trend(0.0, "unknown", 0, ())
    start = points[-1].at - timedelta(days=window_days)
    window = [p for p in points if p.at >= start]
    ids = tuple(p.event_id for p in window[:3]) + tuple(
        p.event_id for p in window[-3:] if p not in window[:3]
    )
    if len(window) < 3:
        return Trend(0.0, "unknown", len(window), ids)
    t0 = window[0].at
    xs = [(p.at - t0).total_seconds() / 86400 for p in window]
    ys = [p.score for p in window]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx < 1e-9:  # every point at the same instant
        return Trend(0.0, "unknown", len(window), ids)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx * 30
    direction: Literal["improving", "declining", "stable"] = "stable"
    if slope >= stable_slope:
        direction = "improving"
    elif slope <= -stable_slope:
        direction = "declining"
    return Trend(round(slope, 4), direction, len(window), ids)


def turning_points(points: Sequence[ArcPoint], threshold: float) -> list[TurningPoint]:
    """Zig-zag over the smoothed series: an extreme counts once the series has moved back by ``threshold``.

    The first point is never a turning point: it is where the record starts, not where the mood turned.
    """
    out: list[TurningPoint] = []
    s = [p.smoothed for p in points]
    hi = lo = 0
    direction = 0  # +1 rising (watching for a peak), -1 falling (watching for a trough), 0 not yet moved
    for i in range(1, len(s)):
        v = s[i]
        if v > s[hi]:
            hi = i
        if v < s[lo]:
            lo = i
        if direction >= 0 and s[hi] - v >= threshold:
            if hi > 0:
                out.append(_turn(points, hi, "peak", s[hi] - v, i))
            direction, lo = -1, i
        elif direction <= 0 and v - s[lo] >= threshold:
            if lo > 0:
                out.append(_turn(points, lo, "trough", v - s[lo], i))
            direction, hi = 1, i
    return out


def _turn(
    points: Sequence[ArcPoint], i: int, kind: Literal["peak", "trough"], rev: float, by: int
) -> TurningPoint:
    p = points[i]
    return TurningPoint(p.event_id, p.at, kind, round(p.smoothed, 4), round(rev, 4), points[by].event_id)


def _trigger_keys(e: ArcEvent) -> list[str]:
    if e.kind == "ticket":
        return [f"ticket:{e.ticket_category or 'other'}"]
    if e.kind == "outage":
        return ["outage"] + ([f"outage:{e.topic}"] if e.topic else [])
    if e.kind == "payment":
        return [f"payment:{e.topic}"] if e.topic else ["payment"]
    return [f"topic:{e.topic}"] if e.topic else []


def compute_arc(events: Sequence[ArcEvent], config: ArcConfig | None = None) -> EmotionalArc:
    cfg = config or ArcConfig()
    line = _Timeline.of(events)
    points, index = _smooth(line, cfg.half_life_days)
    keys = [_trigger_keys(e) for e in line.events]
    context = [i for i, e in enumerate(line.events) if e.kind != "interaction"]  # tickets, outages, payments
    context_ts = [line.ts[i] for i in context]
    window = cfg.lookback_hours * 3600

    shifts: list[Shift] = []
    moments: list[Shift] = []
    found: dict[str, tuple[set[int], list[str]]] = {}  # key → (timeline indices, shift ids)
    baseline: Counter[str] = Counter()  # scored events whose look-back window holds the key
    before = 0.0
    for p, i in zip(points, index, strict=True):
        near = context[bisect_left(context_ts, line.ts[i] - window) : bisect_right(context_ts, line.ts[i])]
        baseline.update({k for j in near for k in keys[j]}.union(keys[i]))
        if p.score <= cfg.negative_score and p.score <= before - cfg.shift_drop:
            shifts.append(Shift(p.event_id, p.at, p.score, round(before, 4), _ids(line, near)))
            for j in [*near, i]:
                for key in keys[j]:
                    idx, sids = found.setdefault(key, (set(), []))
                    idx.add(j)
                    if not sids or sids[-1] != p.event_id:
                        sids.append(p.event_id)
        elif p.score >= cfg.satisfied_score or (
            p.score >= cfg.satisfied_score / 2 and p.score >= before + cfg.shift_drop
        ):
            moments.append(Shift(p.event_id, p.at, p.score, round(before, 4), _ids(line, near)))
        before = p.smoothed
    used = sorted(set(index).union(context))
    return EmotionalArc(
        series=tuple(points),
        current=round(points[-1].smoothed, 4) if points else None,
        trend=trend(points, cfg.trend_window_days, cfg.stable_slope),
        turning_points=tuple(turning_points(points, cfg.turning_threshold)),
        negative_shifts=tuple(shifts),
        triggers=tuple(_triggers(found, line, baseline, len(shifts), len(points))),
        satisfaction_moments=tuple(moments),
        preferences=preferences(line.events),
        evidence_ids=_ids(line, used),
    )


def _ids(line: _Timeline, positions: Sequence[int]) -> tuple[str, ...]:
    return tuple(line.events[j].id for j in positions)


def _triggers(
    found: dict[str, tuple[set[int], list[str]]],
    line: _Timeline,
    baseline: Counter[str],
    n_shifts: int,
    n_scored: int,
) -> list[Trigger]:
    """Rank what preceded negative shifts; ``lift`` compares with how often the key precedes any score."""
    out: list[Trigger] = []
    for key, (idx, sids) in found.items():
        share = len(sids) / n_shifts
        base = baseline[key] / n_scored
        lift = round(share / base, 3) if base else 0.0
        evidence = tuple(line.events[j].id for j in sorted(idx))
        out.append(Trigger(key, len(sids), round(share, 4), lift, evidence, tuple(sids)))
    out.sort(key=lambda t: (-t.count, -t.lift, t.key))
    return out
