"""The emotional arc for call prep, from the facts already loaded (no extra queries).

Interactions with a sentiment score become arc points; tickets and payments are the context events
that may precede a change of mood. The arc itself is :func:`ai.coaching.compute_arc`.
"""

from __future__ import annotations

from collections.abc import Sequence

from ai.call_prep.analysis import GRIEVANCE_SIGNALS
from ai.call_prep.inputs import InteractionFact, PaymentFact, TicketFact
from ai.coaching import ArcEvent, EmotionalArc, compute_arc


def _topic(item: InteractionFact) -> str | None:
    if {"threat_to_leave", "competitor_mention"} & set(item.signals):
        return "churn"
    return next((GRIEVANCE_SIGNALS[s] for s in item.signals if s in GRIEVANCE_SIGNALS), None)


def events(
    interactions: Sequence[InteractionFact], tickets: Sequence[TicketFact], payments: Sequence[PaymentFact]
) -> list[ArcEvent]:
    out = [
        ArcEvent(
            id=i.token,
            at=i.occurred_at,
            kind="interaction",
            score=i.score,
            channel="voice" if i.channel == "voice_note" else i.channel,
            text_length=len(i.body or i.summary or ""),
            direction="inbound" if i.direction == "inbound" else "outbound",
            topic=_topic(i),
        )
        for i in interactions
    ]
    out += [ArcEvent(id=t.token, at=t.opened_at, kind="ticket", ticket_category=t.category) for t in tickets]
    out += [ArcEvent(id=p.token, at=p.paid_at, kind="payment", topic="paid") for p in payments]
    return out


def arc_for(
    interactions: Sequence[InteractionFact], tickets: Sequence[TicketFact], payments: Sequence[PaymentFact]
) -> EmotionalArc | None:
    """None when no interaction is scored: there is no mood to describe."""
    if not any(i.score is not None for i in interactions):
        return None
    return compute_arc(events(interactions, tickets, payments))
