"""DTOs of the knowledge hub use-cases: ingestion reports, FAQ review, answers, paths and drafts."""

from __future__ import annotations

from pydantic import Field

from ai.knowledge.answer import KnowledgeAnswer
from ai.knowledge.drafting import Draft
from ai.knowledge.troubleshoot import DiagnosticPath
from crm.enums import KnowledgeStatus
from crm.schemas.outbox import Delivery
from crm.schemas.types import DTO


class IngestSkip(DTO):
    doc_id: str
    code: str
    """too_large, empty, binary, not_utf8, no_text_layer, unsupported, unreadable or duplicate."""
    reason: str


class IngestReport(DTO):
    added: list[str] = Field(default_factory=list)
    updated: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    skipped: list[IngestSkip] = Field(default_factory=list)
    flagged: list[str] = Field(default_factory=list)
    """Documents with instruction-like text: ingested as data, defanged when quoted to a model."""
    masked_items: int = 0
    chunks_written: int = 0
    vectors_added: int = 0
    vectors_deleted: int = 0
    mode: str = "hybrid"


class FaqReport(DTO):
    created: list[str] = Field(default_factory=list)
    merged_into_existing: int = 0
    """Tickets attached to an FAQ entry that already existed (pending, approved or rejected)."""
    tickets_considered: int = 0
    masked_items: int = 0
    pending_total: int = 0


class FaqEntryDTO(DTO):
    id: int
    doc_id: str
    status: KnowledgeStatus
    question: str
    details: str
    answer: str
    ticket_ids: list[int]
    category: str


class KnowledgeStatusDTO(DTO):
    mode: str
    model: str
    embedder: str | None
    dense_error: str | None
    documents: int
    chunks: int
    vectors: int | None
    generation: int
    store: str
    collection: str | None
    active_documents: int
    pending_faqs: int
    approved_faqs: int


class AnswerDTO(DTO):
    suggestion_id: int
    engine: str
    answer: KnowledgeAnswer


class DiagnosisDTO(DTO):
    suggestion_id: int
    engine: str
    path: DiagnosticPath


class DraftDTO(DTO):
    suggestion_id: int
    engine: str
    draft: Draft
    rep_id: int | None
    rep_name: str | None
    rep_linked: bool
    """The representative has a linked Telegram account, so the bot can send the draft."""


class DraftSentDTO(DTO):
    rep_id: int
    delivery: Delivery
    """``already_sent`` / ``already_unconfirmed`` when an earlier press sent it (nothing is sent again)."""
    interaction_id: int | None = None
