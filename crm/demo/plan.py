"""The cast of the demo: tiers, agents and representatives with the hidden behaviour of each.

Everything here is pure and deterministic: a seed and a moment give the same world every time.
Each concern draws from its own ``random.Random`` keyed by the seed and a label, so changing how
texts are written never reshuffles who churns.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from crm.demo.pools import (
    CITIES,
    FEMALE_FIRST_NAMES,
    LAST_NAMES,
    MALE_FIRST_NAMES,
    MOBILE_PREFIXES,
    OPERATOR_WEIGHTS,
    OPERATORS,
    TIER_WEIGHTS,
    TIERS,
    City,
    TierSpec,
)
from crm.enums import AgentRole, RepStatus

REP_COUNT = 200
SUPERVISOR_COUNT = 2
AGENT_COUNT = 8
COHORT_SHARE = 0.15
CHURNED_COUNT = 10
PAUSED_COUNT = 3
PROFILING_OPT_OUTS = 4
NUDGE_OPT_OUTS = 2
HISTORY = dt.timedelta(days=365)

T = TypeVar("T")


class Cohort(StrEnum):
    """Hidden behaviour of a representative. Never stored: only tests and the docs know it."""

    STEADY = "steady"
    CHURN = "churn"
    UPSELL = "upsell"


def rng_for(seed: int, label: str) -> random.Random:
    return random.Random(f"chronos-demo/{seed}/{label}")


def pick(rng: random.Random, population: Sequence[T], weights: Sequence[float]) -> T:
    return rng.choices(population, weights=weights)[0]


def days(rng: random.Random, low: float, high: float) -> dt.timedelta:
    return dt.timedelta(days=rng.uniform(low, high))


def rep_code(number: int) -> str:
    return f"REP-{number:04d}"


def cohorts(seed: int) -> dict[str, Cohort]:
    """Representative code → cohort: about 15% slide toward churn, 15% grow toward an upgrade."""
    codes = [rep_code(n) for n in range(1, REP_COUNT + 1)]
    shuffled = list(codes)
    rng_for(seed, "cohorts").shuffle(shuffled)
    size = round(REP_COUNT * COHORT_SHARE)
    churn, upsell = set(shuffled[:size]), set(shuffled[size : 2 * size])
    return {
        code: Cohort.CHURN if code in churn else Cohort.UPSELL if code in upsell else Cohort.STEADY
        for code in codes
    }


@dataclass(frozen=True)
class AgentPlan:
    key: int
    telegram_user_id: int
    full_name: str
    title: str
    role: AgentRole
    created_at: dt.datetime


@dataclass(frozen=True)
class RepPlan:
    number: int
    code: str
    cohort: Cohort
    full_name: str
    first_name: str
    title: str
    phone: str
    telegram_user_id: int | None
    city: City
    operator: str
    marzban_admin_username: str
    tier: TierSpec
    previous_tier: TierSpec | None
    upgraded_at: dt.datetime | None
    agent_key: int
    joined_at: dt.datetime
    onset: dt.datetime | None
    """Start of a churn slide."""
    ended_at: dt.datetime | None
    """When a churned or paused representative stopped."""
    status: RepStatus
    profiling_opt_out: bool
    nudges_opt_out_at: dt.datetime | None
    unreachable_at: dt.datetime | None
    fill_start: float
    fill_end: float
    active_ratio_start: float
    active_ratio_end: float
    gb_per_user: float
    punctuality: float


@dataclass(frozen=True)
class World:
    seed: int
    anchor: dt.datetime
    """Latest moment any record may carry: ``now`` floored to the hour, in UTC."""
    window_start: dt.datetime
    agents: tuple[AgentPlan, ...]
    reps: tuple[RepPlan, ...]

    @property
    def span(self) -> dt.timedelta:
        return self.anchor - self.window_start


class _Names:
    """Unique Persian full names and unique phones / Telegram ids, from one shared generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.names: set[str] = set()
        self.phones: set[str] = set()
        self.telegram_ids: set[int] = set()

    def person(self) -> tuple[str, str, str]:
        while True:
            female = self.rng.random() < 0.22
            first = self.rng.choice(FEMALE_FIRST_NAMES if female else MALE_FIRST_NAMES)
            last = self.rng.choice(LAST_NAMES)
            full = f"{first} {last}"
            if full not in self.names:
                self.names.add(full)
                return full, first, f"{'خانم' if female else 'آقای'} {last}"

    def phone(self) -> str:
        while True:
            phone = f"+98{self.rng.choice(MOBILE_PREFIXES)}{self.rng.randrange(10**7):07d}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def telegram_id(self) -> int:
        while True:
            user_id = self.rng.randrange(100_000_000, 7_000_000_000)
            if user_id not in self.telegram_ids:
                self.telegram_ids.add(user_id)
                return user_id


def _agents(names: _Names, anchor: dt.datetime) -> tuple[AgentPlan, ...]:
    agents = []
    for key in range(SUPERVISOR_COUNT + AGENT_COUNT):
        full, _, title = names.person()
        agents.append(
            AgentPlan(
                key=key,
                telegram_user_id=names.telegram_id(),
                full_name=full,
                title=title,
                role=AgentRole.SUPERVISOR if key < SUPERVISOR_COUNT else AgentRole.AGENT,
                created_at=anchor - days(names.rng, 420, 1100),
            )
        )
    return tuple(agents)


