"""One personalised nudge per representative: through the LLM gateway when a model is configured,
else (or when the model fails or its text breaks a guardrail) from the supervisor's template.

The knowledge hub is optional: anything with a ``suggest(topic)`` coroutine (:class:`KnowledgeLookup`)
can supply a relevant item; without one, the ``{kb_title}`` blocks of a template are simply dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel, Field

from ai.context import ContextRecord, ContextSection
from ai.llm import AIResult, GatewayResult, GuardrailViolation, LLMGateway, run_with_fallback
from ai.nudges.guardrails import violations, with_opt_out
from ai.nudges.templates import NudgeTemplate
from ai.pii import PersonName
from ai.prompts import load_template

PROMPT_ID = "nudge_draft"


@dataclass(frozen=True)
class KnowledgeItem:
    id: str
    title: str


class KnowledgeLookup(Protocol):
    """The knowledge hub's side of drafting: the best item for a topic, or None."""

    async def suggest(self, topic: str) -> KnowledgeItem | None: ...


@dataclass(frozen=True)
class Recipient:
    """What a nudge may be personalised with. Deliberately no sentiment, emotions or profile."""

    name: str
    topic: str | None = None
    knowledge: KnowledgeItem | None = None


@dataclass(frozen=True)
class Draft:
    text: str
    engine: str
    prompt_id: str | None
    prompt_version: int | None
    fallback_reason: str | None
    used_topic: bool
    knowledge_id: str | None


class _LLMNudge(BaseModel):
    text: str = Field(min_length=1, max_length=1500)


class NudgeDrafter:
    def __init__(
        self,
        template: NudgeTemplate,
        purpose: str,
        *,
        gateway: LLMGateway | None = None,
        knowledge: KnowledgeLookup | None = None,
    ) -> None:
        self._template = template
        self._purpose = purpose
        self._gateway = gateway if gateway is not None and gateway.config.enabled else None
        self._knowledge = knowledge

    @property
    def uses_llm(self) -> bool:
        return self._gateway is not None

    async def enrich(self, recipient: Recipient) -> Recipient:
        if self._knowledge is None or recipient.topic is None or recipient.knowledge is not None:
            return recipient
        item = await self._knowledge.suggest(recipient.topic)
        return recipient if item is None else Recipient(recipient.name, recipient.topic, item)

    def offline(self, recipient: Recipient) -> str:
        return self._template.render(
            {
                "name": recipient.name,
                "topic": recipient.topic,
                "kb_title": recipient.knowledge.title if recipient.knowledge else None,
            }
        )

    async def _llm(self, recipient: Recipient) -> GatewayResult[str]:
        assert self._gateway is not None
        lines = [ContextRecord(f"name: {recipient.name}")]
        if recipient.topic:
            lines.append(ContextRecord(f"recent topic: {recipient.topic}"))
        if recipient.knowledge:
            lines.append(ContextRecord(f"knowledge item: {recipient.knowledge.title}"))
        result = await self._gateway.complete_json(
            load_template(PROMPT_ID),
            {
                "purpose": self._purpose,
                "style": self._template.text,
                "recipient": ContextSection("recipient", 0, lines, required=True),
            },
            _LLMNudge,
            names=[PersonName("REP", recipient.name)],
        )
        text = with_opt_out(result.value.text)
        if problems := violations(text, trusted_hosts=self._template.link_hosts):
            raise GuardrailViolation("; ".join(problem.describe() for problem in problems))
        return result.map(lambda _: text)

    async def draft(self, recipient: Recipient) -> Draft:
        recipient = await self.enrich(recipient)
        llm_fn = (lambda: self._llm(recipient)) if self._gateway is not None else None
        result: AIResult[str] = await run_with_fallback(llm_fn, lambda: self.offline(recipient))
        return Draft(
            text=result.value,
            engine=result.engine,
            prompt_id=result.prompt_id,
            prompt_version=result.prompt_version,
            fallback_reason=result.fallback_reason,
            used_topic=recipient.topic is not None and recipient.topic in result.value,
            knowledge_id=recipient.knowledge.id if recipient.knowledge else None,
        )
