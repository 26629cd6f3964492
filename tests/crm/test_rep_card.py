"""`crm.services.rep_card.load`: what a representative's card shows and in which order."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest

from crm.db import UnitOfWork
from crm.enums import Channel, Direction, TicketCategory, TicketPriority, TicketStatus
from crm.errors import NotFound
from crm.schemas.activity import InteractionCreate, TicketOpen
from crm.schemas.finance import PaymentCreate, UsageCreate
from crm.schemas.types import Actor
from crm.services import finance, interactions, rep_card, tickets
from tests.factories import make_agent, make_rep, make_tier

T0 = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)


async def _interaction(uow: UnitOfWork, rep_id: int, at: dt.datetime, key: str) -> None:
    await interactions.log(
        uow,
        InteractionCreate(
            representative_id=rep_id,
            channel=Channel.CALL,
            direction=Direction.OUTBOUND,
            occurred_at=at,
            summary=f"پیگیری {key}",
            source="test",
            idempotency_key=key,
        ),
        Actor.cli(),
    )


async def _usage(uow: UnitOfWork, rep_id: int, week: int, active: int) -> None:
    await finance.record_usage(
        uow,
        UsageCreate(
            representative_id=rep_id,
            taken_at=T0 + dt.timedelta(weeks=week),
            active_users=active,
            total_users=active + 10,
            traffic_bytes=active * 5_000_000_000,
        ),
        Actor.cli(),
    )


async def test_last_twenty_interactions_newest_first(uow: UnitOfWork) -> None:
    async with uow:
        rep = await make_rep(uow)
        other = await make_rep(uow)
        hours = list(range(25))
        random.Random(3).shuffle(hours)  # insertion order must not matter
        for hour in hours:
            await _interaction(uow, rep.id, T0 + dt.timedelta(hours=hour), f"rep-{hour}")
        await _interaction(uow, other.id, T0 + dt.timedelta(days=30), "other-newest")

        card = await rep_card.load(uow, rep.id)

        moments = [i.occurred_at for i in card.interactions]
        assert len(moments) == rep_card.INTERACTIONS_SHOWN == 20
        assert moments == [T0 + dt.timedelta(hours=h) for h in range(24, 4, -1)]
        assert {i.representative_id for i in card.interactions} == {rep.id}
        assert card.last_contact_at == T0 + dt.timedelta(hours=24)


async def test_only_open_tickets_by_sla_due_time(uow: UnitOfWork) -> None:
    async with uow:
        agent = await make_agent(uow)
        rep = await make_rep(uow)
        other = await make_rep(uow)
        actor = Actor.agent(agent.id)

        async def open_ticket(rep_id: int, priority: TicketPriority, hours_ago: int) -> int:
            ticket = await tickets.open_ticket(
                uow,
                TicketOpen(
                    representative_id=rep_id,
                    category=TicketCategory.CONNECTIVITY,
                    priority=priority,
                    subject="قطعی روی ایرانسل",
                    opened_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours_ago),
                ),
                actor,
            )
            return ticket.id

        normal = await open_ticket(rep.id, TicketPriority.NORMAL, 1)  # due in 47 h
        urgent = await open_ticket(rep.id, TicketPriority.URGENT, 2)  # due in 2 h
        low = await open_ticket(rep.id, TicketPriority.LOW, 3)  # due in 117 h
        resolved = await open_ticket(rep.id, TicketPriority.HIGH, 4)
        closed = await open_ticket(rep.id, TicketPriority.HIGH, 5)
        await open_ticket(other.id, TicketPriority.URGENT, 1)
        await tickets.transition(uow, urgent, TicketStatus.IN_PROGRESS, actor)
        await tickets.transition(uow, low, TicketStatus.WAITING_REP, actor)
        await tickets.resolve(uow, resolved, "SNI عوض شد", actor)
        await tickets.resolve(uow, closed, "نود جدید اضافه شد", actor)
        await tickets.transition(uow, closed, TicketStatus.CLOSED, actor)

        card = await rep_card.load(uow, rep.id)

        assert [t.id for t in card.open_tickets] == [urgent, normal, low]
        assert [t.status for t in card.open_tickets] == [
            TicketStatus.IN_PROGRESS,
            TicketStatus.OPEN,
            TicketStatus.WAITING_REP,
        ]


async def test_last_five_payments_newest_first(uow: UnitOfWork) -> None:
    async with uow:
        rep = await make_rep(uow)
        other = await make_rep(uow)
        for day in (3, 1, 6, 0, 5, 2, 4):
            await finance.record_payment(
                uow,
                PaymentCreate(
                    reference=f"PAY-{day}",
                    representative_id=rep.id,
                    amount_toman=Decimal(1_000_000 + day),
                    paid_at=T0 + dt.timedelta(days=day),
                ),
                Actor.cli(),
            )
        await finance.record_payment(
            uow,
            PaymentCreate(
                reference="PAY-OTHER",
                representative_id=other.id,
                amount_toman=5,
                paid_at=T0 + dt.timedelta(days=9),
            ),
            Actor.cli(),
        )

        card = await rep_card.load(uow, rep.id)

        assert [p.reference for p in card.payments] == ["PAY-6", "PAY-5", "PAY-4", "PAY-3", "PAY-2"]
        assert card.payments[0].amount_toman == Decimal(1_000_006)


async def test_usage_trend_uses_the_eight_latest_points(uow: UnitOfWork) -> None:
    async with uow:
        rep = await make_rep(uow)
        actives = [90, 80, 40, 42, 45, 47, 50, 52, 55, 60]  # weeks 0..9; the card keeps weeks 2..9
        for week, active in enumerate(actives):
            await _usage(uow, rep.id, week, active)

        usage = (await rep_card.load(uow, rep.id)).usage

        assert [p.active_users for p in usage.points] == actives[2:]
        assert [p.taken_at for p in usage.points] == sorted(p.taken_at for p in usage.points)
        assert usage.latest is not None
        assert usage.latest.active_users == 60
        assert usage.latest.taken_at == T0 + dt.timedelta(weeks=9)
        assert usage.active_users_change_pct == 50.0  # 40 → 60


@pytest.mark.parametrize(
    ("actives", "expected"),
    [
        ([], None),
        ([30], None),
        ([0, 12], None),  # no base to compare with
        ([30, 20], -33.3),
        ([7, 8, 9], 28.6),
    ],
)
async def test_usage_trend_edges(uow: UnitOfWork, actives: list[int], expected: float | None) -> None:
    async with uow:
        rep = await make_rep(uow)
        for week, active in enumerate(actives):
            await _usage(uow, rep.id, week, active)

        usage = (await rep_card.load(uow, rep.id)).usage

        assert usage.active_users_change_pct == expected
        assert len(usage.points) == len(actives)
        assert (usage.latest is None) == (not actives)


async def test_profile_tier_and_agent(uow: UnitOfWork) -> None:
    async with uow:
        tier = await make_tier(uow, code="PRO", user_limit=150)
        agent = await make_agent(uow, name="سارا نوری")
        rep = await make_rep(uow, name="علی رضایی", tier_code="PRO", assigned_agent_id=agent.id)
        bare = await make_rep(uow)

        card = await rep_card.load(uow, rep.id)
        empty = await rep_card.load(uow, bare.id)

        assert card.representative.full_name == "علی رضایی"
        assert card.tier is not None
        assert card.tier.id == tier.id
        assert card.assigned_agent is not None
        assert card.assigned_agent.full_name == "سارا نوری"
        assert empty.tier is None
        assert empty.assigned_agent is None
        assert empty.last_contact_at is None
        assert empty.interactions == empty.open_tickets == empty.payments == []


async def test_unknown_representative_is_not_found(uow: UnitOfWork) -> None:
    async with uow:
        with pytest.raises(NotFound) as err:
            await rep_card.load(uow, 987_654_321)
        assert err.value.params == {"rep_id": 987_654_321}
