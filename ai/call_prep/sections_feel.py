"""The emotional sections: current state and arc, what to avoid, what pleased them, empathy phrases.

Only built for representatives who did not opt out of profiling. Each rests on the emotional arc
(``ai.coaching``) and the interactions it was computed from, and is worded by the phrase bank given.
"""

from __future__ import annotations

from collections import Counter
from typing import Final

from ai.call_prep import analysis as an
from ai.call_prep.facts import item
from ai.call_prep.inputs import InteractionFact, PrepInput
from ai.call_prep.phrases import Phrases, quote
from ai.call_prep.schema import BriefingItem

RECENT_EMOTION_DAYS: Final = 45
MAX_TRIGGERS: Final = 3
MIN_TRIGGER_COUNT: Final = 2  # one coincidence is not a pattern
MIN_TRIGGER_LIFT: Final = 1.0  # it precedes a drop at least as often as it precedes anything
MAX_MOMENTS: Final = 3
MAX_EMPATHY: Final = 3


def _by_token(inp: PrepInput) -> dict[str, InteractionFact]:
    return {i.token: i for i in inp.interactions}


def emotional_state(inp: PrepInput, ph: Phrases) -> list[BriefingItem]:
    arc, now = inp.arc, inp.now
    if arc is None or arc.current is None:
        return [item(ph.mood_unknown)]
    line = ph.mood_line.format(
        mood=ph.mood(arc.current),
        trend=ph.trends.get(arc.trend_direction, ""),
        messages=ph.count(arc.trend_n, "message"),
    )
    evidence = list(arc.trend_evidence)
    if arc.turning_points:
        turn = arc.turning_points[-1]
        line += ph.mood_turn.format(kind=ph.turning_points[turn.kind], date=ph.date(turn.at))
        evidence.insert(0, turn.token)
    out = [item(line + ".", an.tokens(evidence))]
    start = an.since(now, RECENT_EMOTION_DAYS)
    recent = [i for i in inp.interactions if i.occurred_at >= start and i.emotions]
    counts = Counter(e for i in recent for e in i.emotions[:2])
    if counts:
        top = [e for e, _ in counts.most_common(2)]
        holders = [i for i in recent if set(i.emotions[:2]) & set(top)]
        text = ph.mood_emotions.format(
            days=ph.num(RECENT_EMOTION_DAYS), names=ph.join([ph.emotions.get(e, e) for e in top])
        )
        out.append(item(text, an.tokens(holders)))
    return out


def avoid(inp: PrepInput, ph: Phrases) -> list[BriefingItem]:
    """What tended to come right before their mood dropped (triggers of negative shifts)."""
    arc = inp.arc
    if arc is None:
        return []
    out: list[BriefingItem] = []
    for trigger in arc.triggers:
        name = ph.triggers.get(trigger.key)
        if name is None or trigger.count < MIN_TRIGGER_COUNT or trigger.lift < MIN_TRIGGER_LIFT:
            continue
        if len(out) >= MAX_TRIGGERS:
            break
        text = ph.avoid_trigger.format(name=name, count=ph.num(trigger.count))
        out.append(item(text, an.tokens([*trigger.shifts[-3:], *trigger.evidence[-3:]])))
    return out


def _pleased_reason(fact: InteractionFact) -> str:
    if "praise_agent" in fact.signals:
        return "praise"
    if fact.outcome == "resolved":
        return "resolved"
    if "renewal_intent" in fact.signals:
        return "renewal"
    return "positive"


def pleased(inp: PrepInput, ph: Phrases) -> list[BriefingItem]:
    arc = inp.arc
    if arc is None:
        return []
    known = _by_token(inp)
    out: list[BriefingItem] = []
    for token in reversed(arc.satisfaction):
        fact = known.get(token)
        if fact is None or not an.wholehearted(fact):
            continue
        text = ph.pleased_moment.format(
            when=ph.when(fact.occurred_at, inp.now),
            what=ph.pleased_reasons[_pleased_reason(fact)],
            words=quote(fact.words, 70),
        )
        out.append(item(text, [fact.token]))
        if len(out) >= MAX_MOMENTS:
            break
    return out


def empathy_prompts(grievances: list[an.Grievance], register: str, ph: Phrases) -> list[BriefingItem]:
    """Concrete phrases for this representative's own grievances, in their register."""
    familiar = register == "informal"
    out: list[BriefingItem] = []
    for grievance in grievances[:MAX_EMPATHY]:
        polite_text, familiar_text = ph.empathy[grievance.kind]
        about = (
            f"«{quote(grievance.subject, 50)}»" if grievance.subject else ph.grievance_about[grievance.kind]
        )
        template = familiar_text if familiar else polite_text
        out.append(
            item(template.format(date=ph.day_month(grievance.latest), about=about), grievance.evidence)
        )
    return out
