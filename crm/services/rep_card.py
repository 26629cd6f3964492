"""The rep card: one representative with its recent history, each part from an indexed query."""

from __future__ import annotations

from sqlalchemy import select

from crm.db import UnitOfWork
from crm.enums import OPEN_TICKET_STATUSES
from crm.errors import NotFound
from crm.models import CrtAgent, Interaction, Payment, Representative, ServiceTier, Ticket, UsageSnapshot
from crm.schemas.activity import InteractionDTO, TicketDTO
from crm.schemas.card import RepCard, UsageTrend
from crm.schemas.finance import PaymentDTO, UsageDTO
from crm.schemas.people import AgentRef, RepresentativeDTO, TierDTO

INTERACTIONS_SHOWN = 20
PAYMENTS_SHOWN = 5
USAGE_POINTS = 8


def _trend(points: list[UsageDTO]) -> UsageTrend:
    change = None
    if len(points) >= 2 and points[0].active_users > 0:
        change = round((points[-1].active_users - points[0].active_users) / points[0].active_users * 100, 1)
    return UsageTrend(latest=points[-1] if points else None, points=points, active_users_change_pct=change)


async def load(uow: UnitOfWork, rep_id: int) -> RepCard:
    session = uow.session
    head = (
        await session.execute(
            select(Representative, ServiceTier, CrtAgent)
            .outerjoin(ServiceTier, ServiceTier.id == Representative.tier_id)
            .outerjoin(CrtAgent, CrtAgent.id == Representative.assigned_agent_id)
            .where(Representative.id == rep_id)
        )
    ).first()
    if head is None:
        raise NotFound(f"representative {rep_id} not found", rep_id=rep_id)
    rep, tier, agent = head
    interactions = (
        await session.scalars(
            select(Interaction)
            .where(Interaction.representative_id == rep_id)
            .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
            .limit(INTERACTIONS_SHOWN)
        )
    ).all()
    open_tickets = (
        await session.scalars(
            select(Ticket)
            .where(
                Ticket.representative_id == rep_id, Ticket.status.in_([s.value for s in OPEN_TICKET_STATUSES])
            )
            .order_by(Ticket.sla_due_at, Ticket.id)
        )
    ).all()
    payments = (
        await session.scalars(
            select(Payment)
            .where(Payment.representative_id == rep_id)
            .order_by(Payment.paid_at.desc(), Payment.id.desc())
            .limit(PAYMENTS_SHOWN)
        )
    ).all()
    usage = (
        await session.scalars(
            select(UsageSnapshot)
            .where(UsageSnapshot.representative_id == rep_id)
            .order_by(UsageSnapshot.taken_at.desc())
            .limit(USAGE_POINTS)
        )
    ).all()
    return RepCard(
        representative=RepresentativeDTO.model_validate(rep),
        tier=TierDTO.model_validate(tier) if tier else None,
        assigned_agent=AgentRef.model_validate(agent) if agent else None,
        last_contact_at=interactions[0].occurred_at if interactions else None,
        interactions=[InteractionDTO.model_validate(i) for i in interactions],
        open_tickets=[TicketDTO.model_validate(t) for t in open_tickets],
        payments=[PaymentDTO.model_validate(p) for p in payments],
        usage=_trend([UsageDTO.model_validate(u) for u in reversed(usage)]),
    )
