"""Call prep DTOs: a stored briefing with its provenance, and an evidence record opened from it."""

from __future__ import annotations

import datetime as dt

from ai.call_prep.schema import Briefing, EvidenceRef, EvidenceType
from crm.enums import Locale
from crm.schemas.activity import InteractionDTO, TicketDTO
from crm.schemas.finance import InvoiceDTO, PaymentDTO
from crm.schemas.types import DTO

__all__ = ["Briefing", "CallPrepDTO", "EvidenceRecord", "EvidenceRef", "RepRef", "UsagePoint"]


class RepRef(DTO):
    id: int
    code: str
    full_name: str
    profiling_opt_out: bool = False


class CallPrepDTO(DTO):
    suggestion_id: int
    representative: RepRef
    briefing: Briefing
    locale: Locale
    """The language the briefing is written in: the agent's when it was prepared."""
    engine: str
    """``offline`` or the model name."""
    fallback_reason: str | None
    """Why the LLM did not answer (``timeout``, ``hallucinated_evidence`` …); None when it did."""
    prompt_id: str | None
    prompt_version: str | None
    fingerprint: str
    cached: bool
    """True when an earlier briefing of the same data was reused (no engine ran)."""
    created_at: dt.datetime
    dropped_evidence: tuple[str, ...] = ()
    tokens_in: int = 0
    tokens_out: int = 0


class UsagePoint(DTO):
    id: int
    taken_at: dt.datetime
    active_users: int
    total_users: int
    traffic_bytes: int


class EvidenceRecord(DTO):
    """One record a briefing cited, as ``/i_123`` opens it: exactly one of the payload fields is set."""

    type: EvidenceType
    id: int
    representative: RepRef
    interaction: InteractionDTO | None = None
    ticket: TicketDTO | None = None
    payment: PaymentDTO | None = None
    invoice: InvoiceDTO | None = None
    usage: UsagePoint | None = None
