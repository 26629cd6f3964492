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

from ai.action_guard import action_problems, trusted_hosts
from ai.context import ContextSection
from ai.knowledge import draft_phrases as phrases
from ai.knowledge.draft_facts import SHORT_GUIDE_STEPS, CrmNote, DraftFacts, DraftGuide, find_guide
from ai.knowledge.hub import KnowledgeHub
from ai.knowledge.passages import Source, context_section, number_sources, trim, vouched_hosts
from ai.llm import AIResult, LLMGateway, run_with_fallback
from ai.llm.gateway import GatewayResult
from ai.pii import PersonName
from ai.prompts import load_template
from ai.text.persian import fold, to_persian_digits

DraftKind = Literal["telegram", "support_reply", "email"]
DraftTone = Literal["formal", "friendly", "warm"]
DraftLength = Literal["normal", "short"]
Revision = Literal["shorter", "formal", "warmer"]

MAX_GOAL_CHARS = 600
UNNAMED_AGENT = "کارشناس مارفانت"
"""The signature when no agent is named: a role, not a person's name, so it is never pseudonymised."""
_SENTENCE_ENDING = re.compile(
    r"(?:[.!?؟]|(?:ید|یم|است|شود|شد|باشد|کنید|کنیم|دهید|بفرمایید|بگیرید|کند|دارد|دارند|هستیم))$"
)
_SENTENCE_END = re.compile(r"(?<=[.!?؟])\s+")
_KIND_LABEL = {"telegram": "Telegram message", "support_reply": "support reply", "email": "email"}


class DraftRequest(BaseModel):
    kind: DraftKind
    tone: DraftTone = "friendly"
    length: DraftLength = "normal"
    goal: str = Field(min_length=1, max_length=MAX_GOAL_CHARS)
    rep_name: str | None = None
    agent_name: str = UNNAMED_AGENT
    facts: DraftFacts = DraftFacts()
    """The representative's record as the draft was made; revisions keep it, so they agree."""
    guide: DraftGuide | None = None


class Draft(BaseModel):
    request: DraftRequest
    text: str
    intent: str
    crm_notes: list[CrmNote] = []
    """What the draft says because of the record or the hub, shown to the agent (never sent)."""


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


def wants_guide(kind: DraftKind, intent: str) -> bool:
    """A guide's steps belong in a setup or connection-problem message, and in a support reply that is
    about something other than money, plans or a check-in."""
    return intent in ("setup", "outage") or (kind == "support_reply" and intent == "general")


def _first_sentence(text: str) -> str:
    return _SENTENCE_END.split(text, maxsplit=1)[0]


def _with_facts(request: DraftRequest, intent: str) -> tuple[str, str, list[CrmNote]]:
    """The intent's paragraph and next step, unless the representative's record says otherwise."""
    tone, facts = request.tone, request.facts
    body, next_step = phrases.BODY[intent][tone], phrases.NEXT_STEP[intent][tone]
    if not facts.known:
        return body, next_step, []
    if intent == "outage":
        if (ticket := facts.open_service_ticket()) is not None:
            number = to_persian_digits(str(ticket.id))
            return f"{body} {phrases.TICKET_OPEN[tone].format(ticket=number)}", next_step, ["ticket_open"]
        if (ticket := facts.resolved_service_ticket()) is not None:
            number = to_persian_digits(str(ticket.id))
            return phrases.BY_FACT["ticket_resolved"][tone].format(ticket=number), "", ["ticket_resolved"]
        return phrases.BY_FACT["no_ticket"][tone], "", ["no_ticket"]
    if intent == "payment":
        if facts.unpaid_invoices:
            invoice = min(facts.unpaid_invoices, key=lambda i: i.due_at).phrase()
            return phrases.BY_FACT["invoice_due"][tone].format(invoice=invoice), next_step, ["invoice_due"]
        return phrases.BY_FACT["no_unpaid_invoice"][tone], "", ["no_unpaid_invoice"]
    return body, next_step, []


