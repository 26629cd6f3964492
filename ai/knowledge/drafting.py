"""The drafting co-pilot: a message to a representative from a kind, a tone and the agent's goal.

Offline, drafts are assembled from the phrase bank (:mod:`ai.knowledge.draft_phrases`): greeting,
the goal, an intent paragraph (payment, outage, renewal, setup, check-in; detected from the goal),
a next step, a closing and the signature, in the chosen tone. Revisions (shorter, more formal,
warmer) rebuild the draft with the changed parameter, so they are deterministic and stack.

With an LLM, ``kb_draft`` writes the draft from the same request (plus knowledge passages on the
goal, as data) and ``kb_draft_revise`` applies a revision to the current text.
"""

from __future__ import annotations

import asyncio
import re
from typing import Literal

from pydantic import BaseModel, Field

from ai.context import ContextSection
from ai.knowledge import draft_phrases as phrases
from ai.knowledge.hub import KnowledgeHub
from ai.knowledge.passages import context_section, number_sources, trim
from ai.llm import AIResult, LLMGateway, run_with_fallback
from ai.llm.gateway import GatewayResult
from ai.prompts import load_template
from ai.text.persian import fold

DraftKind = Literal["telegram", "support_reply", "email"]
DraftTone = Literal["formal", "friendly", "warm"]
DraftLength = Literal["normal", "short"]
Revision = Literal["shorter", "formal", "warmer"]

MAX_GOAL_CHARS = 600
_SENTENCE_ENDING = re.compile(
    r"(?:[.!?؟]|(?:ید|یم|است|شود|شد|باشد|کنید|کنیم|دهید|بفرمایید|بگیرید|کند|دارد|دارند|هستیم))$"
)
_KIND_LABEL = {"telegram": "Telegram message", "support_reply": "support reply", "email": "email"}


class DraftRequest(BaseModel):
    kind: DraftKind
    tone: DraftTone = "friendly"
    length: DraftLength = "normal"
    goal: str = Field(min_length=1, max_length=MAX_GOAL_CHARS)
    rep_name: str | None = None
    agent_name: str = "کارشناس مارفانت"


class Draft(BaseModel):
    request: DraftRequest
    text: str
    intent: str


class LLMDraft(BaseModel):
    text: str = Field(min_length=1)


def detect_intent(goal: str) -> str:
    folded = fold(goal)
    for intent, keywords in phrases.INTENT_KEYWORDS.items():
        if any(keyword in folded for keyword in keywords):
            return intent
    return "general"


def goal_sentence(goal: str, tone: str) -> str:
    goal = " ".join(goal.split()).rstrip("،,;:")
    if _SENTENCE_ENDING.search(goal):
        return goal if goal.endswith((".", "!", "?", "؟")) else goal + "."
    return phrases.GOAL_LEAD[tone].format(goal=goal)


def draft_offline(request: DraftRequest) -> Draft:
    kind, tone, short = request.kind, request.tone, request.length == "short"
    intent = detect_intent(request.goal)
    name = request.rep_name.strip() if request.rep_name else ""
    greeting = phrases.GREETING[kind][tone].format(name=name) if name else phrases.GREETING_NO_NAME[tone]
    body = phrases.BODY[intent][tone]
    if short and body:
        body = re.split(r"(?<=[.؛])\s+", body)[0]
    paragraphs: list[str] = []
    if kind == "email":
        subject = phrases.SUBJECT.get(intent) or trim(request.goal, 60)
        paragraphs.append(phrases.SUBJECT_LINE.format(subject=subject))
    paragraphs.append(greeting)
    core = [goal_sentence(request.goal, tone)]
    if kind == "support_reply" and not short:
        core.insert(0, phrases.ACKNOWLEDGE[tone])
    if body:
        core.append(body)
    paragraphs.append(" ".join(core))
    if not short:
        extra = " ".join(p for p in (phrases.NEXT_STEP[intent][tone], phrases.CLOSING[kind][tone]) if p)
        if kind == "email":
            if phrases.NEXT_STEP[intent][tone]:
                paragraphs.append(phrases.NEXT_STEP[intent][tone])
            paragraphs.append(phrases.CLOSING[kind][tone])
        elif extra:
            paragraphs.append(extra)
    elif kind == "email":
        paragraphs.append(phrases.CLOSING[kind][tone])
    signature = phrases.SIGNATURE[kind].format(agent=request.agent_name)
    if kind == "email":
        paragraphs[-1] = f"{paragraphs[-1]}\n{signature}"
    else:
        paragraphs.append(signature)
    return Draft(request=request, text="\n\n".join(paragraphs), intent=intent)


def revised_request(request: DraftRequest, revision: Revision) -> DraftRequest:
    if revision == "shorter":
        return request.model_copy(update={"length": "short"})
    if revision == "formal":
        return request.model_copy(update={"tone": "formal"})
    return request.model_copy(update={"tone": "warm"})


def _request_text(request: DraftRequest) -> str:
    return "\n".join(
        (
            f"kind: {_KIND_LABEL[request.kind]}",
            f"tone: {request.tone}",
            f"length: {request.length}",
            f"representative: {request.rep_name or '(none given)'}",
            f"agent (signs the message): {request.agent_name}",
            f"goal: {request.goal}",
        )
    )


async def compose(
    request: DraftRequest, *, hub: KnowledgeHub | None = None, gateway: LLMGateway | None = None
) -> AIResult[Draft]:
    """A new draft: the LLM when configured (knowledge on the goal as data), else the phrase bank."""

    async def llm() -> GatewayResult[Draft]:
        assert gateway is not None
        passages = ContextSection("passages", priority=1, records=[])
        if hub is not None:
            result = await asyncio.to_thread(hub.search, request.goal, 4, "hybrid")
            if result.confidence >= hub.settings.min_confidence:
                passages = context_section("passages", number_sources(result.hits, 2))
        reply = await gateway.complete_json(
            load_template("kb_draft"), {"request": _request_text(request), "passages": passages}, LLMDraft
        )
        return reply.map(
            lambda value: Draft(request=request, text=value.text.strip(), intent=detect_intent(request.goal))
        )

    use_llm = gateway is not None and gateway.config.enabled
    return await run_with_fallback(llm if use_llm else None, lambda: draft_offline(request))


async def revise(draft: Draft, revision: Revision, *, gateway: LLMGateway | None = None) -> AIResult[Draft]:
    """The draft changed as asked; offline it is rebuilt with the changed tone or length."""
    request = revised_request(draft.request, revision)

    async def llm() -> GatewayResult[Draft]:
        assert gateway is not None
        reply = await gateway.complete_json(
            load_template("kb_draft_revise"),
            {"draft": draft.text, "change": phrases.REVISIONS[revision]},
            LLMDraft,
        )
        return reply.map(lambda value: Draft(request=request, text=value.text.strip(), intent=draft.intent))

    use_llm = gateway is not None and gateway.config.enabled
    return await run_with_fallback(llm if use_llm else None, lambda: draft_offline(request))
