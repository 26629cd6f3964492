"""The LLM engine: the ``call_prep`` template through the gateway, validated like the offline briefing.

The model writes the narrative sections, in the language it is asked for; at a glance, cultural notes
and the best time to call are computed facts (:mod:`ai.call_prep.facts`), worded by the phrase bank of
that language, and are never delegated to it. Evidence comes back as tokens; the ones that do not parse
are reported as unparsable so validation can drop and log them. :func:`in_language` tells whether the
model wrote in the requested language at all.
"""

from __future__ import annotations

import re
from typing import Final

from ai.action_guard import action_problems
from ai.call_prep import facts
from ai.call_prep.context import sections
from ai.call_prep.inputs import PrepInput
from ai.call_prep.occasions import no_sales_today, occasions
from ai.call_prep.phrases import Language, bank
from ai.call_prep.schema import (
    NOTICE_NO_SALES_TODAY,
    NOTICE_ONBOARDING,
    Briefing,
    BriefingItem,
    EvidenceRef,
    LLMBriefing,
    LLMItem,
    LLMOpportunity,
    LLMTalkingPoint,
    Notice,
)
from ai.llm import GatewayResult, LLMGateway
from ai.pii import PersonName
from ai.prompts import PromptTemplate, load_template

TEMPLATE_ID: Final = "call_prep"
_QUOTED = re.compile(r"«[^»]*»")


def template() -> PromptTemplate:
    return load_template(TEMPLATE_ID)


def _convert(items: list[LLMItem], unparsable: list[str]) -> list[BriefingItem]:
    out = []
    for item in items:
        refs = []
        for token in item.evidence_ids:
            parsed = EvidenceRef.parse(token)
            if parsed is None:
                unparsable.append(token.strip()[:40] or "(empty)")
            else:
                refs.append(parsed)
        extra: dict[str, str] = {}
        if isinstance(item, LLMTalkingPoint):
            extra["purpose"] = item.purpose
        if isinstance(item, LLMOpportunity):
            extra["pitch"] = item.pitch
        out.append(BriefingItem(text=item.text.strip(), evidence=refs, **extra))
    return out


def to_briefing(inp: PrepInput, answer: LLMBriefing, language: Language) -> tuple[Briefing, list[str]]:
    """The model's sections around the computed ones, and the evidence strings that were not tokens."""
    ph = bank(language)
    unparsable: list[str] = []
    notices: list[Notice] = []
    if not inp.has_history:
        notices.append(NOTICE_ONBOARDING)
    if no_sales_today(occasions(inp.now)):
        notices.append(NOTICE_NO_SALES_TODAY)
    briefing = Briefing(
        at_a_glance=facts.at_a_glance(inp, ph),
        summary=_convert(answer.summary, unparsable),
        emotional_state=_convert(answer.emotional_state, unparsable),
        avoid=_convert(answer.avoid, unparsable),
        pleased=_convert(answer.pleased, unparsable),
        talking_points=_convert(list(answer.talking_points), unparsable),
        empathy_prompts=_convert(answer.empathy_prompts, unparsable),
        risks=_convert(answer.risks, unparsable),
        opportunities=_convert(list(answer.opportunities), unparsable),
        cultural_notes=facts.cultural_notes(inp, ph),
        best_time=facts.best_time(inp, ph),
        questions=_convert(answer.questions, unparsable),
        notices=notices,
    )
    return briefing, unparsable


def in_language(answer: LLMBriefing, language: Language) -> bool:
    """Whether most letters the model wrote, outside «quotes» of what people said, are in ``language``'s
    script. Names (of people, plans, cities) stay Persian in English text, so one script need not be
    all of it; an English agent handed a Persian briefing is what this catches."""
    written = " ".join(_QUOTED.sub(" ", text) for text in answer.texts())
    letters = [char for char in written if char.isalpha()]
    if not letters:
        return True
    share = sum("\u0600" <= char <= "\u06ff" for char in letters) / len(letters)
    return share >= 0.5 if language == "fa" else share < 0.5


async def ask(gateway: LLMGateway, inp: PrepInput, language: Language) -> GatewayResult[LLMBriefing]:
    """One gateway call; raises :class:`ai.llm.LLMError` subclasses on any failure. The representative's
    and their agent's names go out as pseudonyms, wherever they occur (profile, notes, messages). The
    agent acts on every line of a briefing, so every line passes the action guard (no links, credential
    requests or false urgency: call prep quotes no document that could vouch for a link)."""
    return await gateway.complete_json(
        template(),
        sections(inp, language),
        LLMBriefing,
        names=_people(inp),
        check=lambda answer: action_problems(answer.texts(), audience="agent"),
    )


def _people(inp: PrepInput) -> list[PersonName]:
    return [PersonName("REP", inp.rep.full_name), PersonName("AGENT", inp.rep.assigned_agent_name)]
