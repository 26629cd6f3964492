"""Dates as people in Tehran read them: Jalali calendar, Tehran time, Persian digits, relative phrases."""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

import jdatetime

from ai.text.persian import to_ascii_digits, to_persian_digits

TEHRAN = ZoneInfo("Asia/Tehran")

JALALI_MONTHS_FA = (
    "فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
    "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند",
)  # fmt: skip
JALALI_MONTHS_EN = (
    "Farvardin", "Ordibehesht", "Khordad", "Tir", "Mordad", "Shahrivar",
    "Mehr", "Aban", "Azar", "Dey", "Bahman", "Esfand",
)  # fmt: skip
GREGORIAN_MONTHS_EN = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip


def to_tehran(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: Chronos stores and passes UTC-aware datetimes only")
    return moment.astimezone(TEHRAN)


def to_jalali(moment: dt.datetime) -> jdatetime.datetime:
    return jdatetime.datetime.fromgregorian(datetime=to_tehran(moment).replace(tzinfo=None))


def format_date(moment: dt.datetime, locale: str = "fa", *, with_time: bool = False) -> str:
    """``۱۲ مرداد ۱۴۰۳، ۱۴:۰۵`` (Jalali) in fa; ``2 Aug 2024, 14:05`` (Gregorian) in en; Tehran time."""
    if locale != "fa":
        local = to_tehran(moment)
        text = f"{local.day} {GREGORIAN_MONTHS_EN[local.month - 1]} {local.year}"
        return f"{text}, {local:%H:%M}" if with_time else text
    j = to_jalali(moment)
    text = f"{j.day} {JALALI_MONTHS_FA[j.month - 1]} {j.year}"
    if with_time:
        text += f"، {j.hour:02d}:{j.minute:02d}"
    return to_persian_digits(text)


def format_clock(moment: dt.datetime, locale: str = "fa") -> str:
    """``۰۹:۲۹`` in fa, ``09:29`` in en: the time of day in Tehran."""
    local = to_tehran(moment)
    text = f"{local.hour:02d}:{local.minute:02d}"
    return to_persian_digits(text) if locale == "fa" else text


def format_numeric(moment: dt.datetime, locale: str = "fa") -> str:
    """``۱۴۰۳/۰۵/۱۲`` (Jalali) in fa; ``2024-08-02`` (Gregorian, ISO) in en; Tehran time."""
    if locale != "fa":
        return f"{to_tehran(moment):%Y-%m-%d}"
    j = to_jalali(moment)
    return to_persian_digits(f"{j.year:04d}/{j.month:02d}/{j.day:02d}")


def relative(moment: dt.datetime, now: dt.datetime, locale: str = "fa") -> str:
    """``۳ روز پیش`` / ``3 days ago``; calendar days in Tehran, so "yesterday" means yesterday there."""
    days = (to_tehran(now).date() - to_tehran(moment).date()).days
    seconds = (now - moment).total_seconds()
    if locale == "fa":
        if days < 0:
            text = f"{-days} روز دیگر"
        elif days == 0:
            text = (
                "امروز"
                if seconds >= 3600
                else "همین الان"
                if seconds < 120
                else f"{int(seconds // 60)} دقیقه پیش"
            )
        elif days == 1:
            text = "دیروز"
        elif days < 30:
            text = f"{days} روز پیش"
        elif days < 365:
            text = f"{days // 30} ماه پیش"
        else:
            text = f"{days // 365} سال پیش"
        return to_persian_digits(text)
    if days < 0:
        return "in 1 day" if days == -1 else f"in {-days} days"
    if days == 0:
        return (
            "today" if seconds >= 3600 else "just now" if seconds < 120 else f"{int(seconds // 60)} min ago"
        )
    if days == 1:
        return "yesterday"
    if days < 30:
        return f"{days} days ago"
    if days < 365:
        return "1 month ago" if days < 60 else f"{days // 30} months ago"
    return "1 year ago" if days < 730 else f"{days // 365} years ago"


def parse_jalali(text: str) -> dt.datetime:
    """``1403/05/12`` or ``1403/05/12 14:30`` (Tehran time, any digits) → aware UTC datetime."""
    cleaned = to_ascii_digits(text.strip()).replace("-", "/")
    date_part, _, time_part = cleaned.partition(" ")
    year, month, day = (int(p) for p in date_part.split("/"))
    hour = minute = second = 0
    if time_part:
        pieces = [int(p) for p in time_part.strip().split(":")]
        hour, minute = pieces[0], pieces[1] if len(pieces) > 1 else 0
        second = pieces[2] if len(pieces) > 2 else 0
    gregorian: dt.datetime = jdatetime.datetime(year, month, day, hour, minute, second).togregorian()
    return gregorian.replace(tzinfo=TEHRAN).astimezone(dt.UTC)


# The arithmetic (tabular) Islamic calendar. Iran fixes lunar dates by moon sighting, which can differ
# from it by a day either way, so callers treat these dates as approximate (±1 day).
_ISLAMIC_EPOCH_JD = 1948439.5  # Julian day of 1 Muharram 1 AH (civil epoch)
_ORDINAL_TO_JD = 1721424.5  # date.toordinal() + this = Julian day at midnight


def _islamic_to_jd(year: int, month: int, day: int) -> float:
    days_before = math.ceil(29.5 * (month - 1)) + (year - 1) * 354 + (3 + 11 * year) // 30
    return day + days_before + _ISLAMIC_EPOCH_JD - 1


def islamic_to_date(year: int, month: int, day: int) -> dt.date:
    """The Gregorian date of a tabular Hijri date."""
    return dt.date.fromordinal(int(_islamic_to_jd(year, month, day) - _ORDINAL_TO_JD))


def hijri(day: dt.date) -> tuple[int, int, int]:
    """(year, month, day) in the tabular Islamic calendar; within a day of Iran's official one."""
    jd = day.toordinal() + _ORDINAL_TO_JD
    year = math.floor((30 * (jd - _ISLAMIC_EPOCH_JD) + 10646) / 10631)
    month = min(12, math.ceil((jd - (29 + _islamic_to_jd(year, 1, 1))) / 29.5) + 1)
    return year, month, int(jd - _islamic_to_jd(year, month, 1) + 1)
