"""The emotional arc of one representative: loaded with indexed queries, computed, and audited.

Profiling is for the CRT only and respects the representative's choice:

* only agents (and the operator's CLI) may view an arc; anyone else gets :class:`PermissionDenied`;
* with ``profiling_opt_out`` set nothing is loaded or computed, and the view says so;
* every view, computed or refused for opt-out, writes an ``audit_log`` row (``profiling.view_arc``,
  actor = the viewer, entity = the representative) with counts only, never the profile itself.

Events of the last :data:`ARC_DAYS` days feed :func:`ai.coaching.compute_arc`: scored interactions
(their topic signal, if any, as ``topic``), tickets by category, payments, and outage signals (an
interaction whose analysis carries ``outage_report`` or ``slow_connection`` adds an outage event at the
same moment). Each query is served by an index on ``representative_id`` and time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterable
from typing import Final

from sqlalchemy import ColumnElement, Float, String, case, cast, func, literal, select

from ai.coaching import ArcEvent, EmotionalArc, compute_arc, detect_register
from ai.coaching.arc import Shift
from crm import audit
from crm.db import UnitOfWork
from crm.enums import ActorType, SentimentLabel
from crm.errors import NotFound, PermissionDenied
from crm.models import Interaction, Payment, Representative, Ticket
from crm.schemas.sentiment import (
    ArcDTO,
    ArcMarkerDTO,
    ArcSeriesDTO,
    ArcView,
    EvidenceKind,
    EvidenceRef,
    MarkerKind,
    PreferencesDTO,
    ShiftDTO,
    TrendDTO,
    TriggerDTO,
    TurningPointDTO,
)
from crm.schemas.types import Actor

ARC_DAYS: Final = 365
REGISTER_SAMPLE: Final = 12  # the formal/informal register is read from their latest messages only
SHIFTS_KEPT: Final = 50  # most recent negative shifts and satisfaction moments in the view (all are counted)
VIEW_ACTION: Final = "profiling.view_arc"
NEUTRAL_BAND: Final = 0.2
VIEWERS: Final = frozenset({ActorType.AGENT, ActorType.CLI})
# The first of these in an interaction's signals becomes its arc topic («topic:price_complaint»).
TOPIC_SIGNALS: Final = (
    "price_complaint", "payment_issue", "refund_request", "panel_issue", "config_issue", "support_delay",
)  # fmt: skip
OUTAGE_SIGNALS: Final = {"outage_report": None, "slow_connection": "slow_connection"}
_CHANNEL = {"voice_note": "voice", "call": "call", "in_person": "call", "telegram": "text", "email": "text"}
_KIND: Final[dict[str, EvidenceKind]] = {
    "i": "interaction",
    "o": "interaction",
    "t": "ticket",
    "p": "payment",
}


async def view(
    uow: UnitOfWork, rep_id: int, actor: Actor, *, now: dt.datetime | None = None, days: int = ARC_DAYS
) -> ArcView:
    """The arc of the last ``days`` days as ``actor`` sees it (and the audit row saying they did)."""
    if actor.type not in VIEWERS:
        raise PermissionDenied("the emotional arc is visible to the CRT only", actor=actor.type.value)
    now = now or dt.datetime.now(dt.UTC)
    since = now - dt.timedelta(days=days)
    rep = (
        await uow.session.execute(
            select(
                Representative.id,
                Representative.code,
                Representative.full_name,
                Representative.profiling_opt_out,
            ).where(Representative.id == rep_id)
        )
    ).first()
    if rep is None:
        raise NotFound(f"representative {rep_id} not found", rep_id=rep_id)
    arc: ArcDTO | None = None
    if not rep.profiling_opt_out:
        events, markers = await _events(uow, rep_id, since)
        arc = _dto(await asyncio.to_thread(compute_arc, events), markers)
    audit.record(
        uow.session,
        actor,
        VIEW_ACTION,
        "representative",
        rep_id,
        after={
            "computed": arc is not None,
            "opted_out": rep.profiling_opt_out,
            "since": since,
            "points": len(arc.series) if arc else 0,
            "evidence": sum(len(ids) for ids in arc.evidence.values()) if arc else 0,
        },
    )
    await uow.commit()
    return ArcView(
        representative_id=rep.id,
        code=rep.code,
        full_name=rep.full_name,
        opted_out=rep.profiling_opt_out,
        since=since,
        generated_at=now,
        arc=arc,
    )


def _first_signal(names: Iterable[str]) -> ColumnElement[str | None]:
    """The first of ``names`` present in an interaction's ``signals`` (computed by the server)."""
    return case(*((Interaction.signals.has_key(name), literal(name, String)) for name in names), else_=None)


