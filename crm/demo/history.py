"""A year of interactions per representative: when, on which channel, about what, in which mood."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from ai.text.calendar import TEHRAN
from crm.demo.curves import active_from, active_until, progress
from crm.demo.phrases import Topic
from crm.demo.plan import AgentPlan, Cohort, RepPlan, World, pick, rng_for
from crm.demo.pools import bigger_tier
from crm.demo.talk import Mood, Slots, compose, no_answer
from crm.demo.topics_business import CHECK_IN, GROWTH, INVOICE, RENEWAL, THANKS, WALLET
from crm.demo.topics_support import CHURN_TALK, CONFIG, CONNECTIVITY, PANEL, WINBACK
from crm.enums import Channel, Direction

SOURCE = "demo"
MONTHS = 12

CHANNELS = (Channel.CALL, Channel.TELEGRAM, Channel.VOICE_NOTE, Channel.EMAIL, Channel.IN_PERSON)
CHANNEL_WEIGHTS = (38, 32, 14, 7, 4)
INBOUND_SHARE = {
    Channel.CALL: 0.4,
    Channel.TELEGRAM: 0.6,
    Channel.VOICE_NOTE: 0.85,
    Channel.EMAIL: 0.5,
    Channel.IN_PERSON: 0.6,
}
# Tehran office hours, busier late morning and early evening.
HOURS = tuple(range(9, 21))
HOUR_WEIGHTS = (4, 7, 9, 9, 6, 5, 6, 7, 8, 7, 5, 3)

Row = dict[str, Any]


def _topic_weights(rep: RepPlan, p: float) -> dict[Topic, float]:
    if rep.cohort is Cohort.CHURN:
        weights = {
            CONNECTIVITY: 18 + 22 * p,
            CHURN_TALK: 1 + 26 * p,
            PANEL: 8 + 5 * p,
            INVOICE: 10 + 10 * p,
            CONFIG: 8 * (1 - p) + 2,
            WALLET: 12 * (1 - p) + 1,
            RENEWAL: 9 * (1 - p) + 1,
            THANKS: 8 * (1 - p),
            GROWTH: 3 * (1 - p),
            CHECK_IN: 14 * (1 - p) + 2,
        }
    elif rep.cohort is Cohort.UPSELL:
        weights = {
            CONNECTIVITY: 9,
            CONFIG: 10,
            PANEL: 5,
            WALLET: 14,
            INVOICE: 5,
            RENEWAL: 9,
            GROWTH: 6 + 30 * p,
            THANKS: 12,
            CHECK_IN: 9,
        }
    else:
        weights = {
            CONNECTIVITY: 18,
            CONFIG: 10,
            PANEL: 8,
            WALLET: 12,
            INVOICE: 12,
            RENEWAL: 10,
            GROWTH: 3,
            THANKS: 8,
            CHECK_IN: 16,
            CHURN_TALK: 1,
        }
    if bigger_tier(rep.tier) is None:
        weights[CHECK_IN] = weights.get(CHECK_IN, 0) + weights.pop(GROWTH, 0)
    return weights


def _mood(rng: random.Random, rep: RepPlan, p: float) -> Mood:
    if rep.cohort is Cohort.CHURN:
        roll = rng.random()
        if roll < 0.55 * p * p:
            return Mood.ANGRY
        if roll < 0.15 + 0.6 * p:
            return Mood.ANNOYED
        return Mood.CALM
    if rep.cohort is Cohort.UPSELL and rng.random() < 0.25 + 0.35 * p:
        return Mood.WARM
    return Mood.WARM if rng.random() < 0.1 else Mood.ANNOYED if rng.random() < 0.06 else Mood.CALM


def office_time(rng: random.Random, low: dt.datetime, high: dt.datetime) -> dt.datetime:
    """A moment in [low, high], in Tehran office hours when the range allows, rarely on a Friday."""
    for _ in range(8):
        day = (low + (high - low) * rng.random()).astimezone(TEHRAN).date()
        if day.weekday() == 4 and rng.random() < 0.85:
            continue
        local = dt.datetime.combine(day, dt.time(pick(rng, HOURS, HOUR_WEIGHTS), rng.randrange(60)), TEHRAN)
        moment = local.astimezone(dt.UTC)
        if low <= moment <= high:
            return moment
    return low + (high - low) * rng.random()


def _monthly_count(rng: random.Random, rep: RepPlan, p: float) -> int:
    if rep.cohort is Cohort.CHURN:
        return rng.randint(2, 5) + round(3 * p)
    return rng.randint(2, 5) + (1 if rep.cohort is Cohort.UPSELL and p > 0.6 else 0)


def _no_answer_chance(rep: RepPlan, p: float) -> float:
    return {Cohort.CHURN: 0.1 + 0.3 * p, Cohort.UPSELL: 0.06}.get(rep.cohort, 0.1)


def interactions(world: World, rep: RepPlan, agents: tuple[AgentPlan, ...]) -> list[Row]:
    """Rows for the interaction table (``rep`` and ``agent`` hold plan keys, resolved on insert)."""
    rng = rng_for(world.seed, f"interactions/{rep.code}")
    start, end = active_from(world, rep), active_until(world, rep)
    month = world.span / MONTHS
    planned: list[tuple[dt.datetime, Topic | None]] = []
    for index in range(MONTHS):
        low = max(start, world.window_start + month * index)
        high = min(end, world.window_start + month * (index + 1))
        if high <= low:
            continue
        p = progress(world, rep, low + (high - low) / 2)
        share = (high - low) / month
        planned.extend(
            (office_time(rng, low, high), None) for _ in range(round(_monthly_count(rng, rep, p) * share))
        )
    if rep.ended_at is not None and rep.cohort is Cohort.CHURN:
        for _ in range(rng.randint(1, 2)):
            moment = rep.ended_at + dt.timedelta(days=rng.uniform(10, 45))
            if moment <= world.anchor:
                planned.append(
                    (office_time(rng, moment, min(world.anchor, moment + dt.timedelta(days=3))), WINBACK)
                )
    planned.sort(key=lambda item: item[0])
    return [_row(rng, world, rep, agents, moment, topic, n) for n, (moment, topic) in enumerate(planned)]


def _row(
    rng: random.Random,
    world: World,
    rep: RepPlan,
    agents: tuple[AgentPlan, ...],
    moment: dt.datetime,
    fixed_topic: Topic | None,
    n: int,
) -> Row:
    p = progress(world, rep, moment)
    agent = agents[rep.agent_key] if rng.random() < 0.85 else rng.choice(agents)
    channel = Channel.CALL if fixed_topic else pick(rng, CHANNELS, CHANNEL_WEIGHTS)
    direction = (
        Direction.OUTBOUND if fixed_topic or rng.random() >= INBOUND_SHARE[channel] else Direction.INBOUND
    )
    unreachable = rep.unreachable_at is not None and moment >= rep.unreachable_at
    if (
        channel is Channel.CALL
        and direction is Direction.OUTBOUND
        and (unreachable or rng.random() < _no_answer_chance(rep, p))
    ):
        text = no_answer(rng)
    else:
        weights = _topic_weights(rep, p)
        topic = fixed_topic or pick(rng, list(weights), list(weights.values()))
        mood = Mood.CALM if fixed_topic else _mood(rng, rep, p)
        text = compose(rng, topic, channel, direction, Slots(rng, world, rep, agent, moment), mood)
    return {
        "rep": rep.code,
        "agent": agent.key,
        "channel": channel.value,
        "direction": direction.value,
        "occurred_at": moment,
        "summary": text.summary,
        "body": text.body,
        "outcome": text.outcome.value,
        "source": SOURCE,
        "idempotency_key": f"demo-{world.seed}-{rep.code}-{n:04d}",
        "created_at": min(world.anchor, moment + dt.timedelta(minutes=rng.randint(1, 90))),
    }
