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
from typing import Any, Final

from sqlalchemy import case, func, select, union_all

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
from crm.schemas.types import Actor
from crm.services import call_prep_arc, sentiment

INTERACTIONS: Final = 200
CONTACTS: Final = 400
CONTACT_DAYS: Final = 365
CLOSED_TICKETS: Final = 15
PAYMENTS: Final = 24
INVOICES: Final = 12
USAGE_POINTS: Final = 12
ANALYSE_UNSCORED: Final = 30  # rows are scored when logged; this covers imports not yet backfilled
BODY_CHARS: Final = 800
# Signals that read feelings rather than topics: left out for a representative who opted out.
_OPEN = [s.value for s in OPEN_TICKET_STATUSES]


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
    return found if profiling else tuple(s for s in found if s not in sentiment.FEELING_SIGNALS)


async def _profile(uow: UnitOfWork, rep_id: int) -> tuple[RepProfile, int]:
    """The profile and the interaction count (an index-only scan), in one round trip."""
    r = Representative
    total = select(func.count()).where(Interaction.representative_id == rep_id).scalar_subquery()
    head = (
        await uow.session.execute(
            select(
                r.id,
                r.code,
                r.full_name,
                r.status,
                r.city,
                r.province,
                r.joined_at,
                r.created_at,
                r.profiling_opt_out,
                ServiceTier.name,
                ServiceTier.user_limit,
                ServiceTier.monthly_price_toman,
                CrtAgent.full_name,
                total,
            )
            .outerjoin(ServiceTier, ServiceTier.id == r.tier_id)
            .outerjoin(CrtAgent, CrtAgent.id == r.assigned_agent_id)
            .where(r.id == rep_id)
        )
    ).first()
    if head is None:
        raise NotFound(f"representative {rep_id} not found", rep_id=rep_id)
    profile = RepProfile(
        id=head[0],
        code=head[1],
        full_name=head[2],
        status=head[3],
        city=head[4],
        province=head[5],
        joined_at=head[6],
        created_at=head[7],
        profiling_opt_out=head[8],
        tier_name=head[9],
        tier_user_limit=head[10],
        tier_monthly_price=head[11],
        assigned_agent_name=head[12],
    )
    return profile, int(head[13])


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
                i.crt_authored,
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
        elif (
            profiling
            and not row.crt_authored
            and budget > 0
            and (text := (row[6] or row.summary or "").strip())
        ):
            budget -= 1  # an imported row not backfilled yet; text CRT sent is never the rep's mood
            result = sentiment.offline_analyzer().analyze(text)
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


async def _tickets(uow: UnitOfWork, rep_id: int) -> list[TicketFact]:
    """Open tickets and the newest closed ones, in one statement (both halves use the status index)."""
    t = Ticket
    columns = (t.id, t.category, t.priority, t.status, t.subject, t.opened_at, t.sla_due_at, t.resolved_at)
    open_ = select(*columns).where(t.representative_id == rep_id, t.status.in_(_OPEN))
    closed = (
        select(*columns)
        .where(t.representative_id == rep_id, t.status.not_in(_OPEN))
        .order_by(t.opened_at.desc())
        .limit(CLOSED_TICKETS)
    )
    rows = (await uow.session.execute(union_all(open_, closed.subquery().select()))).all()
    facts = [TicketFact(*row) for row in rows]
    facts.sort(key=lambda f: (not f.is_open, -f.opened_at.timestamp()))
    return facts


async def load(uow: UnitOfWork, rep_id: int, now: dt.datetime, actor: Actor | None = None) -> PrepInput:
    """``actor`` is who views the emotional arc (audited by the arc service); the CLI by default."""
    rep, total = await _profile(uow, rep_id)
    session = uow.session
    profiling = not rep.profiling_opt_out
    interactions = await _interactions(uow, rep_id, profiling=profiling)
    i = Interaction
    contacts = (
        await session.execute(
            select(i.id, i.occurred_at, i.outcome, i.channel, i.direction)
            .where(
                i.representative_id == rep_id,
                i.occurred_at >= now - dt.timedelta(days=CONTACT_DAYS),
                i.outcome.is_not(None),
            )
            .order_by(i.occurred_at.desc())
            .limit(CONTACTS)
        )
    ).all()
    tickets = await _tickets(uow, rep_id)
    p = Payment
    payments = [
        PaymentFact(row.id, Decimal(row.amount_toman), row.paid_at, row.method)
        for row in await session.execute(
            select(p.id, p.amount_toman, p.paid_at, p.method)
            .where(p.representative_id == rep_id)
            .order_by(p.paid_at.desc())
            .limit(PAYMENTS)
        )
    ]
    v = Invoice
    unpaid_first = case((v.status.in_(("open", "overdue")), 0), else_=1)
    invoices = [
        InvoiceFact(*row)
        for row in await session.execute(
            select(v.id, v.number, v.amount_toman, v.issued_at, v.due_at, v.status, v.paid_at)
            .where(v.representative_id == rep_id)
            .order_by(unpaid_first, v.issued_at.desc())
            .limit(INVOICES)
        )
    ]
    u = UsageSnapshot
    usage = [
        UsageFact(*row)
        for row in await session.execute(
            select(u.id, u.taken_at, u.active_users, u.total_users)
            .where(u.representative_id == rep_id)
            .order_by(u.taken_at.desc())
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
        arc=await call_prep_arc.load(uow, rep_id, actor or Actor.cli(), now) if profiling else None,
    )