# One row per interaction, with everything the arc needs computed by the server: no JSON is decoded here.
_INTERACTIONS = select(
    Interaction.id,
    Interaction.occurred_at,
    Interaction.channel,
    Interaction.direction,
    cast(Interaction.sentiment_score, Float).label("score"),
    func.length(func.coalesce(Interaction.body, Interaction.summary, "")).label("length"),
    _first_signal(OUTAGE_SIGNALS).label("outage"),
    _first_signal(TOPIC_SIGNALS).label("topic"),
)


async def _events(
    uow: UnitOfWork, rep_id: int, since: dt.datetime
) -> tuple[list[ArcEvent], list[ArcMarkerDTO]]:
    conn = await uow.session.connection()  # Core rows: no ORM result processing for ~2,000 rows
    # ix_interaction_representative_id_occurred_at, for both interaction reads.
    rows = (
        await conn.execute(
            _INTERACTIONS.where(
                Interaction.representative_id == rep_id, Interaction.occurred_at >= since
            ).order_by(Interaction.occurred_at, Interaction.id)
        )
    ).all()
    latest = await conn.execute(
        select(Interaction.id, Interaction.body)
        .where(
            Interaction.representative_id == rep_id,
            Interaction.occurred_at >= since,
            Interaction.direction == "inbound",
            Interaction.body.is_not(None),
        )
        .order_by(Interaction.occurred_at.desc())
        .limit(REGISTER_SAMPLE)
    )
    register = {row.id: detect_register(row.body) for row in latest}
    # ix_ticket_representative_id_status (representative prefix); ix_payment_representative_id_paid_at.
    tickets = await conn.execute(
        select(Ticket.id, Ticket.opened_at, Ticket.category).where(
            Ticket.representative_id == rep_id, Ticket.opened_at >= since
        )
    )
    payments = await conn.execute(
        select(Payment.id, Payment.paid_at).where(
            Payment.representative_id == rep_id, Payment.paid_at >= since
        )
    )
    events: list[ArcEvent] = []
    markers: list[ArcMarkerDTO] = []
    for row_id, at, channel, direction, score, length, outage, topic in rows:
        if outage is not None:
            detail = OUTAGE_SIGNALS[outage]
            events.append(ArcEvent(f"o{row_id}", at, "outage", topic=detail))
            markers.append(_marker("outage", at, "interaction", row_id, detail))
        formal = register.get(row_id)
        events.append(
            ArcEvent(
                f"i{row_id}",
                at,
                "interaction",
                score=score,
                channel=_CHANNEL.get(channel, "text"),
                text_length=length,
                direction=direction,
                formal=None if formal in (None, "unknown") else formal == "formal",
                topic=topic,
            )
        )
    for ticket in tickets:
        events.append(ArcEvent(f"t{ticket.id}", ticket.opened_at, "ticket", ticket_category=ticket.category))
        markers.append(_marker("ticket", ticket.opened_at, "ticket", ticket.id, ticket.category))
    for payment in payments:
        events.append(ArcEvent(f"p{payment.id}", payment.paid_at, "payment"))
        markers.append(_marker("payment", payment.paid_at, "payment", payment.id, None))
    markers.sort(key=lambda m: m.at)
    return events, markers


def _marker(
    kind: MarkerKind, at: dt.datetime, table: EvidenceKind, row_id: int, detail: str | None
) -> ArcMarkerDTO:
    return ArcMarkerDTO(kind=kind, at=at, ref=EvidenceRef(kind=table, id=row_id), detail=detail)


def ref(event_id: str) -> EvidenceRef:
    """``i12``/``o12`` → interaction 12, ``t3`` → ticket 3, ``p7`` → payment 7."""
    return EvidenceRef(kind=_KIND[event_id[0]], id=int(event_id[1:]))


