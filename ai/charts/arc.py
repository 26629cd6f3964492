"""The emotional-arc picture: sentiment over time, the events around it, and a three-line summary.

Layout (1000 × 680 px at the default size):

* title, top, on the reading side (right for Persian), the legend on the other side of that row;
* main plot: every scored interaction as a dot (green positive, red negative, grey neutral), the
  smoothed mood as a line, the neutral band (|score| < 0.2) shaded;
* event strip under it, sharing the time axis: tickets ▼, payments ●, outages ✕, one row each;
* time axis in the reader's calendar (Jalali for Persian, Gregorian for English), Tehran time (month
  starts, or days for a short history), always showing the latest month;
* the summary lines the caller wrote (current state, trend, main trigger), at the bottom.

Every string shown is given by the caller (the bot's text catalog), except digits and month names,
which come from :mod:`ai.text.calendar` for the locale. Rendering uses the object-oriented
API on a private :class:`~matplotlib.figure.Figure` with the Agg canvas: no pyplot, no global state,
safe to call from worker threads.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

import jdatetime
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.legend_handler import HandlerTuple
from matplotlib.lines import Line2D

from ai.charts.text import font, number, shape
from ai.text.calendar import GREGORIAN_MONTHS_EN, JALALI_MONTHS_FA, TEHRAN, parse_jalali, to_jalali, to_tehran
from ai.text.persian import LRM, signed_number

MarkerKind = Literal["ticket", "payment", "outage"]

NEUTRAL_BAND: Final = 0.2  # |score| below this reads as neutral (the offline engine's threshold)
MAX_TICKS: Final = 8
LINE_GAP: Final = dt.timedelta(days=21)
_MARKER_ROWS: Final[dict[MarkerKind, tuple[int, str, str]]] = {
    # kind: (row from the top, matplotlib marker, colour)
    "ticket": (2, "v", "#ef6c00"),
    "payment": (1, "o", "#2e7d32"),
    "outage": (0, "x", "#b71c1c"),
}
_POSITIVE, _NEGATIVE, _NEUTRAL, _LINE = "#2e7d32", "#c62828", "#9e9e9e", "#1565c0"


@dataclass(frozen=True, slots=True)
class ChartPoint:
    at: dt.datetime  # aware
    score: float  # raw sentiment in [-1, 1]
    smoothed: float  # the arc's smoothed mood at this point


@dataclass(frozen=True, slots=True)
class ChartMarker:
    at: dt.datetime
    kind: MarkerKind


@dataclass(frozen=True, slots=True)
class ArcChartLabels:
    """Every word in the picture, in the reader's language."""

    title: str
    score_axis: str  # y-axis label
    points: str  # legend: the raw scores
    smoothed: str  # legend: the smoothed line
    ticket: str  # strip row names
    payment: str
    outage: str
    empty: str  # shown in the plot when there is nothing to draw
    summary: tuple[str, ...] = ()  # up to three lines under the plot


@dataclass(frozen=True, slots=True)
class ArcChart:
    points: Sequence[ChartPoint]
    markers: Sequence[ChartMarker]
    labels: ArcChartLabels
    locale: str = "fa"  # "fa": right-to-left text, Persian digits and month names; "en" otherwise
    size_px: tuple[int, int] = (1000, 680)
    dpi: int = 100
    now: dt.datetime | None = field(default=None)  # the time axis ends no earlier than this


def render_arc_png(chart: ArcChart) -> bytes:
    """The chart as PNG bytes. Never draws on a shared figure; raises only on programming errors."""
    rtl = chart.locale == "fa"
    width, height = chart.size_px
    fig = Figure(figsize=(width / chart.dpi, height / chart.dpi), dpi=chart.dpi, facecolor="white")
    FigureCanvasAgg(fig)
    main = fig.add_axes((0.075, 0.375, 0.845, 0.525))
    strip = fig.add_axes((0.075, 0.27, 0.845, 0.085), sharex=main)
    start, end = _time_range(chart)
    _draw_main(main, chart, rtl)
    _draw_strip(strip, chart, rtl)
    main.set_xlim(_x(start), _x(end))
    ticks = month_ticks(start, end, chart.locale)
    strip.set_xticks(
        [_x(at) for at, _ in ticks],
        [shape(label, rtl=rtl) for _, label in ticks],
        fontproperties=font(9.5),
    )
    main.tick_params(axis="x", labelbottom=False)
    x_title, align = (0.975, "right") if rtl else (0.025, "left")
    fig.text(
        x_title,
        0.945,
        shape(chart.labels.title, rtl=rtl),
        ha=align,
        va="center",
        fontproperties=font(15, bold=True),
    )
    for i, line in enumerate(chart.labels.summary[:3]):
        fig.text(
            x_title, 0.165 - i * 0.06, shape(line, rtl=rtl), ha=align, va="center", fontproperties=font(11.5)
        )
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=chart.dpi, facecolor="white", metadata={"Software": None})
    return buffer.getvalue()


