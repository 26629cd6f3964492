"""The emotional-arc service: events from every table, evidence that exists, opt-out, audit, access."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from crm.db import UnitOfWork
from crm.enums import ActorType, Channel, Direction, TicketCategory
from crm.errors import NotFound, PermissionDenied
from crm.models import AuditLog, Interaction, Payment, Ticket
from crm.schemas.activity import InteractionCreate, TicketOpen
from crm.schemas.finance import PaymentCreate
from crm.schemas.people import RepresentativeUpdate
from crm.schemas.sentiment import ArcView, EvidenceRef
from crm.schemas.types import Actor
from crm.services import emotional_arc, finance, interactions, representatives, tickets
from tests.factories import make_agent, make_rep

T0 = dt.datetime(2025, 3, 1, 6, 30, tzinfo=dt.UTC)
NOW = T0 + dt.timedelta(days=90)
HAPPY = ("دستتون درد نکنه، سرعت عالیه", "ممنون از پیگیری، مشکل حل شد")
COMPLAINT = "سه روزه کانفیگ‌ها روی ایرانسل قطعه، واقعا خسته شدم"


async def build_history(uow: UnitOfWork, rep_id: int, agent_id: int, start: dt.datetime = T0) -> None:
    """Two months of a content representative, twice knocked down by an outage with a ticket."""
    actor = Actor.agent(agent_id)
    moments = [(start + dt.timedelta(days=d, hours=2), HAPPY[d % 2]) for d in range(0, 60, 3)]
    for day in (30, 50):
        opened = start + dt.timedelta(days=day)
        await tickets.open_ticket(
            uow,
            TicketOpen(
                representative_id=rep_id,
                category=TicketCategory.CONNECTIVITY,
                subject="قطعی ایرانسل",
                opened_at=opened,
            ),
            actor,
        )
        moments.append((opened + dt.timedelta(hours=3), COMPLAINT))
    await finance.record_payment(
        uow,
        PaymentCreate(
            reference=f"PAY-{rep_id}",
            representative_id=rep_id,
            amount_toman=Decimal(1_500_000),
            paid_at=start + dt.timedelta(days=40),
        ),
        actor,
    )
    for n, (at, body) in enumerate(sorted(moments)):
        await interactions.log(
            uow,
            InteractionCreate(
                representative_id=rep_id,
                agent_id=agent_id,
                channel=Channel.TELEGRAM,
                direction=Direction.INBOUND,
                occurred_at=at,
                body=body,
                source="test",
                idempotency_key=f"arc-{rep_id}-{n}",
            ),
            actor,
        )


def every_ref(view: ArcView) -> set[EvidenceRef]:
    arc = view.arc
    assert arc is not None
    refs = {EvidenceRef(kind="interaction", id=i) for i in arc.series.interaction_ids}
    refs |= {m.ref for m in arc.markers} | set(arc.trend.evidence) | set(arc.preferences.evidence)
    refs |= {r for tp in arc.turning_points for r in (tp.ref, tp.confirmed_by)}
    for shift in (*arc.negative_shifts, *arc.satisfaction_moments):
        refs |= {shift.ref, *shift.preceded_by}
    for trigger in arc.triggers:
        refs |= {*trigger.evidence, *trigger.shifts}
    refs |= {EvidenceRef(kind=kind, id=i) for kind, ids in arc.evidence.items() for i in ids}
    return refs


async def refs_missing(uow: UnitOfWork, refs: set[EvidenceRef]) -> set[EvidenceRef]:
    tables = {"interaction": Interaction, "ticket": Ticket, "payment": Payment}
    missing = set()
    for kind, model in tables.items():
        wanted = {r.id for r in refs if r.kind == kind}
        found = set(await uow.session.scalars(select(model.id).where(model.id.in_(wanted))))
        missing |= {EvidenceRef(kind=kind, id=i) for i in wanted - found}  # type: ignore[arg-type]
    return missing


async def test_arc_reads_every_kind_of_event_and_its_evidence_exists(uow: UnitOfWork) -> None:
    async with uow:
        agent = await make_agent(uow)
        rep = await make_rep(uow)
        await build_history(uow, rep.id, agent.id)
        view = await emotional_arc.view(uow, rep.id, Actor.agent(agent.id), now=NOW)
        refs = every_ref(view)
        missing = await refs_missing(uow, refs)

    arc = view.arc
    assert arc is not None
    assert not view.opted_out
    assert len(arc.series) == 22  # 20 friendly messages and 2 complaints, all scored at logging
    assert arc.series.at == sorted(arc.series.at)
    assert {m.kind for m in arc.markers} == {"ticket", "payment", "outage"}
    assert [m.detail for m in arc.markers if m.kind == "ticket"] == ["connectivity", "connectivity"]
    assert len(arc.negative_shifts) == 2
    assert arc.main_trigger is not None
    # Tied with the complaints' own topic (config_issue), a preceding event is named the trigger.
    assert arc.main_trigger.key in {"ticket:connectivity", "outage"}
    assert "topic:config_issue" in {t.key for t in arc.triggers}
    assert arc.main_trigger.count == 2
    assert {s.ref for s in arc.negative_shifts} == set(arc.main_trigger.shifts)
    assert arc.current is not None
    assert arc.last_scored_at == arc.series.at[-1]
    assert {kind for kind, ids in arc.evidence.items() if ids} == {"interaction", "ticket", "payment"}
    assert len(refs) == 25  # every interaction, both tickets and the payment
    assert missing == set()


async def test_every_view_is_audited_with_the_agent_as_actor(uow: UnitOfWork) -> None:
    async with uow:
        agent = await make_agent(uow)
        rep = await make_rep(uow)
        await build_history(uow, rep.id, agent.id)
        await emotional_arc.view(uow, rep.id, Actor.agent(agent.id), now=NOW)
        await emotional_arc.view(uow, rep.id, Actor.agent(agent.id), now=NOW)
        rows = (
            await uow.session.execute(
                select(AuditLog.__table__)
                .where(AuditLog.action == "profiling.view_arc")
                .order_by(AuditLog.id)
            )
        ).all()

    assert len(rows) == 2
    row = rows[0]
    assert (row.actor_type, row.actor_id, row.entity, row.entity_id) == (
        "agent",
        agent.id,
        "representative",
        str(rep.id),
    )
    assert row.after is not None
    assert (row.after["computed"], row.after["opted_out"], row.after["points"]) == (True, False, 22)
    assert "score" not in str(row.after)  # counts only: the profile itself is not copied into the audit


async def test_opted_out_representative_gets_no_arc_and_the_view_is_audited(uow: UnitOfWork) -> None:
    async with uow:
        agent = await make_agent(uow)
        rep = await make_rep(uow)
        await build_history(uow, rep.id, agent.id)
        await representatives.update(uow, rep.id, RepresentativeUpdate(profiling_opt_out=True), Actor.cli())
        view = await emotional_arc.view(uow, rep.id, Actor.agent(agent.id), now=NOW)
        audit = (
            await uow.session.execute(
                select(AuditLog.__table__).where(AuditLog.action == "profiling.view_arc")
            )
        ).one()

    assert view.opted_out
    assert view.arc is None
    assert (view.code, view.full_name) == (rep.code, rep.full_name)
    assert (audit.actor_type, audit.actor_id, audit.entity_id) == ("agent", agent.id, str(rep.id))
    assert (audit.after["computed"], audit.after["opted_out"]) == (False, True)


@pytest.mark.parametrize("actor_type", [ActorType.REPRESENTATIVE, ActorType.STRANGER, ActorType.SYSTEM])
async def test_only_the_crt_may_view_an_arc(uow: UnitOfWork, actor_type: ActorType) -> None:
    async with uow:
        rep = await make_rep(uow)
        with pytest.raises(PermissionDenied):
            await emotional_arc.view(uow, rep.id, Actor(type=actor_type, id=rep.id), now=NOW)
        audits = (await uow.session.scalars(select(AuditLog.action))).all()
    assert "profiling.view_arc" not in audits


async def test_unknown_representative_is_not_found(uow: UnitOfWork) -> None:
    async with uow:
        agent = await make_agent(uow)
        with pytest.raises(NotFound):
            await emotional_arc.view(uow, 987_654, Actor.agent(agent.id), now=NOW)


async def test_window_and_an_empty_history(uow: UnitOfWork) -> None:
    async with uow:
        agent = await make_agent(uow)
        rep = await make_rep(uow)
        await build_history(uow, rep.id, agent.id, start=NOW - dt.timedelta(days=500))
        old = await emotional_arc.view(uow, rep.id, Actor.agent(agent.id), now=NOW)
        wide = await emotional_arc.view(uow, rep.id, Actor.agent(agent.id), now=NOW, days=600)

    assert old.arc is not None
    assert (len(old.arc.series), old.arc.markers, old.arc.current, old.arc.current_label) == (
        0,
        [],
        None,
        None,
    )
    assert old.arc.trend.direction == "unknown"
    assert old.arc.main_trigger is None
    assert old.since == NOW - dt.timedelta(days=365)
    assert wide.arc is not None
    assert len(wide.arc.series) == 22