def _guide_paragraph(guide: DraftGuide, tone: str, short: bool) -> str:
    steps = guide.steps[:SHORT_GUIDE_STEPS] if short else guide.steps
    lines = [phrases.GUIDE_LEAD[tone].format(title=guide.title)]
    lines += [f"{to_persian_digits(str(n))}. {step}" for n, step in enumerate(steps, 1)]
    return "\n".join(lines)


def draft_offline(request: DraftRequest) -> Draft:
    kind, tone, short = request.kind, request.tone, request.length == "short"
    intent = detect_intent(request.goal)
    name = request.rep_name.strip() if request.rep_name else ""
    greeting = phrases.GREETING[kind][tone].format(name=name) if name else phrases.GREETING_NO_NAME[tone]
    body, next_step, notes = _with_facts(request, intent)
    if short and body:
        body = _first_sentence(body)
    guide = request.guide if request.guide is not None and wants_guide(kind, intent) else None
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
    if guide is not None:
        paragraphs.append(_guide_paragraph(guide, tone, short))
        notes.append("guide")
    if not short:
        extra = " ".join(p for p in (next_step, phrases.CLOSING[kind][tone]) if p)
        if kind == "email":
            if next_step:
                paragraphs.append(next_step)
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
    return Draft(request=request, text="\n\n".join(paragraphs), intent=intent, crm_notes=notes)


def revised_request(request: DraftRequest, revision: Revision) -> DraftRequest:
    if revision == "shorter":
        return request.model_copy(update={"length": "short"})
    if revision == "formal":
        return request.model_copy(update={"tone": "formal"})
    return request.model_copy(update={"tone": "warm"})


def _people(request: DraftRequest) -> list[PersonName]:
    """Whose names a draft's prompt holds (in the request, the goal, the draft being revised)."""
    agent = request.agent_name if request.agent_name != UNNAMED_AGENT else None
    return [PersonName("REP", request.rep_name), PersonName("AGENT", agent)]


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
    """A new draft: the LLM when configured (the record's facts, the guide and knowledge on the goal as
    data), else the phrase bank. Either way a matching guide from the hub is part of the request."""
    intent = detect_intent(request.goal)
    if hub is not None and request.guide is None and wants_guide(request.kind, intent):
        request = request.model_copy(update={"guide": await find_guide(hub, request.goal)})

    async def llm() -> GatewayResult[Draft]:
        assert gateway is not None
        sources: list[Source] = []
        if hub is not None:
            result = await asyncio.to_thread(hub.search, request.goal, 4, "hybrid")
            if result.confidence >= hub.settings.min_confidence:
                sources = number_sources(result.hits, 2)
        guide = request.guide.as_data() if request.guide is not None else "(none)"
        values: dict[str, ContextSection | str] = {
            "request": _request_text(request),
            "facts": request.facts.as_data(),
            "guide": guide,
            "passages": context_section("passages", sources),
        }
        # Links the hub's guide or passages name may be repeated; no other link goes to a customer.
        vouched = vouched_hosts(sources) | trusted_hosts([guide])
        reply = await gateway.complete_json(
            load_template("kb_draft"),
            values,
            LLMDraft,
            names=_people(request),
            check=lambda value: action_problems([value.text], audience="representative", trusted=vouched),
        )
        notes: list[CrmNote] = ["guide"] if request.guide is not None else []
        return reply.map(
            lambda value: Draft(request=request, text=value.text.strip(), intent=intent, crm_notes=notes)
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
            names=_people(draft.request),
            check=lambda value: action_problems(
                [value.text], audience="representative", trusted=trusted_hosts([draft.text])
            ),
        )
        return reply.map(
            lambda value: Draft(
                request=request, text=value.text.strip(), intent=draft.intent, crm_notes=draft.crm_notes
            )
        )

    use_llm = gateway is not None and gateway.config.enabled
    return await run_with_fallback(llm if use_llm else None, lambda: draft_offline(request))