_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_DAY: Final = dt.timedelta(days=1)


def _x(at: dt.datetime) -> float:
    """x coordinate: days since 1970 (plain floats; the ticks are ours, so no date converter is needed)."""
    return (at - _EPOCH) / _DAY


def _time_range(chart: ArcChart) -> tuple[dt.datetime, dt.datetime]:
    moments = [p.at for p in chart.points] + [m.at for m in chart.markers]
    if moments:
        start, end = min(moments), max(moments)
        if chart.now is not None:
            end = max(end, chart.now)
    else:
        end = chart.now or dt.datetime.now(dt.UTC)
        start = end - dt.timedelta(days=30)
    pad = max(dt.timedelta(days=1), (end - start) * 0.03)
    return start - pad, end + pad


def _draw_main(ax: Axes, chart: ArcChart, rtl: bool) -> None:
    ax.set_ylim(-1.08, 1.08)
    ax.axhspan(-NEUTRAL_BAND, NEUTRAL_BAND, color="#f2f2f2", zorder=0)
    ax.axhline(0.0, color="#bdbdbd", linewidth=0.8, zorder=1)
    ax.grid(axis="x", color="#eeeeee", linewidth=0.8)
    persian = chart.locale == "fa"
    values = [-1.0, -0.5, 0.0, 0.5, 1.0]
    ax.set_yticks(values, [_tick_value(v, persian) for v in values], fontproperties=font(9.5))
    ax.set_ylabel(shape(chart.labels.score_axis, rtl=rtl), fontproperties=font(10.5))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    points = sorted(chart.points, key=lambda p: p.at)
    if not points:
        ax.text(
            0.5, 0.5, shape(chart.labels.empty, rtl=rtl), transform=ax.transAxes, ha="center", va="center",
            fontproperties=font(13), color="#616161",
        )  # fmt: skip
        return
    xs = [_x(p.at) for p in points]
    colours = [
        _POSITIVE if p.score >= NEUTRAL_BAND else _NEGATIVE if p.score <= -NEUTRAL_BAND else _NEUTRAL
        for p in points
    ]
    dense = len(points) > 300
    ax.scatter(
        xs, [p.score for p in points], s=7 if dense else 22, c=colours, alpha=0.35 if dense else 0.7,
        linewidths=0, zorder=2,
    )  # fmt: skip
    line_x, line_y = _with_gaps(points)
    ax.plot(
        line_x, line_y, color=_LINE, linewidth=2.2, zorder=3, marker="o" if len(points) == 1 else None,
    )  # fmt: skip
    # Above the plot, opposite the title, in one row read from the reading side: it covers no data. The
    # dots' entry shows all three colours, whatever colour the first message happens to have.
    dots = tuple(
        Line2D([], [], linestyle="", marker="o", markersize=5, color=colour, alpha=0.8)
        for colour in (_POSITIVE, _NEUTRAL, _NEGATIVE)
    )
    smoothed = Line2D([], [], color=_LINE, linewidth=2.2)
    handles: list[Artist | tuple[Artist, ...]] = [dots, smoothed]
    names = [shape(chart.labels.points, rtl=rtl), shape(chart.labels.smoothed, rtl=rtl)]
    if rtl:
        handles, names = handles[::-1], names[::-1]
    ax.legend(
        handles, names, loc="lower left" if rtl else "lower right", bbox_to_anchor=(0.0 if rtl else 1.0, 1.0),
        ncol=2, prop=font(9.5), markerfirst=not rtl, frameon=False, borderaxespad=0.2,
        handler_map={tuple: HandlerTuple(ndivide=None, pad=0.1)},
    )  # fmt: skip


def _with_gaps(points: Sequence[ChartPoint]) -> tuple[list[float], list[float]]:
    """The smoothed line's coordinates, broken where messages are more than :data:`LINE_GAP` apart (a
    month of silence is not a slow drift from one mood to the other)."""
    xs: list[float] = []
    ys: list[float] = []
    for previous, point in zip([None, *points], points, strict=False):
        if previous is not None and point.at - previous.at > LINE_GAP:
            xs.append(math.nan)
            ys.append(math.nan)
        xs.append(_x(point.at))
        ys.append(point.smoothed)
    return xs, ys


