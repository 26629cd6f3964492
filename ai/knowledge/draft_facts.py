"""What the CRM and the knowledge hub say, for a draft: the representative's tickets and unpaid
invoices as they are now, and the guide whose steps answer the goal.

The offline engine picks its phrases from these facts (a resolved ticket is reported as resolved, not
promised a follow-up; nothing is asked to be paid when nothing is unpaid), the LLM engine gets them as
data, and the bot shows the agent what the draft was checked against.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Literal

from pydantic import BaseModel

from ai.knowledge.hub import KnowledgeHub, query_words
from ai.knowledge.matching import matching_hits
from ai.knowledge.passages import number_sources
from ai.knowledge.troubleshoot import SEARCH_K, offline_path
from ai.text.calendar import format_date
from ai.text.persian import to_persian_digits

GUIDE_STEPS = 5
SHORT_GUIDE_STEPS = 3
SERVICE_CATEGORIES = frozenset({"connectivity", "panel", "setup"})
"""Ticket categories a connection or setup problem is about."""

CrmNote = Literal["ticket_open", "ticket_resolved", "no_ticket", "invoice_due", "no_unpaid_invoice", "guide"]


class TicketFact(BaseModel):
    id: int
    category: str
    subject: str
    status: str
    resolved_at: dt.datetime | None = None


class InvoiceFact(BaseModel):
    number: str
    amount_toman: int
    due_at: dt.datetime
    overdue: bool

    def phrase(self) -> str:
        """«فاکتور INV-1 به مبلغ ۱٬۵۰۰٬۰۰۰ تومان با سررسید ۱۲ آبان ۱۴۰۵»"""
        amount = to_persian_digits(f"{self.amount_toman:,}".replace(",", "٬"))
        due = to_persian_digits(format_date(self.due_at, "fa"))
        return f"فاکتور {self.number} به مبلغ {amount} تومان با سررسید {due}"


class DraftFacts(BaseModel):
    """The representative's record when the draft was made. ``known`` is False without a
    representative: then nothing can be checked and the phrases stay general."""

    known: bool = False
    open_tickets: list[TicketFact] = []
    recently_resolved: list[TicketFact] = []
    unpaid_invoices: list[InvoiceFact] = []

    def open_service_ticket(self) -> TicketFact | None:
        return next((t for t in self.open_tickets if t.category in SERVICE_CATEGORIES), None)

    def resolved_service_ticket(self) -> TicketFact | None:
        return next((t for t in self.recently_resolved if t.category in SERVICE_CATEGORIES), None)

    def as_data(self) -> str:
        """The facts as plain lines for a prompt (quoted there as data)."""
        if not self.known:
            return "(no representative given: no CRM facts)"
        lines = [f"open ticket #{t.id} ({t.category}, {t.status}): {t.subject}" for t in self.open_tickets]
        lines += [
            f"resolved ticket #{t.id} ({t.category}) on {t.resolved_at:%Y-%m-%d}: {t.subject}"
            for t in self.recently_resolved
            if t.resolved_at is not None
        ]
        lines += [
            f"unpaid invoice {i.number}: {i.amount_toman} Toman, due {i.due_at:%Y-%m-%d}"
            + (" (overdue)" if i.overdue else "")
            for i in self.unpaid_invoices
        ]
        return "\n".join(lines) or "no open tickets, no recently resolved tickets, no unpaid invoices"


class DraftGuide(BaseModel):
    """A knowledge-hub document whose own ordered steps answer the goal."""

    doc_id: str
    title: str
    steps: list[str]

    def as_data(self) -> str:
        return "\n".join([f"guide: {self.title}", *(f"{n}. {s}" for n, s in enumerate(self.steps, 1))])


async def find_guide(hub: KnowledgeHub, goal: str) -> DraftGuide | None:
    """The best document's ordered steps for the goal, when the hub is confident enough."""
    if not query_words(goal):
        return None
    result = await asyncio.to_thread(hub.search, goal, SEARCH_K, "hybrid", expand=True)
    sources = number_sources(matching_hits(goal, result.hits), 3)
    if result.confidence < hub.settings.min_confidence or not sources:
        return None
    path = offline_path(goal, sources, hub, result.confidence)
    main = [step for step in path.steps if not step.fallback]
    if not main or not path.citations:
        return None
    citation = path.citations[0]
    return DraftGuide(
        doc_id=citation.doc_id, title=citation.title, steps=[s.text for s in main][:GUIDE_STEPS]
    )
