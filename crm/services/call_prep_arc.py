"""The emotional arc for call prep, from :mod:`crm.services.emotional_arc` (the same arc the chart shows).

That service loads a year of events with indexed reads, computes :func:`ai.coaching.compute_arc`,
respects ``profiling_opt_out`` and audits the view (``profiling.view_arc``, committed by it). Here its
DTO becomes the plain :class:`ai.call_prep.inputs.ArcSummary` the engines read, references as tokens.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Final

from ai.call_prep.inputs import ArcSummary, ArcTrigger, ArcTurn
from ai.call_prep.schema import PREFIX
from crm.db import UnitOfWork
from crm.schemas.sentiment import ArcDTO, EvidenceRef
from crm.schemas.types import Actor
from crm.services import emotional_arc

ARC_DAYS: Final = 120
"""The window call prep asks for. The smoothed mood halves its memory every 7 days and the trend spans
90 days, so these agree with the chart's year-long arc; triggers are then the recent ones, and a
representative with a long history costs a few months of events instead of a year (see the bench)."""


def _token(ref: EvidenceRef) -> str:
    return f"{PREFIX[ref.kind]}_{ref.id}"


def _tokens(refs: Iterable[EvidenceRef]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_token(ref) for ref in refs))


def summary(arc: ArcDTO) -> ArcSummary:
    evidence = {f"{PREFIX[kind]}_{row_id}" for kind, ids in arc.evidence.items() for row_id in ids}
    return ArcSummary(
        current=arc.current,
        trend_direction=arc.trend.direction,
        trend_slope=arc.trend.slope_per_30d,
        trend_n=arc.trend.n,
        trend_evidence=_tokens(arc.trend.evidence),
        turning_points=tuple(ArcTurn(t.kind, t.at, _token(t.ref)) for t in arc.turning_points),
        triggers=tuple(
            ArcTrigger(t.key, t.count, t.lift, _tokens(t.evidence), _tokens(t.shifts)) for t in arc.triggers
        ),
        satisfaction=_tokens(m.ref for m in arc.satisfaction_moments),
        evidence=frozenset(evidence),
    )


async def load(uow: UnitOfWork, rep_id: int, actor: Actor, now: dt.datetime) -> ArcSummary | None:
    """None for an opted-out representative or one without scored interactions."""
    view = await emotional_arc.view(uow, rep_id, actor, now=now, days=ARC_DAYS)
    if view.arc is None or view.arc.current is None:
        return None
    return summary(view.arc)
