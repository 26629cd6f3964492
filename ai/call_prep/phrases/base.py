"""What a phrase bank holds (:class:`Phrases`), and the quoting every language shares.

A bank is data: sentence templates with named ``{placeholders}``, tables of labels, and the number and
date conventions of its language. The composition logic (:mod:`ai.call_prep.offline`,
:mod:`ai.call_prep.facts`, :mod:`ai.call_prep.sections_feel`) decides what to say and fills the
templates; every bank has the same templates with the same placeholders, so the logic cannot tell
them apart. Counts go through :meth:`Phrases.count`, which picks the singular or plural noun.

Representatives' own words, ticket subjects and agents' notes are quoted «…» exactly as they were
written, whatever the briefing's language: they are what was said, and translating them would put
words in someone's mouth. The cues below find the telling sentence in those words, so they are
Persian (and Finglish) whichever bank is in use.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Literal

from ai.text.calendar import format_date, relative, to_tehran

Language = Literal["fa", "en"]
Unit = Literal[
    "day", "week", "month", "year", "user", "message", "interaction", "ticket", "open_ticket", "payment",
    "payment_occasion", "invoice", "call", "complaint", "report", "successful_contact", "attempt",
    "logged_contact",
]  # fmt: skip
"""Nouns that follow a number: ``count(3, "week")`` is «۳ هفته» or "3 weeks"."""


@dataclass(frozen=True, kw_only=True)
class Phrases:
    """One language's wording of the briefing; see the module docstring."""

    language: Language
    digits: Callable[[str], str]  # ASCII digits → this language's digits
    thousands: str
    decimal_point: str
    percent: str
    list_separator: str
    toman_format: str  # {amount}
    hour_range_format: str  # {start} {end}: Tehran hours
    tenure_join: str  # {years} {months}
    units: Mapping[Unit, tuple[str, str]]  # (after 1, after any other number)
    weekdays: tuple[str, str, str, str, str, str, str]  # Monday first, as datetime.weekday()
    moods: tuple[str, str, str, str, str]  # from pleased to unhappy; see mood()

    # Tables of labels, keyed by CRM values or finding kinds.
    trends: Mapping[str, str]
    channels: Mapping[str, str]
    outcomes: Mapping[str, str]
    rep_statuses: Mapping[str, str]
    ticket_statuses: Mapping[str, str]
    emotions: Mapping[str, str]
    turning_points: Mapping[str, str]
    grievance_names: Mapping[str, str]
    grievance_about: Mapping[str, str]  # what it was about, when no ticket subject names it
    empathy: Mapping[str, tuple[str, str]]  # (polite «شما» register, familiar one); {date} {about}
    triggers: Mapping[str, str]
    pleased_reasons: Mapping[str, str]
    occasions: Mapping[str, str]
    operators: Mapping[str, str]  # ISP entity key (ai.text.entities) → its name
    onboarding_points: tuple[tuple[str, str], ...]  # (talking point, purpose) for a new representative

    # At a glance.
    glance_plan: str
    glance_plan_limit: str
    glance_plan_price: str
    glance_no_plan: str
    glance_tenure: str
    glance_status: str
    no_agent: str
    glance_last_contact: str
    glance_no_contact: str
    glance_payments: str
    glance_payments_none_recent: str
    glance_payments_never: str
    glance_usage: str
    glance_usage_change: str
    glance_no_usage: str
    glance_tickets: str
    glance_tickets_breached: str
    glance_ticket_first: str
    sla_breached: str
    sla_due: str
    glance_no_tickets: str
    glance_overdue: str

    # Summary.
    in_city: str
    summary_new: str
    summary_plan: str
    summary_since: str
    summary_total: str
    summary_line: str
    summary_contact: str
    contact_note: str
    no_note: str
    from_rep: str
    from_us: str

    # Cultural notes and the best time to call.
    register_opt_out: str
    register_informal: str
    register_formal: str
    register_unknown: str
    occasion_ahead: str
    operator_note: str
    in_their_area: str
    best_time_unknown: str
    best_time: str
    best_time_day: str  # {weekday}: "Saturdays, "

    # Risks.
    risk_churn_talk: str
    risk_churn_hint: str
    risk_usage_drop: str
    risk_overdue: str
    risk_payment_gap: str
    risk_breached: str
    risk_no_answer: str
    risk_complaints: str
    risk_mood: str

    # Opportunities and their pitches.
    hold_no_sales: str
    hold_fix_first: str
    offer_near_limit: str
    pitch_near_limit: str
    offer_interest: str
    pitch_interest: str
    offer_growth: str
    pitch_growth: str

    # Talking points, each with its purpose.
    point_status: str
    purpose_status: str
    point_grievance: str
    purpose_grievance: str
    point_ticket: str
    purpose_ticket: str
    point_promise: str
    purpose_promise: str
    point_invoice: str
    purpose_invoice: str
    point_usage_drop: str
    purpose_usage_drop: str
    point_offer: str
    purpose_offer: str
    point_last_contact: str
    purpose_last_contact: str
    point_usage: str
    purpose_usage: str
    point_payment: str
    purpose_payment: str
    point_plans: str
    purpose_plans: str

    # Questions to ask.
    ask_outage: str
    ask_outage_on: str
    ask_usage_drop: str
    ask_growth_plans: str
    ask_ticket_info: str
    ask_invoice: str
    ask_stay: str
    ask_new_users: str
    ask_new_channel: str
    ask_anything_wrong: str

    # Mood, what to avoid, what pleased them.
    mood_unknown: str
    mood_line: str
    mood_turn: str
    mood_emotions: str
    avoid_trigger: str
    pleased_moment: str

    def num(self, value: int | float | Decimal) -> str:
        text = f"{value:,.0f}" if isinstance(value, Decimal | int) else f"{value:,.1f}".removesuffix(".0")
        return self.digits(text.replace(",", self.thousands).replace(".", self.decimal_point))

    def count(self, n: int, unit: Unit) -> str:
        one, many = self.units[unit]
        return f"{self.num(n)} {one if n == 1 else many}"

    def pct(self, value: float) -> str:
        return f"{self.num(value)}{self.percent}"

    def signed_pct(self, value: float) -> str:
        sign = "+" if value > 0 else "−" if value < 0 else ""
        return f"{sign}{self.pct(abs(value))}"

    def toman(self, amount: Decimal) -> str:
        return self.toman_format.format(amount=self.num(amount))

    def join(self, parts: list[str]) -> str:
        return self.list_separator.join(parts)

    def date(self, moment: dt.datetime) -> str:
        """Jalali with Persian digits in fa, Gregorian in en; Tehran time either way."""
        return format_date(moment, self.language)

    def day_month(self, moment: dt.datetime) -> str:
        """The date without its year («۱۲ مرداد», "2 Aug"), for recent days said aloud."""
        return self.date(moment).rsplit(" ", 1)[0]

    def when(self, moment: dt.datetime, now: dt.datetime) -> str:
        return f"{self.date(moment)} ({relative(moment, now, self.language)})"

    def tenure(self, start: dt.datetime, now: dt.datetime) -> str:
        months = max(0, (now.year - start.year) * 12 + now.month - start.month - (now.day < start.day))
        years, rest = divmod(months, 12)
        if years and rest:
            return self.tenure_join.format(years=self.count(years, "year"), months=self.count(rest, "month"))
        if years:
            return self.count(years, "year")
        if months:
            return self.count(months, "month")
        return self.count(max(0, (now - start).days), "day")

    def hour_range(self, start: int, hours: int) -> str:
        return self.hour_range_format.format(start=self.num(start), end=self.num((start + hours) % 24))

    def weekday(self, moment: dt.datetime) -> str:
        return self.weekdays[to_tehran(moment).weekday()]

    def mood(self, score: float) -> str:
        rank = 0 if score >= 0.35 else 1 if score >= 0.1 else 2 if score > -0.1 else 3 if score > -0.35 else 4
        return self.moods[rank]