def _draw_strip(ax: Axes, chart: ArcChart, rtl: bool) -> None:
    ax.set_ylim(-0.6, 2.6)
    names = {"ticket": chart.labels.ticket, "payment": chart.labels.payment, "outage": chart.labels.outage}
    rows = sorted(_MARKER_ROWS.items(), key=lambda item: item[1][0])
    ax.set_yticks(
        [row for _, (row, _, _) in rows],
        [shape(names[kind], rtl=rtl) for kind, _ in rows],
        fontproperties=font(9.5),
    )
    if rtl:
        ax.yaxis.tick_right()
    ax.tick_params(axis="y", length=0)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    for row in range(3):
        ax.axhline(row, color="#f0f0f0", linewidth=0.8, zorder=0)
    for kind, (row, marker, colour) in _MARKER_ROWS.items():
        moments = [m.at for m in chart.markers if m.kind == kind]
        if moments:
            ax.scatter(
                [_x(at) for at in moments], [row] * len(moments), marker=marker, s=30, color=colour,
                linewidths=1.4 if marker == "x" else 0, alpha=0.85, zorder=2,
            )  # fmt: skip


def _tick_value(value: float, persian: bool) -> str:
    """``−۰٫۵``, ``۰``, ``+۱``: a tick label is its own paragraph, so no direction mark is needed."""
    if value == 0:
        return "۰" if persian else "0"
    decimals = 0 if value == round(value) else 1
    return signed_number(value, persian_digits=persian, decimals=decimals).lstrip(LRM)


def month_ticks(start: dt.datetime, end: dt.datetime, locale: str) -> list[tuple[dt.datetime, str]]:
    """Tick positions and labels between two aware instants, in the reader's calendar (Jalali for
    Persian, Gregorian for English): month starts at Tehran midnight, or days for a span under ~2.5
    months; at most :data:`MAX_TICKS`, always including the latest month, the year shown when it
    changes."""
    calendar = _JALALI if locale == "fa" else _GREGORIAN
    persian = locale == "fa"
    if end - start < dt.timedelta(days=75):
        return _day_ticks(start, end, calendar, persian)
    year, month, _ = calendar.ymd(start)
    starts: list[tuple[int, int, dt.datetime]] = []
    while True:
        month += 1
        if month > 12:
            year, month = year + 1, 1
        at = calendar.midnight(year, month, 1)
        if at > end:
            break
        starts.append((year, month, at))
    step = max(1, math.ceil(len(starts) / MAX_TICKS))
    ticks: list[tuple[dt.datetime, str]] = []
    shown_year: int | None = None
    for year, month, at in starts[::-1][::step][::-1]:  # counted back from the latest month
        label = calendar.months[month - 1]
        if year != shown_year:
            label += f"\n{number(year, persian_digits=persian, decimals=0)}"
            shown_year = year
        ticks.append((at, label))
    return ticks


@dataclass(frozen=True, slots=True)
class _Calendar:
    months: tuple[str, ...]
    jalali: bool

    def ymd(self, moment: dt.datetime) -> tuple[int, int, int]:
        if self.jalali:
            j = to_jalali(moment)
            return j.year, j.month, j.day
        local = to_tehran(moment)
        return local.year, local.month, local.day

    def midnight(self, year: int, month: int, day: int) -> dt.datetime:
        if self.jalali:
            return parse_jalali(f"{year}/{month}/{day}")
        return dt.datetime(year, month, day, tzinfo=TEHRAN).astimezone(dt.UTC)

    def next_day(self, year: int, month: int, day: int, step: int) -> tuple[int, int, int]:
        """``step`` calendar days later (never by adding hours across a DST change)."""
        if self.jalali:
            later = jdatetime.date(year, month, day) + dt.timedelta(days=step)
        else:
            later = dt.date(year, month, day) + dt.timedelta(days=step)
        return later.year, later.month, later.day


_JALALI: Final = _Calendar(JALALI_MONTHS_FA, jalali=True)
_GREGORIAN: Final = _Calendar(GREGORIAN_MONTHS_EN, jalali=False)


def _day_ticks(
    start: dt.datetime, end: dt.datetime, calendar: _Calendar, persian: bool
) -> list[tuple[dt.datetime, str]]:
    """Tehran midnights, stepped on the reader's calendar."""
    days = max(1, (end - start).days + 1)
    step = next((s for s in (1, 2, 3, 7, 14) if days / s <= MAX_TICKS), 14)
    year, month, day = calendar.ymd(start)
    ticks: list[tuple[dt.datetime, str]] = []
    while True:
        at = calendar.midnight(year, month, day)
        if at > end:
            return ticks
        if at >= start:
            ticks.append(
                (at, f"{number(day, persian_digits=persian, decimals=0)} {calendar.months[month - 1]}")
            )
        year, month, day = calendar.next_day(year, month, day, step)
