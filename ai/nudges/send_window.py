"""When a nudge may reach a representative: Tehran daytime, never on Fridays or mourning days.

Mourning days come from a small table of Hijri dates (Tasua, Ashura, Arbaeen, …: the official
Iranian holidays of mourning) converted with the arithmetic (tabular) Islamic calendar. Iran fixes
these dates by moon sighting, which differs from the tabular calendar by a day either way (checked
against the official 1404 calendar: Tasua/Ashura matched, Arbaeen was a day earlier), so each date is
blocked together with the day before and the day after; operators can add exact official dates with
``NUDGE_EXTRA_BLOCKED_DATES``. See docs/nudges.md for the limits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

from ai.text.calendar import TEHRAN, hijri, islamic_to_date

# (Hijri month, day, name). Day 30 of Safar means "the last day of Safar" (29 in short years).
MOURNING_DAYS: tuple[tuple[int, int, str], ...] = (
    (1, 9, "Tasua"),
    (1, 10, "Ashura"),
    (2, 20, "Arbaeen"),
    (2, 28, "Demise of the Prophet and martyrdom of Imam Hasan"),
    (2, 30, "Martyrdom of Imam Reza"),
    (3, 8, "Martyrdom of Imam Hasan Askari"),
    (6, 3, "Martyrdom of Fatima"),
    (9, 19, "Night of Qadr (Imam Ali wounded)"),
    (9, 21, "Martyrdom of Imam Ali"),
    (10, 25, "Martyrdom of Imam Sadiq"),
)
FRIDAY = 4  # date.weekday()


@cache
def mourning_dates(gregorian_year: int) -> frozenset[dt.date]:
    """Blocked dates in a Gregorian year: each tabular mourning date and the days either side of it."""
    first = hijri(dt.date(gregorian_year, 1, 1))[0] - 1
    dates: set[dt.date] = set()
    for hijri_year in range(first, first + 3):
        for month, day, _ in MOURNING_DAYS:
            if month == 2 and day == 30:
                date = islamic_to_date(hijri_year, 3, 1) - dt.timedelta(days=1)
            else:
                date = islamic_to_date(hijri_year, month, day)
            dates.update(date + dt.timedelta(days=shift) for shift in (-1, 0, 1))
    return frozenset(d for d in dates if d.year == gregorian_year)


@dataclass(frozen=True)
class SendWindow:
    """Quiet hours are ``[quiet_start_hour, quiet_end_hour)`` in Tehran, wrapping past midnight."""

    quiet_start_hour: int = 22
    quiet_end_hour: int = 9
    skip_fridays: bool = True
    skip_mourning: bool = True
    extra_blocked: frozenset[dt.date] = field(default_factory=frozenset)

    def day_allowed(self, day: dt.date) -> bool:
        if self.skip_fridays and day.weekday() == FRIDAY:
            return False
        if day in self.extra_blocked:
            return False
        return not (self.skip_mourning and day in mourning_dates(day.year))

    def hour_allowed(self, hour: int) -> bool:
        start, end = self.quiet_start_hour, self.quiet_end_hour
        if start == end:
            return True
        if start > end:  # e.g. 22 → 9
            return end <= hour < start
        return not start <= hour < end

    def is_open(self, moment: dt.datetime) -> bool:
        local = moment.astimezone(TEHRAN)
        return self.day_allowed(local.date()) and self.hour_allowed(local.hour)

    def next_open(self, moment: dt.datetime) -> dt.datetime:
        """``moment`` itself when open, else the first open hour after it (UTC)."""
        if self.is_open(moment):
            return moment
        local = moment.astimezone(TEHRAN).replace(minute=0, second=0, microsecond=0)
        for _ in range(24 * 60):  # two months of hours: more blocked days than that is a configuration bug
            local = (local + dt.timedelta(hours=1)).astimezone(TEHRAN)
            if self.is_open(local):
                return local.astimezone(dt.UTC)
        raise ValueError("no open sending hour within 60 days; check the quiet hours and blocked dates")

    def open_until(self, moment: dt.datetime) -> dt.datetime:
        """End of the open stretch ``moment`` is in (UTC); ``moment`` when it is closed."""
        if not self.is_open(moment):
            return moment
        local = moment.astimezone(TEHRAN).replace(minute=0, second=0, microsecond=0)
        for _ in range(24 * 60):
            local = (local + dt.timedelta(hours=1)).astimezone(TEHRAN)
            if not self.is_open(local):
                return local.astimezone(dt.UTC)
        return local.astimezone(dt.UTC)

    def place(self, earliest: dt.datetime, best_hour: int | None = None, minute: int = 0) -> dt.datetime:
        """When to send: the first open moment at or after ``earliest``; with a known best hour (Tehran),
        that hour on the first allowed day it is still ahead, when the hour itself is open."""
        start = self.next_open(earliest)
        if best_hour is None or not self.hour_allowed(best_hour):
            return start
        local = start.astimezone(TEHRAN)
        for offset in range(0, 14):
            day = local.date() + dt.timedelta(days=offset)
            slot = dt.datetime(day.year, day.month, day.day, best_hour, minute % 60, tzinfo=TEHRAN)
            if slot >= local and self.day_allowed(day):
                return slot.astimezone(dt.UTC)
        return start


def window_from_settings(
    quiet_start_hour: int, quiet_end_hour: int, extra_blocked: Iterable[dt.date] = ()
) -> SendWindow:
    return SendWindow(quiet_start_hour, quiet_end_hour, extra_blocked=frozenset(extra_blocked))
