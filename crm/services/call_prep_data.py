"""Load what call prep needs about one representative: bounded, indexed queries, plain facts out.

Every list is capped (newest first), so the cost does not grow with a representative's history:
the interaction queries walk ``ix_interaction_representative_id_occurred_at`` backwards and stop at
the cap, tickets use ``ix_ticket_representative_id_status``, payments, invoices and usage their
``(representative_id, time DESC)`` indexes. Sentiment comes from the stored columns; the newest
unscored interactions are analysed in memory with the offline engine (nothing is written here). For a
representative who opted out of profiling no sentiment, emotion or register is read or computed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import cache
from typing import Any, Final

from sqlalchemy import case, func, select

from ai.call_prep.inputs import (
    ContactFact,
    InteractionFact,
    InvoiceFact,
    PaymentFact,
    PrepInput,
    RepProfile,
    TicketFact,
    UsageFact,
)
from ai.sentiment import LexiconSentimentAnalyzer
from crm.db import UnitOfWork
from crm.enums import OPEN_TICKET_STATUSES
from crm.errors import NotFound
from crm.models import (
    CrtAgent,
    Interaction,
    Invoice,
    Payment,
    Representative,
    ServiceTier,
    Ticket,
    UsageSnapshot,
)
from crm.services.call_prep_arc import arc_for

INTERACTIONS: Final = 200
CONTACTS: Final = 600
CONTACT_DAYS: Final = 365
CLOSED_TICKETS: Final = 15
PAYMENTS: Final = 24
INVOICES: Final = 12
USAGE_POINTS: Final = 12
ANALYSE_UNSCORED: Final = 60
BODY_CHARS: Final = 800
# Signals that read feelings rather than topics: left out for a representative who opted out.
FEELING_SIGNALS: Final = frozenset({"churn_signal", "praise_agent"})
_OPEN = [s.value for s in OPEN_TICKET_STATUSES]


@cache
def _analyzer() -> LexiconSentimentAnalyzer:
    return LexiconSentimentAnalyzer()


def _top_emotions(emotions: Mapping[str, Any] | None) -> tuple[str, ...]:
    """Dominant emotions of a stored analysis (same rule as ``SentimentResult.top_emotions``)."""
    if not emotions:
        return ()
    values = {k: float(v) for k, v in emotions.items() if isinstance(v, int | float)}
    if not values:
        return ()
    top = max(values.values())
    present = sorted((k for k, v in values.items() if v >= max(0.5, 0.8 * top)), key=lambda k: -values[k])
    if present:
        return tuple(present)
    best = max(values, key=lambda k: values[k])
    return (best,) if top >= 0.25 else ()


def _signals(raw: Sequence[Any] | None, *, profiling: bool) -> tuple[str, ...]:
    found = tuple(s for s in raw or () if isinstance(s, str))
    return found if profiling else tuple(s for s in found if s not in FEELING_SIGNALS)


async def _profile(uow: UnitOfWork, rep_id: int) -> RepProfile:
    head = (
        await uow.session.execute(
            select(Representative, ServiceTier, CrtAgent.full_name)
            .outerjoin(ServiceTier, ServiceTier.id == Representative.tier_id)
            .outerjoin(CrtAgent, CrtAgent.id == Representative.assigned_agent_id)
            .where(Representative.id == rep_id)
        )
    ).first()
    if head is None:
        raise NotFound(f"representative {rep_id} not found", rep_id=rep_id)
    rep, tier, agent_name = head
    return RepProfile(
        id=rep.id,
        code=rep.code,
        full_name=rep.full_name,
        status=rep.status,
        city=rep.city,
        province=rep.province,
        joined_at=rep.joined_at,
        created_at=rep.created_at,
        tier_name=tier.name if tier else None,
        tier_user_limit=tier.user_limit if tier else None,
        tier_monthly_price=tier.monthly_price_toman if tier else None,
        assigned_agent_name=agent_name,
        profiling_opt_out=rep.profiling_opt_out,
    )


async def _interactions(uow: UnitOfWork, rep_id: int, *, profiling: bool) -> list[InteractionFact]:
    i = Interaction
    rows = (
        await uow.session.execute(
            select(
                i.id,
                i.occurred_at,
                i.channel,
                i.direction,
                i.outcome,
                i.summary,
                func.left(i.body, BODY_CHARS),
                i.sentiment_label,
                i.sentiment_score,
                i.emotions,
                i.signals,
            )
            .where(i.representative_id == rep_id)
            .order_by(i.occurred_at.desc())
            .limit(INTERACTIONS)
        )
    ).all()
    facts: list[InteractionFact] = []
    budget = ANALYSE_UNSCORED
    for row in rows:
        score: float | None = None
        emotions: tuple[str, ...] = ()
        signals = _signals(row.signals, profiling=profiling)
        if profiling and row.sentiment_label is not None and row.sentiment_score is not None:
            score, emotions = float(row.sentiment_score), _top_emotions(row.emotions)
        elif profiling and budget > 0 and (text := (row[6] or row.summary or "").strip()):
            budget -= 1
            result = _analyzer().analyze(text)
            score, emotions, signals = result.score, tuple(result.top_emotions()), tuple(result.signals)
        facts.append(
            InteractionFact(
                id=row.id,
                occurred_at=row.occurred_at,
                channel=row.channel,
                direction=row.direction,
                outcome=row.outcome,
                summary=row.summary,
                body=row[6],
                score=score,
                signals=signals,
                emotions=emotions,
            )
        )
    return facts


async def load(uow: UnitOfWork, rep_id: int, now: dt.datetime) -> PrepInput:
    rep = await _profile(uow, rep_id)
    session = uow.session
    profiling = not rep.profiling_opt_out
    interactions = await _interactions(uow, rep_id, profiling=profiling)
    total = int(
        await session.scalar(select(func.count()).where(Interaction.representative_id == rep_id)) or 0
    )
    contacts = (
        await session.execute(
            select(
                Interaction.id,
                Interaction.occurred_at,
                Interaction.outcome,
                Interaction.channel,
                Interaction.direction,
            )
            .where(
                Interaction.representative_id == rep_id,
                Interaction.occurred_at >= now - dt.timedelta(days=CONTACT_DAYS),
                Interaction.outcome.is_not(None),
            )
            .order_by(Interaction.occurred_at.desc())
            .limit(CONTACTS)
        )
    ).all()
    open_tickets = await session.scalars(
        select(Ticket)
        .where(Ticket.representative_id == rep_id, Ticket.status.in_(_OPEN))
        .order_by(Ticket.opened_at.desc())
    )
    closed_tickets = await session.scalars(
        select(Ticket)
        .where(Ticket.representative_id == rep_id, Ticket.status.not_in(_OPEN))
        .order_by(Ticket.opened_at.desc())
        .limit(CLOSED_TICKETS)
    )
    tickets = [
        TicketFact(
            t.id, t.category, t.priority, t.status, t.subject, t.opened_at, t.sla_due_at, t.resolved_at
        )
        for t in [*open_tickets, *closed_tickets]
    ]
    payments = [
        PaymentFact(p.id, Decimal(p.amount_toman), p.paid_at, p.method)
        for p in await session.scalars(
            select(Payment)
            .where(Payment.representative_id == rep_id)
            .order_by(Payment.paid_at.desc())
            .limit(PAYMENTS)
        )
    ]
    unpaid_first = case((Invoice.status.in_(("open", "overdue")), 0), else_=1)
    invoices = [
        InvoiceFact(v.id, v.number, Decimal(v.amount_toman), v.issued_at, v.due_at, v.status, v.paid_at)
        for v in await session.scalars(
            select(Invoice)
            .where(Invoice.representative_id == rep_id)
            .order_by(unpaid_first, Invoice.issued_at.desc())
            .limit(INVOICES)
        )
    ]
    usage = [
        UsageFact(u.id, u.taken_at, u.active_users, u.total_users)
        for u in await session.scalars(
            select(UsageSnapshot)
            .where(UsageSnapshot.representative_id == rep_id)
            .order_by(UsageSnapshot.taken_at.desc())
            .limit(USAGE_POINTS)
        )
    ]
    usage.reverse()
    return PrepInput(
        rep=rep,
        now=now,
        interactions=tuple(interactions),
        interaction_total=total,
        tickets=tuple(tickets),
        payments=tuple(payments),
        invoices=tuple(invoices),
        usage=tuple(usage),
        contacts=tuple(ContactFact(c.id, c.occurred_at, c.outcome, c.channel, c.direction) for c in contacts),
        arc=arc_for(interactions, tickets, payments) if profiling else None,
    )
