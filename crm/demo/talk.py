"""Writes one interaction's summary and body from the phrase pools, in the right register and mood."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from ai.text.calendar import JALALI_MONTHS_FA, to_jalali
from ai.text.persian import normalize
from crm.demo.curves import users
from crm.demo.phrases import (
    ANGRY_NOTES,
    ANGRY_VOICE,
    ANNOYED_NOTES,
    ANNOYED_VOICE,
    CLOSINGS,
    GREETINGS,
    NO_ANSWER_NOTES,
    NO_ANSWER_SUMMARIES,
    NOTE_OPENERS,
    WARM_NOTES,
    WARM_VOICE,
    Case,
    Topic,
)
from crm.demo.plan import AgentPlan, RepPlan, World, pick
from crm.demo.pools import APPS, NODES, OPERATOR_WEIGHTS, OPERATORS, PROTOCOLS, bigger_tier
from crm.enums import Channel, Direction, Outcome


class Mood(StrEnum):
    WARM = "warm"
    CALM = "calm"
    ANNOYED = "annoyed"
    ANGRY = "angry"


@dataclass(frozen=True)
class Text:
    summary: str
    body: str
    outcome: Outcome


def _other(rng: random.Random, pool: tuple[str, ...], not_this: str) -> str:
    return rng.choice([item for item in pool if item != not_this])


class Slots(dict[str, str]):
    """Values for every ``{slot}`` a phrase may use; the costlier ones are worked out on first use."""

    def __init__(
        self, rng: random.Random, world: World, rep: RepPlan, agent: AgentPlan, moment: dt.datetime
    ) -> None:
        operator = rep.operator if rng.random() < 0.7 else pick(rng, OPERATORS, OPERATOR_WEIGHTS)
        protocol, app = rng.choice(PROTOCOLS), rng.choice(APPS)
        bigger = bigger_tier(rep.tier)
        super().__init__(
            op=operator,
            op2=_other(rng, OPERATORS, operator),
            proto=protocol,
            proto2=_other(rng, PROTOCOLS, protocol),
            app=app,
            app2=_other(rng, APPS, app),
            node=rng.choice(NODES),
            amount=f"{rng.randrange(5, 101) * 100_000:,}",
            tier=rep.tier.name,
            bigger=bigger.name if bigger else rep.tier.name,
            limit=str(rep.tier.user_limit),
            agent=agent.title,
            rep=rep.title,
            rep_first=rep.first_name,
            city=rep.city.name,
            days=str(rng.randrange(3, 11)),
        )
        self._world, self._rep, self._moment = world, rep, moment
        self._share = rng.uniform(0.1, 0.3)

    def __missing__(self, key: str) -> str:
        world, rep, moment = self._world, self._rep, self._moment
        _, total = users(world, rep, moment)
        if key == "n":
            value = str(max(2, round(total * self._share)))
        elif key == "n_now":
            value = str(total)
        elif key == "n_old":
            value = str(max(users(world, rep, world.window_start)[1], total + 3))
        elif key == "month":
            value = JALALI_MONTHS_FA[to_jalali(moment).month - 1]
        else:
            raise KeyError(key)
        self[key] = value
        return value


_normal = lru_cache(maxsize=4096)(normalize)


def fill(template: str, values: Slots) -> str:
    """Templates and slot values are normalised already, so the filled text is too."""
    return _normal(template).format_map(values)


def _outcome(rng: random.Random, topic: Topic, mood: Mood) -> Outcome:
    outcome = pick(rng, [o for o, _ in topic.outcomes], [w for _, w in topic.outcomes])
    if mood is Mood.ANGRY and outcome in (Outcome.RESOLVED, Outcome.REACHED) and rng.random() < 0.6:
        return rng.choice((Outcome.COMPLAINT, Outcome.FOLLOW_UP))
    return outcome


def _cases(rng: random.Random, topic: Topic) -> list[Case]:
    """The main case, sometimes followed by a second detail from the same topic."""
    return rng.sample(topic.cases, k=2 if rng.random() < 0.3 and len(topic.cases) > 1 else 1)


def _mood_line(rng: random.Random, mood: Mood, *, voice: bool) -> list[str]:
    pools = {
        Mood.WARM: WARM_VOICE if voice else WARM_NOTES,
        Mood.ANNOYED: ANNOYED_VOICE if voice else ANNOYED_NOTES,
        Mood.ANGRY: ANGRY_VOICE if voice else ANGRY_NOTES,
    }
    pool = pools.get(mood)
    return [rng.choice(pool)] if pool else []


def compose(
    rng: random.Random,
    topic: Topic,
    channel: Channel,
    direction: Direction,
    values: Slots,
    mood: Mood,
) -> Text:
    """The representative's own words for inbound messages; otherwise the agent's note of what happened."""
    voice = direction is Direction.INBOUND and channel in GREETINGS
    cases = _cases(rng, topic)
    if voice:
        parts = [
            rng.choice(GREETINGS[channel]),
            *(case.voice for case in cases),
            *_mood_line(rng, mood, voice=True),
            rng.choice(CLOSINGS[channel]),
        ]
    else:
        parts = [
            rng.choice(NOTE_OPENERS[(channel, direction)]),
            *(case.note for case in cases),
            *_mood_line(rng, mood, voice=False),
            rng.choice(topic.actions),
        ]
    body = " ".join(fill(part, values) for part in parts)
    summary = fill(cases[0].summary, values)
    return Text(summary=summary, body=body, outcome=_outcome(rng, topic, mood))


def no_answer(rng: random.Random) -> Text:
    return Text(
        summary=_normal(rng.choice(NO_ANSWER_SUMMARIES)),
        body=_normal(rng.choice(NO_ANSWER_NOTES)),
        outcome=Outcome.NO_ANSWER,
    )
