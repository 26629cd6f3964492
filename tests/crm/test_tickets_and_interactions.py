from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from crm.db import UnitOfWork
from crm.enums import TICKET_TRANSITIONS, Channel, TicketCategory, TicketPriority, TicketStatus
from crm.errors import InvalidTransition, NotFound, ValidationFailed
from crm.schemas.activity import InteractionCreate, TicketOpen
from crm.schemas.types import Actor
from crm.services import interactions, tickets
from tests.factories import make_agent, make_rep


async def test_ticket_lifecycle_records_events_and_sla(uow: UnitOfWork) -> None:
    async with uow:
        agent = await make_agent(uow)
        rep = await make_rep(uow)
        actor = Actor.agent(agent.id)
        ticket = await tickets.open_ticket(
            uow,
            TicketOpen(
                representative_id=rep.id,
                category=TicketCategory.CONNECTIVITY,
                priority=TicketPriority.URGENT,
                subject="قطعي روي ايرانسل",
            ),
            actor,
        )
        assert ticket.subject == "قطعی روی ایرانسل"
        assert ticket.sla_due_at - ticket.opened_at == dt.timedelta(hours=4)
        await tickets.comment(uow, ticket.id, "با کاربر تماس گرفتم", actor)
        await tickets.transition(uow, ticket.id, TicketStatus.IN_PROGRESS, actor)
        with pytest.raises(ValidationFailed):
            await tickets.resolve(uow, ticket.id, "   ", actor)
        resolved = await tickets.resolve(uow, ticket.id, "کانفیگ Reality عوض شد", actor)
        assert resolved.status == TicketStatus.RESOLVED
        assert resolved.resolved_at is not None
        kinds = [e.kind for e in await tickets.events(uow, ticket.id)]
        assert kinds == ["created", "comment", "status_change", "status_change"]
        with pytest.raises(InvalidTransition):
            await tickets.transition(uow, ticket.id, TicketStatus.WAITING_REP, actor)
        reopened = await tickets.transition(uow, ticket.id, TicketStatus.OPEN, actor)
        assert reopened.resolved_at is None


async def test_comment_on_missing_ticket_is_not_found(uow: UnitOfWork) -> None:
    async with uow:
        with pytest.raises(NotFound):
            await tickets.comment(uow, 987654, "سلام", Actor.cli())


@pytest.mark.parametrize(("src", "dst"), list(itertools.product(TicketStatus, TicketStatus)))
async def test_trigger_mirrors_allowed_transitions(
    uow: UnitOfWork, src: TicketStatus, dst: TicketStatus
) -> None:
    if src == dst:
        return
    async with uow:
        rep = await make_rep(uow)
        resolved = src in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
        ticket_id = await uow.session.scalar(
            text(
                "INSERT INTO ticket (representative_id, category, subject, status, opened_at, sla_due_at, resolved_at, resolution) "
                "VALUES (:rep, 'panel', 's', :status, now(), now() + interval '1 day', :resolved_at, 'r') RETURNING id"
            ),
            {
                "rep": rep.id,
                "status": src.value,
                "resolved_at": dt.datetime.now(dt.UTC) if resolved else None,
            },
        )
        target_resolved = dst in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
        update = text(
            "UPDATE ticket SET status = :dst, resolved_at = CASE WHEN :r THEN now() END WHERE id = :id"
        )
        params = {"dst": dst.value, "r": target_resolved, "id": ticket_id}
        if dst in TICKET_TRANSITIONS[src]:
            await uow.session.execute(update, params)
        else:
            with pytest.raises(DBAPIError, match="cannot move"):
                async with uow.session.begin_nested():
                    await uow.session.execute(update, params)


async def test_interaction_log_is_idempotent(uow: UnitOfWork) -> None:
    async with uow:
        rep = await make_rep(uow)
        data = InteractionCreate(
            representative_id=rep.id,
            channel=Channel.CALL,
            occurred_at=dt.datetime(2025, 5, 1, 9, tzinfo=dt.UTC),
            summary="پيگيري فاکتور",
            source="bot",
            idempotency_key="update-1",
        )
        first, created = await interactions.log(uow, data, Actor.cli())
        again, created_again = await interactions.log(uow, data, Actor.cli())
        assert created
        assert not created_again
        assert first.id == again.id
        assert first.summary == "پیگیری فاکتور"
        assert [i.id for i in await interactions.list_for_rep(uow, rep.id)] == [first.id]
        with pytest.raises(NotFound):
            await interactions.log(uow, data.model_copy(update={"representative_id": 10**9}), Actor.cli())