QUOTE_CHARS: Final = 90


def quote(text: str | None, limit: int = QUOTE_CHARS) -> str:
    cleaned = " ".join((text or "").split())
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1].rstrip() + "…"
    return cleaned


CHURN_CUES: Final = (
    "تمدید نمی", "تمدید نکن", "پنل دیگ", "سرویس دیگ", "جای دیگ", "رقیب", "ارزون", "قطع همکاری", "میرم", "برم",
)  # fmt: skip
CHURN_HINT_CUES: Final = ("میرن", "نمیمون", "از دست", "ضرر", "پس بد", "برگردون", "تمدید نکرد")
INTEREST_CUES: Final = ("ارتقا", "پلن", "کاربر", "بیشتر", "تمدید", "بزرگ")
_SENTENCE = re.compile(r"[^.!?؟؛\n]+[.!?؟؛]?")


def quote_around(text: str | None, cues: tuple[str, ...], limit: int = QUOTE_CHARS) -> str:
    """The first sentence that carries one of ``cues`` (else the opening), shortened to ``limit``."""
    sentences = [s.strip() for s in _SENTENCE.findall(text or "") if s.strip()]
    hit = next((s for s in sentences if any(cue in s for cue in cues)), None)
    return quote(hit if hit is not None else text, limit)
