"""The rep card: one representative with its recent history, in one round trip of indexed scans."""

from __future__ import annotations

from sqlalchemy import text

from crm.db import UnitOfWork
from crm.enums import OPEN_TICKET_STATUSES
from crm.errors import NotFound
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


# One round trip: the representative with its tier and agent, and each list as an array of whole rows
# (asyncpg decodes them with their column types). Each array is an index range scan with its limit.
_CARD = text(
    """
    SELECT r AS rep, t AS tier, a.id AS agent_id, a.full_name AS agent_name,
      ARRAY(SELECT i FROM interaction AS i WHERE i.representative_id = r.id
            ORDER BY i.occurred_at DESC, i.id DESC LIMIT :interactions) AS interactions,
      ARRAY(SELECT k FROM ticket AS k WHERE k.representative_id = r.id AND k.status = ANY(:open_statuses)
            ORDER BY k.sla_due_at, k.id) AS open_tickets,
      ARRAY(SELECT p FROM payment AS p WHERE p.representative_id = r.id
            ORDER BY p.paid_at DESC, p.id DESC LIMIT :payments) AS payments,
      ARRAY(SELECT u FROM usage_snapshot AS u WHERE u.representative_id = r.id
            ORDER BY u.taken_at DESC LIMIT :usage) AS usage
    FROM representative AS r
    LEFT JOIN service_tier AS t ON t.id = r.tier_id
    LEFT JOIN crt_agent AS a ON a.id = r.assigned_agent_id
    WHERE r.id = :rep_id
    """
)
_OPEN_STATUSES = [status.value for status in OPEN_TICKET_STATUSES]


async def load(uow: UnitOfWork, rep_id: int) -> RepCard:
    params = {
        "rep_id": rep_id,
        "interactions": INTERACTIONS_SHOWN,
        "payments": PAYMENTS_SHOWN,
        "usage": USAGE_POINTS,
        "open_statuses": _OPEN_STATUSES,
    }
    row = (await uow.session.execute(_CARD, params)).first()
    if row is None:
        raise NotFound(f"representative {rep_id} not found", rep_id=rep_id)
    interactions = [InteractionDTO.model_validate(dict(item)) for item in row.interactions]
    return RepCard(
        representative=RepresentativeDTO.model_validate(dict(row.rep)),
        tier=TierDTO.model_validate(dict(row.tier)) if row.tier is not None else None,
        assigned_agent=AgentRef(id=row.agent_id, full_name=row.agent_name) if row.agent_id else None,
        last_contact_at=interactions[0].occurred_at if interactions else None,
        interactions=interactions,
        open_tickets=[TicketDTO.model_validate(dict(item)) for item in row.open_tickets],
        payments=[PaymentDTO.model_validate(dict(item)) for item in row.payments],
        usage=_trend([UsageDTO.model_validate(dict(item)) for item in reversed(row.usage)]),
    )
