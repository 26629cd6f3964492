"""How a representative's business moves over the year: progress of its slide or growth, user counts.

The curves are smooth; callers add week-to-week noise where a real panel would show it.
"""

from __future__ import annotations

import datetime as dt
import random

from crm.demo.plan import Cohort, RepPlan, World

RAMP_WEEKS = 10


def active_until(world: World, rep: RepPlan) -> dt.datetime:
    return rep.ended_at or world.anchor


def active_from(world: World, rep: RepPlan) -> dt.datetime:
    return max(rep.joined_at, world.window_start)


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))


def progress(world: World, rep: RepPlan, moment: dt.datetime) -> float:
    """0..1: how far a churn slide (since its onset) or an upsell growth (over the year) has gone."""
    if rep.cohort is Cohort.CHURN and rep.onset is not None:
        end = active_until(world, rep)
        return _clamp((moment - rep.onset) / (end - rep.onset))
    if rep.cohort is Cohort.UPSELL:
        return _clamp((moment - world.window_start) / world.span)
    return 0.0


def users(world: World, rep: RepPlan, moment: dt.datetime) -> tuple[int, int]:
    """(active, total) panel users at ``moment``, before noise; total never exceeds the tier's limit."""
    limit = rep.tier.user_limit
    p = progress(world, rep, moment)
    if rep.cohort is Cohort.UPSELL:
        p = p**1.3
    elif rep.cohort is Cohort.STEADY:
        p = _clamp((moment - world.window_start) / world.span)
    fill = rep.fill_start + (rep.fill_end - rep.fill_start) * p
    ratio = rep.active_ratio_start + (rep.active_ratio_end - rep.active_ratio_start) * p
    weeks = (moment - rep.joined_at) / dt.timedelta(weeks=1)
    ramp = max(0.15, min(1.0, weeks / RAMP_WEEKS))
    total = min(limit, max(1, round(limit * fill * ramp)))
    return round(total * ratio), total


def noisy_users(world: World, rep: RepPlan, moment: dt.datetime, rng: random.Random) -> tuple[int, int]:
    active, total = users(world, rep, moment)
    total = min(rep.tier.user_limit, max(1, round(total * rng.uniform(0.96, 1.04))))
    active = min(total, max(0, round(active * rng.uniform(0.94, 1.06))))
    return active, total