class _Refs:
    """Event ids → references, each built once per arc: an id recurs in shifts, triggers, preferences."""

    def __init__(self) -> None:
        self._built: dict[str, EvidenceRef] = {}

    def one(self, event_id: str) -> EvidenceRef:
        item = self._built.get(event_id)
        if item is None:
            item = self._built[event_id] = ref(event_id)
        return item

    def many(self, event_ids: Iterable[str]) -> list[EvidenceRef]:
        """Distinct references in first-seen order (``i12`` and ``o12`` are both interaction 12)."""
        seen: dict[tuple[str, int], EvidenceRef] = {}
        for event_id in event_ids:
            item = self.one(event_id)
            seen.setdefault((item.kind, item.id), item)
        return list(seen.values())

    def shift(self, shift: Shift) -> ShiftDTO:
        return ShiftDTO(
            ref=self.one(shift.event_id),
            at=shift.at,
            score=shift.score,
            before=shift.before,
            preceded_by=self.many(shift.preceded_by),
        )


def _label(current: float | None) -> SentimentLabel | None:
    if current is None:
        return None
    if current >= NEUTRAL_BAND:
        return SentimentLabel.POSITIVE
    return SentimentLabel.NEGATIVE if current <= -NEUTRAL_BAND else SentimentLabel.NEUTRAL


def _main_trigger(triggers: list[TriggerDTO]) -> TriggerDTO | None:
    """The trigger that preceded most drops, among those with lift > 1 (commoner before a drop than
    before any message). On a tie a preceding event (ticket, outage, payment) wins over a topic, which
    only says what the drops themselves were about; then the higher lift."""
    candidates = [t for t in triggers if t.lift > 1.0]
    return min(candidates, key=lambda t: (-t.count, t.key.startswith("topic:"), -t.lift, t.key), default=None)


def _dto(arc: EmotionalArc, markers: list[ArcMarkerDTO]) -> ArcDTO:
    refs = _Refs()
    triggers = [
        TriggerDTO(
            key=t.key,
            count=t.count,
            share=t.share,
            lift=t.lift,
            evidence=refs.many(t.evidence_ids),
            shifts=refs.many(t.shift_ids),
        )
        for t in arc.triggers
    ]
    prefs = arc.preferences
    evidence: dict[EvidenceKind, set[int]] = {"interaction": set(), "ticket": set(), "payment": set()}
    for event_id in arc.evidence_ids:
        evidence[_KIND[event_id[0]]].add(int(event_id[1:]))
    return ArcDTO(
        series=ArcSeriesDTO(
            interaction_ids=[int(p.event_id[1:]) for p in arc.series],
            at=[p.at for p in arc.series],
            score=[p.score for p in arc.series],
            smoothed=[p.smoothed for p in arc.series],
        ),
        markers=markers,
        current=arc.current,
        current_label=_label(arc.current),
        last_scored_at=arc.series[-1].at if arc.series else None,
        trend=TrendDTO(
            direction=arc.trend.direction,
            slope_per_30d=arc.trend.slope_per_30d,
            n=arc.trend.n,
            evidence=refs.many(arc.trend.evidence_ids),
        ),
        turning_points=[
            TurningPointDTO(
                kind=tp.kind,
                at=tp.at,
                smoothed=tp.smoothed,
                ref=refs.one(tp.event_id),
                confirmed_by=refs.one(tp.confirmed_by),
            )
            for tp in arc.turning_points
        ],
        negative_shifts=[refs.shift(s) for s in arc.negative_shifts[-SHIFTS_KEPT:]],
        negative_shift_count=len(arc.negative_shifts),
        satisfaction_moments=[refs.shift(s) for s in arc.satisfaction_moments[-SHIFTS_KEPT:]],
        triggers=triggers,
        main_trigger=_main_trigger(triggers),
        preferences=PreferencesDTO(
            channel=prefs.channel.preferred,
            message_length=prefs.length.style,
            formality=prefs.register.preferred,
            median_reply_minutes=prefs.response_time.median_minutes,
            active_hours=prefs.active_hours.best_window,
            evidence=refs.many(
                [
                    *prefs.channel.evidence_ids,
                    *prefs.length.evidence_ids,
                    *prefs.register.evidence_ids,
                    *(reply for _, reply in prefs.response_time.evidence_ids),
                    *prefs.active_hours.evidence_ids,
                ]
            ),
        ),
        evidence={kind: sorted(ids) for kind, ids in evidence.items()},
    )
