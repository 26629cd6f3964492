"""Knowledge hub use-cases for agents: /ask, /fix and /draft (with revisions and sending); 👍/👎 on
their outputs goes through the generic :mod:`crm.services.feedback`.

Every AI output is stored as an ``ai_suggestion`` with its engine, prompt id and version, fallback
reason and evidence (the cited document ids), so feedback and audits can use it. Sending a draft goes
through the outbox of one-off messages (:mod:`crm.services.outbox`): claimed per draft version and
committed before the Bot API call, so a second press finds the claim and sends nothing, a crash
mid-send is reported unconfirmed (never resent), and a refusal releases the claim.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from ai.knowledge import answer as kb_answer
from ai.knowledge import drafting, troubleshoot
from ai.knowledge.draft_facts import DraftFacts, InvoiceFact, TicketFact
from ai.knowledge.drafting import Draft, DraftKind, DraftRequest, DraftTone, Revision
from ai.knowledge.hub import KnowledgeHub
from ai.llm import AIResult, LLMGateway
from ai.text.language import Language
from crm.db import UnitOfWork
from crm.enums import OPEN_TICKET_STATUSES, InvoiceStatus, OutboundKind, SuggestionKind
from crm.errors import NotFound, ValidationFailed
from crm.models import AISuggestion, CrtAgent, Invoice, Representative, Ticket
from crm.schemas.knowledge import AnswerDTO, DiagnosisDTO, DraftDTO, DraftSentDTO
from crm.schemas.nudges import MessageSender
from crm.schemas.outbox import Outgoing
from crm.schemas.types import Actor
from crm.services import outbox


def _suggestion(
    kind: SuggestionKind,
    result: AIResult[Any],
    content: dict[str, Any],
    *,
    agent_id: int | None,
    representative_id: int | None = None,
    evidence: list[str] | None = None,
) -> AISuggestion:
    return AISuggestion(
        kind=kind.value,
        agent_id=agent_id,
        representative_id=representative_id,
        engine=result.engine,
        prompt_id=result.prompt_id,
        prompt_version=None if result.prompt_version is None else str(result.prompt_version),
        fallback_reason=result.fallback_reason,
        content=content,
        evidence=evidence or [],
    )


async def _store(uow: UnitOfWork, row: AISuggestion) -> int:
    uow.session.add(row)
    await uow.session.flush()
    await uow.commit()
    return row.id


async def _store_cited(
    uow: UnitOfWork, kind: SuggestionKind, result: AIResult[Any], agent_id: int | None
) -> int:
    """An answer or a diagnosis, stored with the documents it cites as evidence."""
    value = result.value
    row = _suggestion(
        kind, result, value.model_dump(mode="json"), agent_id=agent_id,
        evidence=[c.doc_id for c in value.citations],
    )  # fmt: skip
    return await _store(uow, row)


async def ask(
    uow: UnitOfWork,
    hub: KnowledgeHub,
    question: str,
    *,
    agent_id: int | None,
    gateway: LLMGateway | None = None,
    language: Language = "fa",
) -> AnswerDTO:
    result = await kb_answer.answer(
        hub, question, gateway=gateway, min_confidence=hub.settings.min_confidence, language=language
    )
    suggestion_id = await _store_cited(uow, SuggestionKind.KB_ANSWER, result, agent_id)
    return AnswerDTO(suggestion_id=suggestion_id, engine=result.engine, answer=result.value)


async def diagnose(
    uow: UnitOfWork,
    hub: KnowledgeHub,
    problem: str,
    *,
    agent_id: int | None,
    gateway: LLMGateway | None = None,
    language: Language = "fa",
) -> DiagnosisDTO:
    result = await troubleshoot.diagnose(
        hub, problem, gateway=gateway, min_confidence=hub.settings.min_confidence, language=language
    )
    suggestion_id = await _store_cited(uow, SuggestionKind.TROUBLESHOOT, result, agent_id)
    return DiagnosisDTO(suggestion_id=suggestion_id, engine=result.engine, path=result.value)


async def _draft_dto(
    uow: UnitOfWork, result: AIResult[Draft], rep: Representative | None, agent_id: int
) -> DraftDTO:
    content = result.value.model_dump(mode="json")
    row = _suggestion(
        SuggestionKind.DRAFT,
        result,
        content,
        agent_id=agent_id,
        representative_id=rep.id if rep is not None else None,
    )
    return DraftDTO(
        suggestion_id=await _store(uow, row),
        engine=result.engine,
        draft=result.value,
        rep_id=rep.id if rep is not None else None,
        rep_name=rep.full_name if rep is not None else None,
        rep_linked=rep is not None and rep.telegram_user_id is not None,
    )


RESOLVED_RECENTLY_DAYS = 14


async def draft_facts(uow: UnitOfWork, rep_id: int, now: dt.datetime) -> DraftFacts:
    """The representative's open and recently resolved tickets and unpaid invoices, as they are now.

    Reads along ix_ticket_representative_id_status and ix_invoice_representative_id_issued_at."""
    tickets = await uow.session.scalars(
        select(Ticket)
        .where(
            Ticket.representative_id == rep_id,
            (Ticket.status.in_([s.value for s in OPEN_TICKET_STATUSES]))
            | (Ticket.resolved_at >= now - dt.timedelta(days=RESOLVED_RECENTLY_DAYS)),
        )
        .order_by(Ticket.opened_at.desc())
        .limit(20)
    )
    open_tickets: list[TicketFact] = []
    resolved: list[TicketFact] = []
    for ticket in tickets:
        fact = TicketFact(
            id=ticket.id,
            category=ticket.category,
            subject=ticket.subject,
            status=ticket.status,
            resolved_at=ticket.resolved_at,
        )
        (resolved if ticket.resolved_at is not None else open_tickets).append(fact)
    invoices = await uow.session.scalars(
        select(Invoice)
        .where(
            Invoice.representative_id == rep_id,
            Invoice.status.in_([InvoiceStatus.OPEN.value, InvoiceStatus.OVERDUE.value]),
        )
        .order_by(Invoice.issued_at.desc())
        .limit(10)
    )
    unpaid = [
        InvoiceFact(
            number=invoice.number,
            amount_toman=int(invoice.amount_toman),
            due_at=invoice.due_at,
            overdue=invoice.status == InvoiceStatus.OVERDUE.value or invoice.due_at < now,
        )
        for invoice in invoices
    ]
    return DraftFacts(
        known=True, open_tickets=open_tickets, recently_resolved=resolved, unpaid_invoices=unpaid
    )


async def draft(
    uow: UnitOfWork,
    *,
    kind: DraftKind,
    tone: DraftTone,
    goal: str,
    agent_id: int,
    rep_id: int | None = None,
    hub: KnowledgeHub | None = None,
    gateway: LLMGateway | None = None,
) -> DraftDTO:
    agent = await uow.session.get(CrtAgent, agent_id)
    if agent is None:
        raise NotFound(f"agent {agent_id} not found", agent_id=agent_id)
    rep = await uow.session.get(Representative, rep_id) if rep_id is not None else None
    if rep_id is not None and rep is None:
        raise NotFound(f"representative {rep_id} not found", rep_id=rep_id)
    request = DraftRequest(
        kind=kind,
        tone=tone,
        goal=goal,
        rep_name=rep.full_name if rep is not None else None,
        agent_name=agent.full_name,
        facts=await draft_facts(uow, rep.id, dt.datetime.now(dt.UTC)) if rep is not None else DraftFacts(),
    )
    result = await drafting.compose(request, hub=hub, gateway=gateway)
    return await _draft_dto(uow, result, rep, agent_id)


async def _load_draft(uow: UnitOfWork, suggestion_id: int) -> tuple[AISuggestion, Draft]:
    row = await uow.session.get(AISuggestion, suggestion_id)
    if row is None or row.kind != SuggestionKind.DRAFT.value:
        raise NotFound(f"draft {suggestion_id} not found", suggestion_id=suggestion_id)
    return row, Draft.model_validate(row.content)


async def revise_draft(
    uow: UnitOfWork,
    suggestion_id: int,
    revision: Revision,
    *,
    agent_id: int,
    gateway: LLMGateway | None = None,
) -> DraftDTO:
    """A new draft suggestion derived from an earlier one (the earlier one stays as it was)."""
    row, current = await _load_draft(uow, suggestion_id)
    rep = (
        await uow.session.get(Representative, row.representative_id)
        if row.representative_id is not None
        else None
    )
    result = await drafting.revise(current, revision, gateway=gateway)
    return await _draft_dto(uow, result, rep, agent_id)


async def draft_recipient(uow: UnitOfWork, suggestion_id: int) -> str:
    """The name of the representative a draft is for."""
    row, _ = await _load_draft(uow, suggestion_id)
    rep = await uow.session.get(Representative, row.representative_id) if row.representative_id else None
    if rep is None:
        raise ValidationFailed("this draft has no representative", suggestion_id=suggestion_id)
    return rep.full_name


async def send_draft(
    uow: UnitOfWork, suggestion_id: int, sender: MessageSender, actor: Actor
) -> DraftSentDTO:
    """Send a draft version to its representative, at most once (through :mod:`crm.services.outbox`)."""
    row, current = await _load_draft(uow, suggestion_id)
    if row.representative_id is None:
        raise ValidationFailed("this draft has no representative", suggestion_id=suggestion_id)
    rep = await uow.session.get(Representative, row.representative_id)
    if rep is None:
        raise NotFound(f"representative {row.representative_id} not found", rep_id=row.representative_id)
    if rep.telegram_user_id is None:
        raise ValidationFailed("the representative has no linked Telegram account", rep_id=rep.id)
    message = Outgoing(
        key=f"draft:{suggestion_id}",
        kind=OutboundKind.DRAFT,
        representative_id=rep.id,
        agent_id=actor.id,
        chat_id=rep.telegram_user_id,
        body=current.text,
        ai_suggestion_id=row.id,
    )
    result = await outbox.send(uow, message, sender, actor)
    return DraftSentDTO(rep_id=rep.id, delivery=result.delivery, interaction_id=result.interaction_id)
