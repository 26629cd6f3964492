"""Findings computed from a :class:`PrepInput`: plain facts with the record tokens they rest on.

Nothing here writes prose; the phrase banks (:mod:`ai.call_prep.phrases`) word the findings in the
briefing's language, so every language rests on the same findings. Thresholds are module constants,
named and documented, so a reviewer can see what turns a number into a risk.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from ai.call_prep.inputs import InteractionFact, PrepInput, TicketFact, UsageFact
from ai.coaching import detect_register
from ai.text.calendar import TEHRAN
from ai.text.entities import kind_of, name_of
from ai.text.entities import mentions as named

MAX_EVIDENCE: Final = 6  # tokens cited per item (most recent first)
GRIEVANCE_DAYS: Final = 120
SIGNAL_DAYS: Final = 90
INTEREST_DAYS: Final = 120
PAYMENT_WINDOW_DAYS: Final = 90
USAGE_DROP_PCT: Final = -15.0  # active users fell at least this much over the trend window
USAGE_GROWTH_PCT: Final = 20.0
NEAR_LIMIT_SHARE: Final = 0.8  # total users at or above this share of the tier's user limit
PAYMENT_GAP_FACTOR: Final = 1.6  # silence longer than this × the usual interval between payments
MIN_PAYMENT_GAP_DAYS: Final = 45
NO_ANSWER_STREAK: Final = 3
BEST_TIME_MIN_SUCCESSES: Final = 6  # successful contacts needed before naming a best time
BEST_SLOT_MIN: Final = 3
SLOT_HOURS: Final = 2
REGISTER_MIN_MESSAGES: Final = 3
REGISTER_SAMPLE: Final = 20  # their newest messages: how they write now, and a bounded cost

GRIEVANCE_SIGNALS: Final[dict[str, str]] = {
    "outage_report": "outage",
    "slow_connection": "outage",
    "payment_issue": "billing",
    "refund_request": "billing",
    "support_delay": "delay",
    "panel_issue": "panel",
    "config_issue": "config",
    "price_complaint": "price",
}
GRIEVANCE_TICKETS: Final[dict[str, str]] = {
    "connectivity": "outage",
    "billing": "billing",
    "panel": "panel",
    "setup": "config",
}
LEAVING_SIGNALS: Final = ("threat_to_leave", "competitor_mention")
"""Talk of leaving: an explicit threat or a competitor, never dissatisfaction alone."""
CHURN_SIGNALS: Final = (*LEAVING_SIGNALS, "churn_signal")
"""Leaving, or words pointing at the relationship ending (customers leaving, losses, money back)."""
INTEREST_SIGNALS: Final = ("upsell_signal", "renewal_intent")
SUCCESS_OUTCOMES: Final = frozenset(
    {"reached", "resolved", "follow_up", "promised_payment", "upsell_interest", "escalated", "complaint"}
)


def tokens(items: Iterable[object], limit: int = MAX_EVIDENCE) -> tuple[str, ...]:
    out: list[str] = []
    for item in items:
        token = getattr(item, "token", None) or (item if isinstance(item, str) else None)
        if token and token not in out:
            out.append(token)
        if len(out) >= limit:
            break
    return tuple(out)


def since(now: dt.datetime, days: int) -> dt.datetime:
    return now - dt.timedelta(days=days)


@dataclass(frozen=True, slots=True)
class Grievance:
    kind: str  # outage | billing | delay | panel | config | price
    latest: dt.datetime
    count: int
    evidence: tuple[str, ...]
    subject: str | None  # the newest ticket subject among the records, for the empathy phrase


def grievances(inp: PrepInput) -> list[Grievance]:
    """What the representative had to put up with lately, newest kind first."""
    start = since(inp.now, GRIEVANCE_DAYS)
    found: dict[str, list[tuple[dt.datetime, str, str | None]]] = defaultdict(list)
    for item in inp.interactions:
        if item.occurred_at < start or not _aggrieved(item):
            continue
        # In the order the signals were recorded: a set's order differs between processes.
        for kind in dict.fromkeys(GRIEVANCE_SIGNALS[s] for s in item.signals if s in GRIEVANCE_SIGNALS):
            found[kind].append((item.occurred_at, item.token, None))
    for ticket in inp.tickets:
        if ticket.opened_at < start:
            continue
        if category := GRIEVANCE_TICKETS.get(ticket.category):
            found[category].append((ticket.opened_at, ticket.token, ticket.subject))
        if ticket.breached(inp.now):
            found["delay"].append((ticket.sla_due_at, ticket.token, ticket.subject))
    out = []
    for kind, events in found.items():
        events.sort(key=lambda e: e[0], reverse=True)
        subject = next((e[2] for e in events if e[2]), None)
        out.append(Grievance(kind, events[0][0], len(events), tokens(e[1] for e in events), subject))
    out.sort(key=lambda g: g.latest, reverse=True)
    return out


def _aggrieved(item: InteractionFact) -> bool:
    """Their own message not in a good mood, or our note of the contact in a clearly bad one.

    Our outbound notes also describe what we did about a problem («SNI رو عوض کردیم»), which carries
    the problem's signals without being a grievance.
    """
    if item.direction == "inbound":
        return item.score is None or item.score <= 0.1
    return item.score is not None and item.score < -0.1


def wholehearted(item: InteractionFact) -> bool:
    """Interest or praise that is not also a complaint or talk of leaving in the same breath."""
    return item.outcome != "complaint" and not set(CHURN_SIGNALS) & set(item.signals)


@dataclass(frozen=True, slots=True)
class UsageTrend:
    first: UsageFact | None
    latest: UsageFact | None
    change_pct: float | None
    weeks: int
    limit_share: float | None  # latest total users / tier user limit

    @property
    def evidence(self) -> tuple[str, ...]:
        return tokens(u for u in (self.latest, self.first) if u is not None)


def usage_trend(inp: PrepInput) -> UsageTrend:
    points = inp.usage
    if not points:
        return UsageTrend(None, None, None, 0, None)
    first, latest = points[0], points[-1]
    change = None
    if len(points) >= 2 and first.active_users > 0:
        change = round((latest.active_users - first.active_users) / first.active_users * 100, 1)
    weeks = max(0, round((latest.taken_at - first.taken_at).days / 7))
    limit = inp.rep.tier_user_limit
    share = round(latest.total_users / limit, 3) if limit else None
    return UsageTrend(first, latest, change, weeks, share)


@dataclass(frozen=True, slots=True)
class Payments:
    total: Decimal
    count: int
    evidence: tuple[str, ...]
    last_at: dt.datetime | None
    usual_gap_days: float | None


def payments(inp: PrepInput) -> Payments:
    start = since(inp.now, PAYMENT_WINDOW_DAYS)
    recent = [p for p in inp.payments if p.paid_at >= start]
    gaps = [
        (a.paid_at - b.paid_at).total_seconds() / 86400
        for a, b in zip(inp.payments, inp.payments[1:], strict=False)
    ][:6]
    usual = sorted(gaps)[len(gaps) // 2] if len(gaps) >= 2 else None
    return Payments(
        total=sum((p.amount_toman for p in recent), Decimal(0)),
        count=len(recent),
        evidence=tokens(recent),
        last_at=inp.payments[0].paid_at if inp.payments else None,
        usual_gap_days=usual,
    )


def payment_gap(inp: PrepInput, paid: Payments) -> float | None:
    """Days since the last payment when that is unusually long for this representative."""
    if paid.last_at is None or paid.usual_gap_days is None:
        return None
    silent = (inp.now - paid.last_at).total_seconds() / 86400
    threshold = max(MIN_PAYMENT_GAP_DAYS, paid.usual_gap_days * PAYMENT_GAP_FACTOR)
    return round(silent) if silent > threshold else None


def with_signals(inp: PrepInput, names: Sequence[str], days: int) -> list[InteractionFact]:
    start = since(inp.now, days)
    return [i for i in inp.interactions if i.occurred_at >= start and any(s in i.signals for s in names)]


def churn_hints(inp: PrepInput) -> list[InteractionFact]:
    """Words pointing at churn (customers leaving, losses, money back) without talk of leaving."""
    return [
        i
        for i in with_signals(inp, ("churn_signal",), SIGNAL_DAYS)
        if not set(LEAVING_SIGNALS) & set(i.signals)
    ]


def with_outcome(inp: PrepInput, outcomes: Sequence[str], days: int) -> list[InteractionFact]:
    start = since(inp.now, days)
    return [i for i in inp.interactions if i.occurred_at >= start and i.outcome in outcomes]


def open_tickets(inp: PrepInput) -> list[TicketFact]:
    """Open tickets, past-SLA ones first, then by due time."""
    found = [t for t in inp.tickets if t.is_open]
    return sorted(found, key=lambda t: (not t.breached(inp.now), t.sla_due_at))


def no_answer_streak(inp: PrepInput) -> list[InteractionFact]:
    calls = [i for i in inp.interactions if i.channel == "call" and i.direction == "outbound" and i.outcome]
    streak = []
    for call in calls:
        if call.outcome != "no_answer":
            break
        streak.append(call)
    return streak if len(streak) >= NO_ANSWER_STREAK else []


@dataclass(frozen=True, slots=True)
class BestTime:
    successes: int  # successful contacts in the sample
    attempts: int
    weekday: int | None  # Python weekday, Tehran
    weekday_successes: int
    slot_start: int | None  # Tehran hour, a SLOT_HOURS-long window
    slot_successes: int
    slot_attempts: int
    evidence: tuple[str, ...]

    @property
    def enough(self) -> bool:
        return self.slot_start is not None


def best_time(inp: PrepInput) -> BestTime:
    """When past contacts reached the representative, by weekday and two-hour window in Tehran."""
    slot_hits: Counter[int] = Counter()
    slot_tries: Counter[int] = Counter()
    day_hits: Counter[int] = Counter()
    by_slot: dict[int, list[str]] = defaultdict(list)
    successes = 0
    for contact in inp.contacts:
        local = contact.occurred_at.astimezone(TEHRAN)
        slot = local.hour // SLOT_HOURS * SLOT_HOURS
        slot_tries[slot] += 1
        if contact.outcome in SUCCESS_OUTCOMES:
            successes += 1
            slot_hits[slot] += 1
            day_hits[local.weekday()] += 1
            by_slot[slot].append(f"i_{contact.id}")
    attempts = sum(slot_tries.values())
    if successes < BEST_TIME_MIN_SUCCESSES:
        return BestTime(successes, attempts, None, 0, None, 0, 0, ())
    slot, hits = max(slot_hits.items(), key=lambda kv: (kv[1], kv[1] / slot_tries[kv[0]], -kv[0]))
    day, day_count = max(day_hits.items(), key=lambda kv: (kv[1], -kv[0]))
    if hits < BEST_SLOT_MIN:
        return BestTime(successes, attempts, None, 0, None, 0, 0, ())
    return BestTime(
        successes,
        attempts,
        day if day_count >= BEST_SLOT_MIN else None,
        day_count,
        slot,
        hits,
        slot_tries[slot],
        tuple(by_slot[slot][:MAX_EVIDENCE]),
    )


@dataclass(frozen=True, slots=True)
class RegisterFinding:
    preferred: str  # formal | informal | unknown
    formal: int
    informal: int
    evidence: tuple[str, ...]


def register(inp: PrepInput) -> RegisterFinding:
    """How the representative addresses us in their own messages («شما» or first-name familiarity)."""
    formal: list[str] = []
    informal: list[str] = []
    inbound = [item for item in inp.interactions if item.direction == "inbound"][:REGISTER_SAMPLE]
    for item in inbound:
        flag = item.formal
        if flag is None and item.body:
            detected = detect_register(item.body)
            flag = None if detected == "unknown" else detected == "formal"
        if flag is True:
            formal.append(item.token)
        elif flag is False:
            informal.append(item.token)
    total = len(formal) + len(informal)
    if total < REGISTER_MIN_MESSAGES:
        return RegisterFinding("unknown", len(formal), len(informal), tokens(formal + informal))
    if len(informal) / total >= 0.6:
        return RegisterFinding("informal", len(formal), len(informal), tokens(informal))
    if len(formal) / total >= 0.6:
        return RegisterFinding("formal", len(formal), len(informal), tokens(formal))
    return RegisterFinding("unknown", len(formal), len(informal), tokens(formal + informal))


@dataclass(frozen=True, slots=True)
class OperatorNote:
    operator: str  # the ISP's entity key (ai.text.entities); phrase banks name it
    count: int
    evidence: tuple[str, ...]


def operator_trouble(inp: PrepInput) -> OperatorNote | None:
    """The operator most of their connectivity trouble names, when at least two records agree."""
    start = since(inp.now, GRIEVANCE_DAYS)
    mentions: dict[str, list[str]] = defaultdict(list)
    texts: list[tuple[str, str]] = [
        (i.token, f"{i.summary or ''} {i.body or ''}")
        for i in inp.interactions
        if i.occurred_at >= start and ({"outage_report", "slow_connection"} & set(i.signals))
    ]
    texts += [
        (t.token, t.subject) for t in inp.tickets if t.opened_at >= start and t.category == "connectivity"
    ]
    for token, text in texts:
        for key in named(text):
            if kind_of(key) == "isp":
                mentions[key].append(token)
    if not mentions:
        return None
    operator, found = max(mentions.items(), key=lambda kv: (len(kv[1]), name_of(kv[0])))
    return OperatorNote(operator, len(found), tokens(found)) if len(found) >= 2 else None
