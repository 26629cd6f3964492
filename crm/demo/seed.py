"""Write the demo world into an empty CRM: bulk inserts, one transaction, one audit row."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from ai.text.persian import normalize
from crm import audit, search
from crm.db import UnitOfWork
from crm.demo.history import interactions
from crm.demo.money import MoneyBatch, billing
from crm.demo.plan import World, build_world
from crm.demo.pools import TIERS
from crm.demo.tickets import TicketBatch, tickets
from crm.errors import AlreadyExists, ValidationFailed
from crm.models import (
    CrtAgent,
    Interaction,
    Invoice,
    Payment,
    Representative,
    ServiceTier,
    Subscription,
    Ticket,
    TicketEvent,
    UsageSnapshot,
)
from crm.schemas.types import DTO, Actor

Row = dict[str, Any]

# Business data whose presence means "not empty". Agents are left out on purpose: the admins from
# ADMIN_TELEGRAM_IDS are bootstrapped before the demo is seeded.
_BUSINESS_TABLES = (Representative, ServiceTier, Interaction, Ticket, Invoice, Payment, UsageSnapshot)


class SeedSummary(DTO):
    seed: int
    now: dt.datetime
    tiers: int
    agents: int
    representatives: int
    subscriptions: int
    interactions: int
    tickets: int
    ticket_events: int
    invoices: int
    payments: int
    usage_snapshots: int


async def is_empty(uow: UnitOfWork) -> bool:
    """True when the CRM holds no representatives, tiers, interactions, tickets, invoices or usage."""
    for model in _BUSINESS_TABLES:
        if await uow.session.scalar(select(model.id).limit(1)) is not None:
            return False
    return True


async def seed(uow: UnitOfWork, *, seed: int, now: dt.datetime, actor: Actor | None = None) -> SeedSummary:
    """Fill an empty CRM with the demo world of ``seed`` as of ``now``, in one transaction."""
    if now.tzinfo is None:
        raise ValidationFailed("now must be timezone-aware")
    if not await is_empty(uow):
        raise AlreadyExists("the database already holds CRM data; the demo only seeds an empty one")
    world = build_world(seed, now)
    session = uow.session
    tier_ids = await _insert_returning(session, ServiceTier, _tier_rows(world), "code")
    agent_ids = await _insert_returning(session, CrtAgent, _agent_rows(world), "telegram_user_id")
    agent_by_key = {a.key: agent_ids[a.telegram_user_id] for a in world.agents}
    rep_ids = await _insert_returning(
        session, Representative, _rep_rows(world, tier_ids, agent_by_key), "code"
    )
    money, support = MoneyBatch(), TicketBatch()
    activity: list[Row] = []
    for rep in world.reps:
        part = billing(world, rep)
        money.subscriptions += part.subscriptions
        money.invoices += part.invoices
        money.payments += part.payments
        money.usage += part.usage
        activity += interactions(world, rep, world.agents)
        found = tickets(world, rep, world.agents, len(support.tickets) + 1)
        support.tickets += found.tickets
        support.events += found.events

    def resolve(rows: list[Row], **keys: tuple[str, dict[Any, int]]) -> list[Row]:
        """Swap plan keys (``rep``: code, ``agent``: key ...) for database ids."""
        out = []
        for row in rows:
            fixed = dict(row)
            for name, (column, ids) in keys.items():
                value = fixed.pop(name)
                fixed[column] = None if value is None else ids[value]
            out.append(fixed)
        return out

    reps = ("representative_id", rep_ids)
    await _insert(session, Subscription, resolve(money.subscriptions, rep=reps, tier=("tier_id", tier_ids)))
    await _insert(session, Interaction, resolve(activity, rep=reps, agent=("agent_id", agent_by_key)))
    ticket_ids = await _insert_returning(
        session,
        Ticket,
        resolve(
            support.tickets,
            rep=reps,
            opened_by=("opened_by_agent_id", agent_by_key),
            assigned=("assigned_agent_id", agent_by_key),
        ),
        "external_ref",
    )
    await _insert(
        session,
        TicketEvent,
        resolve(support.events, ticket=("ticket_id", ticket_ids), actor=("actor_agent_id", agent_by_key)),
    )
    invoice_ids = await _insert_returning(session, Invoice, resolve(money.invoices, rep=reps), "number")
    await _insert(session, Payment, resolve(money.payments, rep=reps, invoice=("invoice_id", invoice_ids)))
    await _insert(session, UsageSnapshot, resolve(money.usage, rep=reps))
    summary = SeedSummary(
        seed=seed,
        now=now,
        tiers=len(tier_ids),
        agents=len(agent_ids),
        representatives=len(rep_ids),
        subscriptions=len(money.subscriptions),
        interactions=len(activity),
        tickets=len(support.tickets),
        ticket_events=len(support.events),
        invoices=len(money.invoices),
        payments=len(money.payments),
        usage_snapshots=len(money.usage),
    )
    audit.record(session, actor or Actor.system(), "demo.seed", "database", None, after=summary)
    await uow.commit()
    return summary


async def _insert(session: AsyncSession, model: type[Any], rows: list[Row]) -> None:
    """Bulk rows go through COPY on the session's own connection, so they share its transaction."""
    if not rows:
        return
    columns = list(rows[0])
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection
    await driver.copy_records_to_table(
        model.__tablename__, records=[tuple(row[c] for c in columns) for row in rows], columns=columns
    )


async def _insert_returning(
    session: AsyncSession, model: type[Any], rows: list[Row], key: str
) -> dict[Any, int]:
    """Insert and map each row's natural key to its new id."""
    table = model.__table__
    statement = insert(table).returning(table.c[key], table.c.id, sort_by_parameter_order=True)
    result = await session.execute(statement, rows)
    return {row[0]: row[1] for row in result}


def _tier_rows(world: World) -> list[Row]:
    created = min(r.joined_at for r in world.reps) - dt.timedelta(days=30)
    return [
        {
            "code": t.code,
            "name": t.name,
            "monthly_price_toman": t.monthly_price_toman,
            "price_per_user_toman": t.price_per_user_toman,
            "user_limit": t.user_limit,
            "created_at": created,
        }
        for t in TIERS
    ]


def _agent_rows(world: World) -> list[Row]:
    return [
        {
            "telegram_user_id": a.telegram_user_id,
            "full_name": a.full_name,
            "role": a.role.value,
            "locale": "fa",
            "created_at": a.created_at,
            "updated_at": a.created_at,
        }
        for a in world.agents
    ]


def _rep_rows(world: World, tier_ids: dict[Any, int], agent_ids: dict[int, int]) -> list[Row]:
    return [
        {
            "code": r.code,
            "full_name": normalize(r.full_name),
            "name_key": search.name_key(r.full_name),
            "name_trigrams": search.trigrams(r.full_name),
            "phone": r.phone,
            "telegram_user_id": r.telegram_user_id,
            "city": r.city.name,
            "province": r.city.province,
            "tier_id": tier_ids[r.tier.code],
            "status": r.status.value,
            "assigned_agent_id": agent_ids[r.agent_key],
            "marzban_admin_username": r.marzban_admin_username,
            "joined_at": r.joined_at,
            "nudges_opt_out_at": r.nudges_opt_out_at,
            "profiling_opt_out": r.profiling_opt_out,
            "unreachable_at": r.unreachable_at,
            "created_at": r.joined_at,
            "updated_at": r.ended_at or r.joined_at,
        }
        for r in world.reps
    ]
