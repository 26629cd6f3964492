"""The emotional sections: current state and arc, what to avoid, what pleased them, empathy phrases.

Only built for representatives who did not opt out of profiling. Each rests on the emotional arc
(``ai.coaching``) and the interactions it was computed from.
"""

from __future__ import annotations

from collections import Counter
from typing import Final

from ai.call_prep import analysis as an
from ai.call_prep import phrases as ph
from ai.call_prep.facts import item
from ai.call_prep.inputs import InteractionFact, PrepInput
from ai.call_prep.schema import BriefingItem

RECENT_EMOTION_DAYS: Final = 45
MAX_TRIGGERS: Final = 3
MIN_TRIGGER_COUNT: Final = 2  # one coincidence is not a pattern
MIN_TRIGGER_LIFT: Final = 1.0  # it precedes a drop at least as often as it precedes anything
MAX_MOMENTS: Final = 3
MAX_EMPATHY: Final = 3


def _by_token(inp: PrepInput) -> dict[str, InteractionFact]:
    return {i.token: i for i in inp.interactions}


def emotional_state(inp: PrepInput) -> list[BriefingItem]:
    arc, now = inp.arc, inp.now
    if arc is None or arc.current is None:
        return [item("حال‌وهوا: پیام تحلیل‌شده‌ای برای سنجش نیست.")]
    line = (
        f"حال‌وهوای فعلی: {ph.mood(arc.current)}؛ روند ۹۰ روز: {ph.TREND.get(arc.trend_direction, '')} "
        f"(بر پایهٔ {ph.num(arc.trend_n)} پیام)"
    )
    evidence = list(arc.trend_evidence)
    if arc.turning_points:
        turn = arc.turning_points[-1]
        kind = "اوج" if turn.kind == "peak" else "افت"
        line += f"؛ آخرین نقطهٔ عطف: {kind} در {ph.date(turn.at)}"
        evidence.insert(0, turn.token)
    out = [item(line + ".", an.tokens(evidence))]
    start = an.since(now, RECENT_EMOTION_DAYS)
    recent = [i for i in inp.interactions if i.occurred_at >= start and i.emotions]
    counts = Counter(e for i in recent for e in i.emotions[:2])
    if counts:
        names = "، ".join(ph.EMOTIONS.get(e, e) for e, _ in counts.most_common(2))
        holders = [i for i in recent if set(i.emotions[:2]) & {e for e, _ in counts.most_common(2)}]
        text = f"در پیام‌های {ph.num(RECENT_EMOTION_DAYS)} روز اخیر بیشتر: {names}."
        out.append(item(text, an.tokens(holders)))
    return out


def avoid(inp: PrepInput) -> list[BriefingItem]:
    """What tended to come right before their mood dropped (triggers of negative shifts)."""
    arc = inp.arc
    if arc is None:
        return []
    out: list[BriefingItem] = []
    for trigger in arc.triggers:
        name = ph.TRIGGER_NAMES.get(trigger.key)
        if name is None or trigger.count < MIN_TRIGGER_COUNT or trigger.lift < MIN_TRIGGER_LIFT:
            continue
        if len(out) >= MAX_TRIGGERS:
            break
        text = (
            f"{name}: پیش از {ph.num(trigger.count)} مورد از افت‌های حال‌وهوایش پیش آمده؛ "
            "بی‌مقدمه مطرح نکنید و اگر لازم شد، همراه راه‌حل بگویید."
        )
        out.append(item(text, an.tokens([*trigger.shifts[-3:], *trigger.evidence[-3:]])))
    return out


def pleased(inp: PrepInput) -> list[BriefingItem]:
    arc = inp.arc
    if arc is None:
        return []
    known = _by_token(inp)
    out: list[BriefingItem] = []
    for token in reversed(arc.satisfaction):
        fact = known.get(token)
        if fact is None or not an.wholehearted(fact):
            continue
        if "praise_agent" in fact.signals:
            what = "از پیگیری و پاسخ‌گویی کارشناس تشکر کرد"
        elif fact.outcome == "resolved":
            what = "از حل‌شدن مشکلش راضی بود"
        elif "renewal_intent" in fact.signals:
            what = "از ادامهٔ همکاری حرف زد"
        else:
            what = "حال‌وهوای مثبتی داشت"
        text = f"{ph.when(fact.occurred_at, inp.now)} {what}: «{ph.quote(fact.words, 70)}»"
        out.append(item(text, [fact.token]))
        if len(out) >= MAX_MOMENTS:
            break
    return out


def empathy_prompts(inp: PrepInput, grievances: list[an.Grievance], register: str) -> list[BriefingItem]:
    """Concrete phrases for this representative's own grievances, in their register."""
    familiar = register == "informal"
    out: list[BriefingItem] = []
    for grievance in grievances[:MAX_EMPATHY]:
        formal_text, familiar_text = ph.EMPATHY[grievance.kind]
        template = familiar_text if familiar else formal_text
        about = (
            f"«{ph.quote(grievance.subject, 50)}»"
            if grievance.subject
            else ph.GRIEVANCE_ABOUT[grievance.kind]
        )
        text = template.format(date=ph.day_month(grievance.latest), about=about)
        out.append(item(text, grievance.evidence))
    return out
