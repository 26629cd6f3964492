"""Calendar context for a call on a given day in Tehran: Nowruz, Yalda, Ramadan, Tasua/Ashura, Friday.

Solar dates come from the Jalali calendar (exact). Lunar dates use the arithmetic (tabular) Islamic
calendar, which can differ from Iran's official lunar calendar by a day, so lunar occasions are matched
with one day of tolerance on each side and worded as «حدوداً». On and around Tasua/Ashura no sales
pitch is made at all; the tolerance errs on the side of restraint.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final, Literal

import jdatetime

from ai.text.calendar import TEHRAN, hijri

OccasionKey = Literal[
    "nowruz_holiday",
    "nowruz_season",
    "pre_nowruz",
    "sizdah",
    "yalda",
    "ramadan",
    "tasua_ashura",
    "friday",
    "thursday_afternoon",
]

LOOKAHEAD_DAYS: Final = 3


@dataclass(frozen=True, slots=True)
class Occasion:
    key: OccasionKey
    day: dt.date  # Tehran date it falls on
    days_away: int  # 0 = today
    approximate: bool = False  # lunar date, ±1 day
    no_sales: bool = False  # no sales or upgrade pitch on this day


def _on(day: dt.date, offset: int) -> list[Occasion]:
    j = jdatetime.date.fromgregorian(date=day)
    found: list[Occasion] = []

    def add(key: OccasionKey, *, approximate: bool = False, no_sales: bool = False) -> None:
        found.append(Occasion(key, day, offset, approximate, no_sales))

    if j.month == 1 and j.day <= 4:
        add("nowruz_holiday")
    elif j.month == 1 and j.day == 13:
        add("sizdah")
    elif j.month == 1 and j.day <= 12:
        add("nowruz_season")
    elif j.month == 12 and j.day >= 25:
        add("pre_nowruz")
    if j.month == 9 and j.day == 30:
        add("yalda")
    _, h_month, h_day = hijri(day)
    if h_month == 9:
        add("ramadan", approximate=True)
    if h_month == 1 and 8 <= h_day <= 11:  # 9–10 Muharram, ±1 day
        add("tasua_ashura", approximate=True, no_sales=True)
    if day.weekday() == 4:
        add("friday")
    return found


def occasions(now: dt.datetime, lookahead_days: int = LOOKAHEAD_DAYS) -> list[Occasion]:
    """Today's occasions (Tehran) and the notable ones of the next few days, nearest first.

    Look-ahead keeps only occasions worth preparing for (holidays, mourning days, Yalda), not
    every coming Friday.
    """
    local = now.astimezone(TEHRAN)
    today = local.date()
    found = _on(today, 0)
    if today.weekday() == 3 and local.hour >= 12:
        found.append(Occasion("thursday_afternoon", today, 0))
    seen = {o.key for o in found}
    for offset in range(1, lookahead_days + 1):
        for occasion in _on(today + dt.timedelta(days=offset), offset):
            if occasion.key in seen or occasion.key in ("friday", "nowruz_season", "ramadan", "pre_nowruz"):
                continue
            seen.add(occasion.key)
            found.append(occasion)
    return found


def no_sales_today(found: list[Occasion]) -> bool:
    return any(o.no_sales and o.days_away == 0 for o in found)