def build_world(seed: int, now: dt.datetime) -> World:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    anchor = now.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    window_start = anchor - HISTORY
    names = _Names(rng_for(seed, "people"))
    agents = _agents(names, anchor)
    cohort_of = cohorts(seed)
    picker = rng_for(seed, "special")
    codes = sorted(cohort_of)
    churned = set(picker.sample([c for c in codes if cohort_of[c] is Cohort.CHURN], CHURNED_COUNT))
    paused = set(picker.sample([c for c in codes if cohort_of[c] is Cohort.STEADY], PAUSED_COUNT))
    no_profiling = set(picker.sample(codes, PROFILING_OPT_OUTS))
    no_nudges = set(picker.sample(codes, NUDGE_OPT_OUTS))
    reps = []
    for number, code in enumerate(codes, 1):
        reps.append(
            _rep(
                rng_for(seed, f"rep/{code}"),
                names,
                number=number,
                code=code,
                cohort=cohort_of[code],
                agents=agents,
                anchor=anchor,
                window_start=window_start,
                churned=code in churned,
                paused=code in paused,
                profiling_opt_out=code in no_profiling,
                nudges_opt_out=code in no_nudges,
            )
        )
    return World(seed=seed, anchor=anchor, window_start=window_start, agents=agents, reps=tuple(reps))


def _rep(
    rng: random.Random,
    names: _Names,
    *,
    number: int,
    code: str,
    cohort: Cohort,
    agents: Sequence[AgentPlan],
    anchor: dt.datetime,
    window_start: dt.datetime,
    churned: bool,
    paused: bool,
    profiling_opt_out: bool,
    nudges_opt_out: bool,
) -> RepPlan:
    full_name, first_name, title = names.person()
    phone = names.phone()
    telegram_id = names.telegram_id() if names.rng.random() < 0.65 else None
    city = pick(rng, CITIES, [c.weight for c in CITIES])
    tier = pick(rng, TIERS[:2], (70, 30)) if cohort is Cohort.UPSELL else pick(rng, TIERS, TIER_WEIGHTS)
    is_new = cohort is Cohort.STEADY and not paused and rng.random() < 0.12
    joined_at = anchor - (days(rng, 40, 300) if is_new else days(rng, 380, 1200))
    previous_tier, upgraded_at = None, None
    upgrade_room = (window_start - joined_at).days - 70
    if tier.rank > 0 and upgrade_room > 0 and rng.random() < 0.3:
        previous_tier = TIERS[tier.rank - 1]
        upgraded_at = joined_at + days(rng, 60, 60 + upgrade_room)
    onset = ended_at = unreachable_at = None
    status = RepStatus.ACTIVE
    if churned:
        ended_at = anchor - days(rng, 14, 120)
        onset = max(ended_at - days(rng, 100, 180), window_start + dt.timedelta(days=45))
        status = RepStatus.CHURNED
        if rng.random() < 0.5:
            unreachable_at = ended_at + days(rng, 5, 12)
    elif cohort is Cohort.CHURN:
        onset = anchor - days(rng, 110, 230)
    elif paused:
        ended_at = anchor - days(rng, 10, 60)
        status = RepStatus.PAUSED
    fill_start = {Cohort.STEADY: rng.uniform(0.3, 0.62), Cohort.UPSELL: rng.uniform(0.45, 0.6)}.get(
        cohort, rng.uniform(0.4, 0.7)
    )
    fill_end = {
        Cohort.STEADY: fill_start * rng.uniform(0.92, 1.08),
        Cohort.UPSELL: rng.uniform(0.9, 0.98),
        Cohort.CHURN: fill_start * rng.uniform(0.35, 0.6),
    }[cohort]
    ratio_start = rng.uniform(0.8, 0.9) if cohort is Cohort.UPSELL else rng.uniform(0.65, 0.85)
    ratio_end = {
        Cohort.STEADY: ratio_start,
        Cohort.UPSELL: rng.uniform(0.9, 0.96),
        Cohort.CHURN: rng.uniform(0.3, 0.45),
    }[cohort]
    agent = pick(rng, agents, [3 if a.role is AgentRole.SUPERVISOR else 10 for a in agents])
    return RepPlan(
        number=number,
        code=code,
        cohort=cohort,
        full_name=full_name,
        first_name=first_name,
        title=title,
        phone=phone,
        telegram_user_id=telegram_id,
        city=city,
        operator=pick(rng, OPERATORS, OPERATOR_WEIGHTS),
        marzban_admin_username=f"{city.slug}_{number:04d}",
        tier=tier,
        previous_tier=previous_tier,
        upgraded_at=upgraded_at,
        agent_key=agent.key,
        joined_at=joined_at,
        onset=onset,
        ended_at=ended_at,
        status=status,
        profiling_opt_out=profiling_opt_out,
        nudges_opt_out_at=max(anchor - days(rng, 5, 150), joined_at + dt.timedelta(days=1))
        if nudges_opt_out
        else None,
        unreachable_at=unreachable_at,
        fill_start=fill_start,
        fill_end=fill_end,
        active_ratio_start=ratio_start,
        active_ratio_end=ratio_end,
        gb_per_user=rng.uniform(4, 14),
        punctuality=rng.uniform(0.85, 1.0) if cohort is Cohort.UPSELL else rng.uniform(0.6, 0.95),
    )
