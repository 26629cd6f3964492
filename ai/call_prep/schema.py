"""The briefing an agent reads before a call: sections of items, each with the records it rests on.

Both engines (offline and LLM) produce a :class:`Briefing`; :mod:`ai.call_prep.validate` checks it the
same way whichever produced it. Evidence is a list of ``{type, id}`` pairs naming CRM rows; inside a
prompt the same rows are cited by a compact token (``i_123`` for interaction 123, ``t_45`` for ticket
45, …), which is also the bot command that opens the record (``/i_123``).
"""

from __future__ import annotations

import re
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

EvidenceType = Literal["interaction", "ticket", "payment", "invoice", "usage"]

PREFIX: Final[dict[str, str]] = {
    "interaction": "i",
    "ticket": "t",
    "payment": "p",
    "invoice": "v",
    "usage": "u",
}
_TYPE_BY_PREFIX: Final = {prefix: kind for kind, prefix in PREFIX.items()}
TOKEN: Final = re.compile(r"^([itpvu])_([1-9][0-9]{0,17})$")

SECTIONS: Final = (
    "at_a_glance",
    "summary",
    "emotional_state",
    "avoid",
    "pleased",
    "talking_points",
    "empathy_prompts",
    "risks",
    "opportunities",
    "cultural_notes",
    "best_time",
    "questions",
)
PROFILING_SECTIONS: Final = frozenset({"emotional_state", "avoid", "pleased", "empathy_prompts"})
"""Emotional and personality parts, left out for a representative who opted out of profiling."""

# Notices: machine-readable facts about how the briefing was made; the bot words them via its catalog.
NOTICE_PROFILING_OPT_OUT: Final = "profiling_opt_out"
NOTICE_ONBOARDING: Final = "onboarding"
NOTICE_NO_SALES_TODAY: Final = "no_sales_today"
Notice = Literal["profiling_opt_out", "onboarding", "no_sales_today"]


class EvidenceRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    type: EvidenceType
    id: int = Field(gt=0)

    @property
    def token(self) -> str:
        return f"{PREFIX[self.type]}_{self.id}"

    @classmethod
    def parse(cls, token: str) -> EvidenceRef | None:
        """``i_123`` → interaction 123; anything else → None."""
        found = TOKEN.match(token.strip())
        if found is None:
            return None
        return cls(type=_TYPE_BY_PREFIX[found.group(1)], id=int(found.group(2)))


def ref(token: str) -> EvidenceRef:
    parsed = EvidenceRef.parse(token)
    if parsed is None:
        raise ValueError(f"not an evidence token: {token!r}")
    return parsed


class BriefingItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str = Field(min_length=1, max_length=600)
    evidence: list[EvidenceRef] = Field(default_factory=list)
    purpose: str | None = Field(default=None, max_length=200)
    """Talking points: why to raise it."""
    pitch: str | None = Field(default=None, max_length=400)
    """Opportunities: the honest way to offer it (or why not today)."""


class Briefing(BaseModel):
    model_config = ConfigDict(frozen=True)

    at_a_glance: list[BriefingItem] = Field(default_factory=list)
    summary: list[BriefingItem] = Field(default_factory=list)
    emotional_state: list[BriefingItem] = Field(default_factory=list)
    avoid: list[BriefingItem] = Field(default_factory=list)
    pleased: list[BriefingItem] = Field(default_factory=list)
    talking_points: list[BriefingItem] = Field(default_factory=list)
    empathy_prompts: list[BriefingItem] = Field(default_factory=list)
    risks: list[BriefingItem] = Field(default_factory=list)
    opportunities: list[BriefingItem] = Field(default_factory=list)
    cultural_notes: list[BriefingItem] = Field(default_factory=list)
    best_time: list[BriefingItem] = Field(default_factory=list)
    questions: list[BriefingItem] = Field(default_factory=list)
    notices: list[Notice] = Field(default_factory=list)

    def section(self, name: str) -> list[BriefingItem]:
        if name not in SECTIONS:
            raise KeyError(name)
        items: list[BriefingItem] = getattr(self, name)
        return items

    def items(self) -> list[tuple[str, BriefingItem]]:
        return [(name, item) for name in SECTIONS for item in self.section(name)]

    def evidence(self) -> list[EvidenceRef]:
        """Every cited record once, in order of first citation."""
        seen: dict[str, EvidenceRef] = {}
        for _, item in self.items():
            for evidence in item.evidence:
                seen.setdefault(evidence.token, evidence)
        return list(seen.values())


# --------------------------------------------------------------------------- what the LLM returns
# Narrative sections only: at-a-glance facts, best time to call and calendar notes are computed, not
# written by a model. Evidence comes back as tokens and is checked against what the model was shown.


class LLMItem(BaseModel):
    text: str = Field(min_length=1, max_length=500)
    evidence_ids: list[str] = Field(default_factory=list, max_length=8)


class LLMTalkingPoint(LLMItem):
    purpose: str = Field(min_length=1, max_length=200)


class LLMOpportunity(LLMItem):
    pitch: str = Field(min_length=1, max_length=400)


class LLMBriefing(BaseModel):
    summary: list[LLMItem] = Field(min_length=1, max_length=4)
    emotional_state: list[LLMItem] = Field(default_factory=list, max_length=2)
    avoid: list[LLMItem] = Field(default_factory=list, max_length=3)
    pleased: list[LLMItem] = Field(default_factory=list, max_length=3)
    talking_points: list[LLMTalkingPoint] = Field(min_length=3, max_length=5)
    empathy_prompts: list[LLMItem] = Field(default_factory=list, max_length=4)
    risks: list[LLMItem] = Field(default_factory=list, max_length=5)
    opportunities: list[LLMOpportunity] = Field(default_factory=list, max_length=4)
    questions: list[LLMItem] = Field(min_length=1, max_length=5)

    def texts(self) -> list[str]:
        """Everything the model wrote, item by item (texts, purposes, pitches)."""
        return [
            text
            for field in LLMBriefing.model_fields
            for entry in getattr(self, field)
            for text in (entry.text, getattr(entry, "purpose", ""), getattr(entry, "pitch", ""))
            if text
        ]
