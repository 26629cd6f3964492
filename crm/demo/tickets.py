"""Tickets and their timelines: resolved history, a few still open, some past their SLA."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from crm.demo.curves import active_from, active_until
from crm.demo.plan import AgentPlan, Cohort, RepPlan, World, pick, rng_for
from crm.demo.pools import bigger_tier
from crm.demo.talk import Slots, fill
from crm.demo.ticket_text import TICKET_TEXTS
from crm.enums import TICKET_SLA_HOURS, TicketCategory, TicketEventKind, TicketStatus

Row = dict[str, Any]

CATEGORIES = tuple(TicketCategory)
STEADY_MIX = (35, 20, 20, 10, 5, 10)  # connectivity, billing, panel, setup, sales, other
SLIDING_MIX = (62, 14, 19, 0, 0, 5)
UPSELL_MIX = (20, 10, 10, 20, 40, 0)
OPEN_STATUSES = (TicketStatus.OPEN, TicketStatus.IN_PROGRESS, TicketStatus.WAITING_REP)


@dataclass
class TicketBatch:
    tickets: list[Row] = field(default_factory=list)
    events: list[Row] = field(default_factory=list)


def _mix(rep: RepPlan, moment: dt.datetime, world: World) -> tuple[int, ...]:
    if rep.cohort is Cohort.CHURN and rep.onset is not None and moment >= rep.onset:
        return SLIDING_MIX
    if rep.cohort is Cohort.UPSELL and moment >= world.anchor - dt.timedelta(days=150):
        return UPSELL_MIX
    return STEADY_MIX


def _opening_times(rng: random.Random, world: World, rep: RepPlan) -> list[tuple[dt.datetime, bool]]:
    """(opened_at, still open) pairs. Old tickets are resolved; recent ones may still be open."""
    start, end = active_from(world, rep), active_until(world, rep)
    settled_end = min(end, world.anchor - dt.timedelta(days=4))
    if rep.cohort is Cohort.CHURN and rep.onset is not None:
        before = rng.randint(0, 2)
        after = rng.randint(3, 7)
        times = [start + (rep.onset - start) * rng.random() for _ in range(before)]
        times += [rep.onset + (settled_end - rep.onset) * rng.random() ** 0.7 for _ in range(after)]
        open_chance = 0.3 if rep.ended_at else 0.75
    else:
        count = pick(rng, (0, 1, 2, 3), (30, 35, 20, 15)) + (1 if rep.cohort is Cohort.UPSELL else 0)
        times = [start + (settled_end - start) * rng.random() for _ in range(count)]
        open_chance = 0.15 if rep.ended_at is None else 0.0
    pairs = [(t, False) for t in times if start <= t <= settled_end]
    if rng.random() < open_chance:
        max_age = 14 if rep.cohort is Cohort.CHURN else 3
        opened = max(start, min(end, world.anchor) - dt.timedelta(days=rng.uniform(0.05, max_age)))
        pairs.append((opened, True))
    return sorted(pairs)


def tickets(world: World, rep: RepPlan, agents: tuple[AgentPlan, ...], first_ref: int) -> TicketBatch:
    rng = rng_for(world.seed, f"tickets/{rep.code}")
    batch = TicketBatch()
    for offset, (opened_at, still_open) in enumerate(_opening_times(rng, world, rep)):
        category = pick(rng, CATEGORIES, _mix(rep, opened_at, world))
        if category is TicketCategory.SALES and bigger_tier(rep.tier) is None:
            category = TicketCategory.OTHER
        texts = TICKET_TEXTS[category]
        priority = pick(rng, [p for p, _ in texts.priorities], [w for _, w in texts.priorities])
        sla_due_at = opened_at + dt.timedelta(hours=TICKET_SLA_HOURS[priority])
        opener = agents[rep.agent_key]
        assignee = opener if rng.random() < 0.8 else rng.choice(agents)
        values = Slots(rng, world, rep, opener, opened_at)
        case = rng.choice(texts.cases)
        ref = f"MF-{first_ref + offset:05d}"
        timeline = _Timeline(ref, opened_at, opener.key, assignee.key)
        resolution = None
        if still_open:
            status = pick(rng, OPEN_STATUSES, (30, 45, 25))
            timeline.open_path(rng, status, world.anchor, texts.comments, values)
        else:
            sla_hours = TICKET_SLA_HOURS[priority]
            slow = rep.cohort is Cohort.CHURN and rep.onset is not None and opened_at >= rep.onset
            took = dt.timedelta(hours=sla_hours * (rng.uniform(0.6, 3.0) if slow else rng.uniform(0.15, 1.3)))
            resolved_at = min(opened_at + took, world.anchor - dt.timedelta(hours=1))
            resolution = fill(rng.choice(case.resolutions), values)
            status = TicketStatus.CLOSED if rng.random() < 0.45 else TicketStatus.RESOLVED
            timeline.resolved_path(rng, resolved_at, status, world.anchor, texts.comments, values, resolution)
        batch.tickets.append(
            {
                "external_ref": ref,
                "rep": rep.code,
                "opened_by": opener.key,
                "assigned": assignee.key,
                "category": category.value,
                "priority": priority.value,
                "status": status.value,
                "subject": fill(case.subject, values)[:200],
                "description": fill(case.description, values),
                "resolution": resolution,
                "opened_at": opened_at,
                "sla_due_at": sla_due_at,
                "resolved_at": timeline.resolved_at,
                "created_at": opened_at,
                "updated_at": timeline.last,
            }
        )
        batch.events.extend(timeline.events)
    return batch


class _Timeline:
    """The ticket_event rows of one ticket, in order, each later than the one before."""

    def __init__(self, ref: str, opened_at: dt.datetime, opener: int, assignee: int) -> None:
        self.ref, self.opener, self.assignee = ref, opener, assignee
        self.last = opened_at
        self.resolved_at: dt.datetime | None = None
        self.events: list[Row] = []
        self._add(opened_at, TicketEventKind.CREATED, actor=opener)
        if assignee != opener:
            self._add(opened_at + dt.timedelta(minutes=7), TicketEventKind.ASSIGNED, actor=opener)

    def _add(
        self,
        at: dt.datetime,
        kind: TicketEventKind,
        *,
        actor: int,
        moved: tuple[TicketStatus, TicketStatus] | None = None,
        body: str | None = None,
    ) -> None:
        self.last = max(at, self.last + dt.timedelta(seconds=1))
        self.events.append(
            {
                "ticket": self.ref,
                "actor": actor,
                "kind": kind.value,
                "from_status": moved[0].value if moved else None,
                "to_status": moved[1].value if moved else None,
                "body": body,
                "created_at": self.last,
            }
        )

    def _move(self, at: dt.datetime, old: TicketStatus, new: TicketStatus, body: str | None = None) -> None:
        self._add(at, TicketEventKind.STATUS_CHANGE, actor=self.assignee, moved=(old, new), body=body)

    def _comment(self, at: dt.datetime, rng: random.Random, pool: tuple[str, ...], values: Slots) -> None:
        text = fill(rng.choice(pool), values)
        self._add(at, TicketEventKind.COMMENT, actor=self.assignee, body=text)

    def open_path(
        self,
        rng: random.Random,
        status: TicketStatus,
        anchor: dt.datetime,
        comments: tuple[str, ...],
        values: Slots,
    ) -> None:
        if status is TicketStatus.OPEN:
            return
        span = anchor - self.last
        self._move(self.last + span * rng.uniform(0.05, 0.3), TicketStatus.OPEN, TicketStatus.IN_PROGRESS)
        self._comment(self.last + span * rng.uniform(0.05, 0.3), rng, comments, values)
        if status is TicketStatus.WAITING_REP:
            self._move(self.last + span * rng.uniform(0.05, 0.3), TicketStatus.IN_PROGRESS, status)

    def resolved_path(
        self,
        rng: random.Random,
        resolved_at: dt.datetime,
        status: TicketStatus,
        anchor: dt.datetime,
        comments: tuple[str, ...],
        values: Slots,
        resolution: str,
    ) -> None:
        span = resolved_at - self.last
        # Steps take at most 75% of the time to resolution, so the resolution stays where it was drawn.
        self._move(self.last + span * rng.uniform(0.02, 0.15), TicketStatus.OPEN, TicketStatus.IN_PROGRESS)
        for _ in range(rng.randint(0, 2)):
            self._comment(self.last + span * rng.uniform(0.05, 0.2), rng, comments, values)
        if rng.random() < 0.2:
            self._move(self.last + span * 0.1, TicketStatus.IN_PROGRESS, TicketStatus.WAITING_REP)
            self._move(self.last + span * 0.1, TicketStatus.WAITING_REP, TicketStatus.IN_PROGRESS)
        self._move(max(resolved_at, self.last), TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED, resolution)
        self.resolved_at = self.last
        if status is TicketStatus.CLOSED:
            closed_at = min(anchor, self.last + dt.timedelta(days=rng.uniform(1, 3)))
            self._move(closed_at, TicketStatus.RESOLVED, TicketStatus.CLOSED)
