"""Tickets: open, comment, move along the allowed transitions, resolve."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ai.text.persian import normalize
from crm import audit
from crm.db import UnitOfWork
from crm.enums import (
    OPEN_TICKET_STATUSES,
    TICKET_SLA_HOURS,
    TICKET_TRANSITIONS,
    TicketEventKind,
    TicketStatus,
)
from crm.errors import AlreadyExists, InvalidTransition, NotFound, ValidationFailed
from crm.models import Representative, Ticket, TicketEvent
from crm.schemas.activity import TicketDTO, TicketEventDTO, TicketOpen
from crm.schemas.types import Actor


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def open_ticket(uow: UnitOfWork, data: TicketOpen, actor: Actor) -> TicketDTO:
    if await uow.session.get(Representative, data.representative_id) is None:
        raise NotFound(f"representative {data.representative_id} not found", rep_id=data.representative_id)
    opened_at = data.opened_at or _now()
    ticket = Ticket(
        external_ref=data.external_ref,
        representative_id=data.representative_id,
        opened_by_agent_id=actor.id if actor.type == "agent" else None,
        assigned_agent_id=data.assigned_agent_id,
        category=data.category.value,
        priority=data.priority.value,
        status=TicketStatus.OPEN.value,
        subject=data.subject,
        description=data.description,
        opened_at=opened_at,
        sla_due_at=opened_at + dt.timedelta(hours=TICKET_SLA_HOURS[data.priority]),
    )
    uow.session.add(ticket)
    try:
        await uow.session.flush()
    except IntegrityError as exc:
        await uow.rollback()
        raise AlreadyExists(
            f"ticket {data.external_ref!r} already exists", external_ref=data.external_ref
        ) from exc
    uow.session.add(
        TicketEvent(ticket_id=ticket.id, actor_agent_id=_agent_id(actor), kind=TicketEventKind.CREATED.value)
    )
    await uow.session.refresh(ticket)
    dto = TicketDTO.model_validate(ticket)
    audit.record(uow.session, actor, "ticket.open", "ticket", ticket.id, after=dto)
    await uow.commit()
    return dto


def _agent_id(actor: Actor) -> int | None:
    return actor.id if actor.type == "agent" else None


async def _locked(uow: UnitOfWork, ticket_id: int) -> Ticket:
    ticket = await uow.session.get(Ticket, ticket_id, with_for_update=True)
    if ticket is None:
        raise NotFound(f"ticket {ticket_id} not found", ticket_id=ticket_id)
    return ticket


async def comment(uow: UnitOfWork, ticket_id: int, body: str, actor: Actor) -> TicketEventDTO:
    text = normalize(body)
    if not text:
        raise ValidationFailed("a comment needs text")
    await _locked(uow, ticket_id)
    event = TicketEvent(
        ticket_id=ticket_id, actor_agent_id=_agent_id(actor), kind=TicketEventKind.COMMENT.value, body=text
    )
    uow.session.add(event)
    await uow.session.flush()
    await uow.session.refresh(event)
    dto = TicketEventDTO.model_validate(event)
    audit.record(uow.session, actor, "ticket.comment", "ticket", ticket_id, after={"event_id": event.id})
    await uow.commit()
    return dto


def allowed_transitions(status: TicketStatus) -> frozenset[TicketStatus]:
    return TICKET_TRANSITIONS[status]


async def transition(
    uow: UnitOfWork, ticket_id: int, to_status: TicketStatus, actor: Actor, *, resolution: str | None = None
) -> TicketDTO:
    ticket = await _locked(uow, ticket_id)
    current = TicketStatus(ticket.status)
    if to_status not in TICKET_TRANSITIONS[current]:
        raise InvalidTransition(
            f"ticket {ticket_id} cannot move from {current} to {to_status}",
            entity="ticket",
            ticket_id=ticket_id,
            from_status=current.value,
            to_status=to_status.value,
        )
    before = TicketDTO.model_validate(ticket)
    if to_status == TicketStatus.RESOLVED:
        text = normalize(resolution or "")
        if not text:
            raise ValidationFailed("resolving a ticket needs a resolution text")
        ticket.resolution = text
        ticket.resolved_at = _now()
    elif to_status == TicketStatus.OPEN:
        ticket.resolved_at = None
    ticket.status = to_status.value
    uow.session.add(
        TicketEvent(
            ticket_id=ticket_id,
            actor_agent_id=_agent_id(actor),
            kind=TicketEventKind.STATUS_CHANGE.value,
            from_status=current.value,
            to_status=to_status.value,
            body=ticket.resolution if to_status == TicketStatus.RESOLVED else None,
        )
    )
    await uow.session.flush()
    await uow.session.refresh(ticket)
    after = TicketDTO.model_validate(ticket)
    audit.record(uow.session, actor, "ticket.transition", "ticket", ticket_id, before=before, after=after)
    await uow.commit()
    return after


async def resolve(uow: UnitOfWork, ticket_id: int, resolution: str, actor: Actor) -> TicketDTO:
    return await transition(uow, ticket_id, TicketStatus.RESOLVED, actor, resolution=resolution)


async def get(uow: UnitOfWork, ticket_id: int) -> TicketDTO:
    ticket = await uow.session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound(f"ticket {ticket_id} not found", ticket_id=ticket_id)
    return TicketDTO.model_validate(ticket)


async def events(uow: UnitOfWork, ticket_id: int) -> list[TicketEventDTO]:
    rows = await uow.session.scalars(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket_id)
        .order_by(TicketEvent.created_at, TicketEvent.id)
    )
    return [TicketEventDTO.model_validate(row) for row in rows]


async def list_for_rep(
    uow: UnitOfWork, rep_id: int, *, open_only: bool = False, limit: int = 20
) -> list[TicketDTO]:
    query = (
        select(Ticket)
        .where(Ticket.representative_id == rep_id)
        .order_by(Ticket.opened_at.desc())
        .limit(limit)
    )
    if open_only:
        query = query.where(Ticket.status.in_([s.value for s in OPEN_TICKET_STATUSES]))
    return [TicketDTO.model_validate(row) for row in await uow.session.scalars(query)]
