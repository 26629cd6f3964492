"""What call prep works from: plain, typed facts about one representative, loaded by the CRM.

Lists are bounded by the loader (the newest rows within fixed caps), so a representative with ten
thousand interactions costs the same as one with two hundred. Times are timezone-aware UTC.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from ai.coaching import EmotionalArc


@dataclass(frozen=True, slots=True)
class RepProfile:
    id: int
    code: str
    full_name: str
    status: str  # active | paused | churned
    city: str | None = None
    province: str | None = None
    joined_at: dt.datetime | None = None
    created_at: dt.datetime | None = None
    tier_name: str | None = None
    tier_user_limit: int | None = None
    tier_monthly_price: Decimal | None = None
    assigned_agent_name: str | None = None
    profiling_opt_out: bool = False


@dataclass(frozen=True, slots=True)
class InteractionFact:
    id: int
    occurred_at: dt.datetime
    channel: str
    direction: str  # inbound = from the representative
    outcome: str | None
    summary: str | None
    body: str | None
    score: float | None = None  # sentiment in [-1, 1]; None when not analysed (or profiling is off)
    signals: tuple[str, ...] = ()
    emotions: tuple[str, ...] = ()  # dominant emotions, strongest first
    formal: bool | None = None  # «شما» register in their own words

    @property
    def token(self) -> str:
        return f"i_{self.id}"

    @property
    def text(self) -> str:
        """The agent's summary, else the body: how the contact is listed."""
        return (self.summary or self.body or "").strip()

    @property
    def words(self) -> str:
        """What was actually said (the body), else the summary: what quotes and signals rest on."""
        return (self.body or self.summary or "").strip()


@dataclass(frozen=True, slots=True)
class TicketFact:
    id: int
    category: str
    priority: str
    status: str
    subject: str
    opened_at: dt.datetime
    sla_due_at: dt.datetime
    resolved_at: dt.datetime | None = None

    @property
    def token(self) -> str:
        return f"t_{self.id}"

    @property
    def is_open(self) -> bool:
        return self.status in ("open", "in_progress", "waiting_rep")

    def breached(self, now: dt.datetime) -> bool:
        if self.is_open:
            return now > self.sla_due_at
        return self.resolved_at is not None and self.resolved_at > self.sla_due_at


@dataclass(frozen=True, slots=True)
class PaymentFact:
    id: int
    amount_toman: Decimal
    paid_at: dt.datetime
    method: str

    @property
    def token(self) -> str:
        return f"p_{self.id}"


@dataclass(frozen=True, slots=True)
class InvoiceFact:
    id: int
    number: str
    amount_toman: Decimal
    issued_at: dt.datetime
    due_at: dt.datetime
    status: str  # open | paid | overdue | void
    paid_at: dt.datetime | None = None

    @property
    def token(self) -> str:
        return f"v_{self.id}"

    def unpaid_past_due(self, now: dt.datetime) -> bool:
        return self.status in ("open", "overdue") and now > self.due_at


@dataclass(frozen=True, slots=True)
class UsageFact:
    id: int
    taken_at: dt.datetime
    active_users: int
    total_users: int

    @property
    def token(self) -> str:
        return f"u_{self.id}"


@dataclass(frozen=True, slots=True)
class ContactFact:
    """A past contact attempt with a recorded outcome, for the best time to call."""

    id: int
    occurred_at: dt.datetime
    outcome: str
    channel: str
    direction: str


@dataclass(frozen=True, slots=True)
class ArcTrigger:
    key: str  # "ticket:billing", "outage", "topic:price_complaint" …
    count: int  # negative shifts it preceded
    lift: float  # > 1: precedes a drop more often than it precedes any message
    evidence: tuple[str, ...]  # the trigger records, as tokens
    shifts: tuple[str, ...]  # the drops they preceded


@dataclass(frozen=True, slots=True)
class ArcTurn:
    kind: str  # peak | trough
    at: dt.datetime
    token: str


@dataclass(frozen=True, slots=True)
class ArcSummary:
    """What call prep uses of a representative's emotional arc (``ai.coaching``), ids as tokens."""

    current: float | None  # smoothed mood now, in [-1, 1]
    trend_direction: str  # improving | declining | stable | unknown
    trend_slope: float  # per 30 days
    trend_n: int
    trend_evidence: tuple[str, ...]
    turning_points: tuple[ArcTurn, ...] = ()
    triggers: tuple[ArcTrigger, ...] = ()
    satisfaction: tuple[str, ...] = ()  # interactions of satisfaction moments, oldest first
    evidence: frozenset[str] = frozenset()  # every record the arc rests on

    @classmethod
    def of(cls, arc: EmotionalArc) -> ArcSummary:
        """From an arc whose event ids are already tokens (``i_12``, ``t_3``, ``p_7``)."""
        return cls(
            current=arc.current,
            trend_direction=arc.trend.direction,
            trend_slope=arc.trend.slope_per_30d,
            trend_n=arc.trend.n,
            trend_evidence=arc.trend.evidence_ids,
            turning_points=tuple(ArcTurn(t.kind, t.at, t.event_id) for t in arc.turning_points),
            triggers=tuple(
                ArcTrigger(t.key, t.count, t.lift, t.evidence_ids, t.shift_ids) for t in arc.triggers
            ),
            satisfaction=tuple(m.event_id for m in arc.satisfaction_moments),
            evidence=frozenset(arc.evidence_ids),
        )


@dataclass(frozen=True, slots=True)
class PrepInput:
    rep: RepProfile
    now: dt.datetime
    interactions: tuple[InteractionFact, ...] = ()  # newest first
    interaction_total: int = 0
    tickets: tuple[TicketFact, ...] = ()  # open ones, then recent closed ones, newest first
    payments: tuple[PaymentFact, ...] = ()  # newest first
    invoices: tuple[InvoiceFact, ...] = ()  # newest first
    usage: tuple[UsageFact, ...] = ()  # oldest first
    contacts: tuple[ContactFact, ...] = ()  # newest first
    arc: ArcSummary | None = None  # None when profiling is off or nothing was scored

    @property
    def has_history(self) -> bool:
        return bool(self.interactions or self.tickets or self.payments or self.invoices)

    def known_tokens(self) -> frozenset[str]:
        """Every record this input holds: the only evidence a briefing built from it may cite."""
        tokens: set[str] = set()
        for group in (self.interactions, self.tickets, self.payments, self.invoices, self.usage):
            tokens.update(item.token for item in group)
        tokens.update(f"i_{contact.id}" for contact in self.contacts)
        if self.arc is not None:
            tokens.update(self.arc.evidence)
        return frozenset(tokens)
