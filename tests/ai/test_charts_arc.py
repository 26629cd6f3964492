"""The arc picture: renders for any series size, Persian shaped right, Jalali ticks, shipped font."""

from __future__ import annotations

import datetime as dt
import math
import struct
from concurrent.futures import ThreadPoolExecutor
from importlib import resources

import pytest
from matplotlib.font_manager import get_font

from ai.charts import ArcChart, ArcChartLabels, ChartMarker, ChartPoint, render_arc_png
from ai.charts import text as chart_text
from ai.charts.arc import LINE_GAP, _with_gaps, month_ticks
from ai.charts.text import NATIVE_SHAPING, RLM, font_path, shape
from ai.text.calendar import to_tehran
from ai.text.persian import LRM, signed_number

T0 = dt.datetime(2024, 9, 1, 8, tzinfo=dt.UTC)
LABELS = ArcChartLabels(
    title="قوس احساسی رضا کریمی (REP-00042)",
    score_axis="امتیاز احساس",
    points="پیام‌ها",
    smoothed="حال هموارشده",
    ticket="تیکت",
    payment="پرداخت",
    outage="قطعی",
    empty="هنوز پیام امتیازداری نیست",
    summary=("حال فعلی: منفی (‎−۰٫۴۲)", "روند ۹۰ روز اخیر: رو به افت", "محرک اصلی افت‌ها: تیکت اتصال V2Ray"),
)


def series(n: int, *, span_days: float = 300) -> list[ChartPoint]:
    step = span_days / max(1, n - 1)
    return [
        ChartPoint(T0 + dt.timedelta(days=i * step), math.sin(i / 40), 0.8 * math.sin(i / 45))
        for i in range(n)
    ]


def markers(n: int) -> list[ChartMarker]:
    kinds = ("ticket", "payment", "outage")
    return [ChartMarker(T0 + dt.timedelta(days=7 * i), kinds[i % 3]) for i in range(n)]


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


@pytest.mark.parametrize(
    ("points", "events"),
    [
        pytest.param(0, 0, id="empty"),
        pytest.param(1, 0, id="one point"),
        pytest.param(2000, 60, id="2,000 points"),
    ],
)
def test_renders_any_series_size(points: int, events: int) -> None:
    data = render_arc_png(ArcChart(series(points), markers(events), LABELS))
    assert png_size(data) == (1000, 680)
    assert len(data) > 20_000  # text, axes and dots, not a blank canvas


def test_degenerate_inputs_still_render() -> None:
    same_instant = [ChartPoint(T0, 0.5, 0.5), ChartPoint(T0, -0.5, 0.0)]
    only_markers = ArcChart([], markers(5), LABELS, now=T0 + dt.timedelta(days=40))
    extremes = [ChartPoint(T0 + dt.timedelta(hours=i), (-1.0, 1.0)[i % 2], 0.0) for i in range(10)]
    for chart in (ArcChart(same_instant, [], LABELS), only_markers, ArcChart(extremes, [], LABELS)):
        assert png_size(render_arc_png(chart)) == (1000, 680)


def test_english_locale_and_a_custom_size() -> None:
    english = ArcChartLabels(
        "Emotional arc — رضا (REP-1)", "sentiment", "messages", "mood", "t", "p", "o", "none"
    )
    data = render_arc_png(ArcChart(series(50), markers(6), english, locale="en", size_px=(640, 400)))
    assert png_size(data) == (640, 400)


def test_rendering_is_safe_from_worker_threads() -> None:
    chart = ArcChart(series(300), markers(10), LABELS)
    with ThreadPoolExecutor(max_workers=3) as pool:
        images = list(pool.map(lambda _: render_arc_png(chart), range(3)))
    assert len(set(images)) == 1  # same picture each time: no shared state between figures


def _visual(text: str) -> list[tuple[str, int]]:
    """(character, glyph) pairs left to right, as matplotlib lays ``text`` out with the shipped font."""
    from matplotlib import _text_helpers  # the layout matplotlib itself draws with

    font = get_font(str(font_path()))
    font.set_size(20, 72)
    items = sorted(_text_helpers.layout(text, font), key=lambda item: item.x)
    return [(item.char, item.glyph_index) for item in items]


@pytest.mark.skipif(not NATIVE_SHAPING, reason="this matplotlib lays text out glyph by glyph")
def test_persian_is_joined_and_right_to_left_with_libraqm() -> None:
    font = get_font(str(font_path()))
    laid_out = _visual(shape("سلام V2Ray ۱۴۰۳", rtl=True))
    chars = "".join(char for char, _ in laid_out if char not in (RLM, LRM))
    # Right to left: the number ends up leftmost, «سلام» rightmost; Latin and digits keep their own order.
    assert chars.index("۱") < chars.index("V") < chars.index("س")
    assert "V2Ray" in chars
    assert "۱۴۰۳" in chars
    # Joined: «س» opening a word is drawn with its initial form, not the isolated letter.
    seen = dict(laid_out)
    assert seen["س"] != font.get_char_index(ord("س"))


