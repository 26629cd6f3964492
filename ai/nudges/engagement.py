"""Engagement score of a representative, 0 (disengaged) to 100 (engaged), with the reasons.

Plain arithmetic over signals the CRM already has, so a supervisor can read why a representative is
in a campaign's audience. Every deduction is a :class:`Reason` with its points and the figure behind it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ReasonCode = Literal[
    "no_recent_contact", "usage_decline", "unresolved_negative", "open_tickets", "late_payment"
]

CONTACT_GRACE_DAYS = 14  # no deduction for a contact within two weeks
NEVER_CONTACTED_DAYS = 90  # a representative never contacted counts as this many days


@dataclass(frozen=True)
class EngagementSignals:
    days_since_contact: int | None
    usage_change_pct: float | None
    unresolved_negative: int
    open_tickets: int
    days_payment_late: int


@dataclass(frozen=True)
class Reason:
    code: ReasonCode
    points: int
    value: float


@dataclass(frozen=True)
class EngagementScore:
    score: int
    reasons: tuple[Reason, ...]


def score(signals: EngagementSignals) -> EngagementScore:
    reasons: list[Reason] = []
    days = NEVER_CONTACTED_DAYS if signals.days_since_contact is None else signals.days_since_contact
    if days > CONTACT_GRACE_DAYS:
        reasons.append(Reason("no_recent_contact", min(30, (days - CONTACT_GRACE_DAYS) // 2 + 5), days))
    if signals.usage_change_pct is not None and signals.usage_change_pct < -5:
        change = signals.usage_change_pct
        reasons.append(Reason("usage_decline", min(25, round(-change / 2)), round(change, 1)))
    if signals.unresolved_negative > 0:
        count = signals.unresolved_negative
        reasons.append(Reason("unresolved_negative", min(20, 10 * count), count))
    if signals.open_tickets > 0:
        reasons.append(Reason("open_tickets", min(15, 5 * signals.open_tickets), signals.open_tickets))
    if signals.days_payment_late > 0:
        late = signals.days_payment_late
        reasons.append(Reason("late_payment", min(20, late // 2 + 2), late))
    reasons.sort(key=lambda reason: -reason.points)
    return EngagementScore(max(0, 100 - sum(r.points for r in reasons)), tuple(reasons))