def test_legacy_path_reshapes_and_reorders(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chart_text, "NATIVE_SHAPING", False)
    shaped = shape("سلام V2Ray ۱۴۰۳", rtl=True)
    assert shaped == "۱۴۰۳ V2Ray ﻡﻼﺳ"  # visual order, presentation forms (ﻼ is lam-alef), marks removed
    assert shape("plain text", rtl=False) == "plain text"
    assert shape("منفی (‎−۰٫۴۲)", rtl=True) == "(−۰٫۴۲) ﯽﻔﻨﻣ"


def test_native_path_only_marks_the_direction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chart_text, "NATIVE_SHAPING", True)
    assert shape("روی ایرانسل\nخط دوم", rtl=True) == f"{RLM}روی ایرانسل\n{RLM}خط دوم"
    assert shape("V2Ray قطع شد", rtl=True) == f"{RLM}V2Ray{RLM} قطع شد"
    assert shape("Now: رضا", rtl=False) == f"{LRM}Now: رضا"
    assert shape("", rtl=True) == ""


def test_signed_numbers() -> None:
    assert signed_number(-0.4213, persian_digits=True) == f"{LRM}−۰٫۴۲"
    assert signed_number(0.15, persian_digits=False) == "+0.15"
    assert signed_number(1, persian_digits=False, decimals=0) == "+1"


def test_jalali_month_ticks_show_the_year_where_it_changes() -> None:
    start = dt.datetime(2024, 9, 1, tzinfo=dt.UTC)  # 11 Shahrivar 1403
    ticks = month_ticks(start, start + dt.timedelta(days=240), "fa")
    labels = [label for _, label in ticks]
    assert labels[0] == "مهر\n۱۴۰۳"
    assert "فروردین\n۱۴۰۴" in labels
    assert "آبان" in labels
    assert all(to_tehran(at).time() == dt.time(0, 0) for at, _ in ticks)  # month starts at Tehran midnight
    assert 2 <= len(ticks) <= 8
    # English readers get Gregorian months.
    english = month_ticks(start, start + dt.timedelta(days=240), "en")
    assert english[0][1] == "Oct\n2024"
    assert all(to_tehran(at).day == 1 and to_tehran(at).time() == dt.time(0, 0) for at, _ in english)


def test_the_latest_month_is_always_ticked() -> None:
    """The current month was missing at the right edge when only every other month was ticked."""
    start = dt.datetime(2024, 12, 10, tzinfo=dt.UTC)
    end = dt.datetime(2026, 12, 7, tzinfo=dt.UTC)  # 16 Azar 1405
    for locale, latest in (("fa", "آذر"), ("en", "Dec")):
        ticks = month_ticks(start, end, locale)
        assert len(ticks) <= 8
        assert ticks[-1][1].startswith(latest), ticks


def test_the_smoothed_line_breaks_over_a_month_of_silence() -> None:
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    points = [
        ChartPoint(t0, 0.5, 0.5),
        ChartPoint(t0 + dt.timedelta(days=3), 0.4, 0.45),
        ChartPoint(t0 + LINE_GAP + dt.timedelta(days=10), -0.6, -0.5),
    ]
    xs, ys = _with_gaps(points)
    assert len(xs) == 4
    assert math.isnan(xs[2])
    assert math.isnan(ys[2])


def test_short_spans_get_day_ticks_and_long_ones_stay_sparse() -> None:
    start = dt.datetime(2025, 3, 15, tzinfo=dt.UTC)
    days = month_ticks(start, start + dt.timedelta(days=10), "fa")
    assert 5 <= len(days) <= 8
    assert days[0][1].endswith("اسفند") or days[0][1].endswith("فروردین")
    assert all(to_tehran(at).time() == dt.time(0, 0) for at, _ in days)
    years = month_ticks(start, start + dt.timedelta(days=3 * 365), "fa")
    assert len(years) <= 8


def test_the_font_ships_with_its_license() -> None:
    fonts = resources.files("ai.charts.fonts")
    assert fonts.joinpath("Vazirmatn-Regular.ttf").is_file()
    assert fonts.joinpath("Vazirmatn-Bold.ttf").is_file()
    assert "SIL Open Font License" in fonts.joinpath("OFL.txt").read_text(encoding="utf-8")
    assert font_path().name == "Vazirmatn-Regular.ttf"


@pytest.mark.skipif(not NATIVE_SHAPING, reason="libraqm lays the text out only in matplotlib ≥ 3.11")
def test_a_signed_number_in_a_persian_line_keeps_its_sign_on_the_left_as_on_the_axis() -> None:
    """The caption's «(۰٫۴۵+)» disagreed with the axis's «+۰٫۵»: libraqm puts a sign that follows an
    LRM on the digits' right, so the chart moves the sign before the mark."""
    line = f"حال فعلی: منفی ({signed_number(-0.45, persian_digits=True)})"
    shaped = shape(line, rtl=True)
    assert f"(−{LRM}۰٫۴۵)" in shaped
