"""Knowledge hub use-cases: ingest files, derive FAQ entries from tickets, review them, report status.

``knowledge_document`` is the ledger of what the hub holds: one row per document with the checksum of
its source, so re-ingesting unchanged files does nothing, changed files replace their chunks and
``prune`` removes documents whose files vanished. The hub (chunk store, BM25, vectors) is written
first and the rows committed after; if the commit fails, the next ingest sees the old checksums and
simply writes the same chunks again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select

from ai.knowledge.faq import TicketCase, build_faqs, faq_document, similar
from ai.knowledge.hub import KnowledgeHub
from ai.knowledge.loaders import LoadProblem, SourceFile, discover, load
from ai.knowledge.prepare import PreparedDocument, prepare
from crm import audit
from crm.db import UnitOfWork
from crm.enums import KnowledgeSource, KnowledgeStatus, TicketStatus
from crm.errors import DomainError, NotFound
from crm.models import KnowledgeDocument, Ticket
from crm.schemas.knowledge import (
    FaqEntryDTO,
    FaqReport,
    IngestReport,
    IngestSkip,
    KnowledgeStatusDTO,
)
from crm.schemas.types import Actor

Progress = Callable[[str, int, int], None]
"""(stage, done, total): stage is ``read`` (files) or ``embed`` (chunks)."""


class FaqAlreadyReviewed(DomainError):
    code = "faq_reviewed"


class IngestOptions:
    def __init__(self, *, max_bytes: int, chunk_tokens: int = 120, overlap_tokens: int = 24) -> None:
        self.max_bytes = max_bytes
        self.chunk_tokens = chunk_tokens
        self.overlap_tokens = overlap_tokens


def _read_all(
    sources: Sequence[SourceFile], options: IngestOptions, progress: Progress | None
) -> tuple[list[PreparedDocument], list[IngestSkip]]:
    prepared: list[PreparedDocument] = []
    skipped: list[IngestSkip] = []
    for index, source in enumerate(sources, start=1):
        try:
            document = load(source, max_bytes=options.max_bytes)
            prepared.append(
                prepare(document, max_tokens=options.chunk_tokens, overlap_tokens=options.overlap_tokens)
            )
        except LoadProblem as problem:
            skipped.append(IngestSkip(doc_id=source.doc_id, code=problem.code, reason=str(problem)))
        if progress is not None:
            progress("read", index, len(sources))
    return prepared, skipped


async def ingest_paths(
    uow: UnitOfWork,
    hub: KnowledgeHub,
    paths: Sequence[Path],
    options: IngestOptions,
    *,
    prune: bool = False,
    progress: Progress | None = None,
    actor: Actor | None = None,
) -> IngestReport:
    sources = list(discover(paths))
    seen_ids = {source.doc_id for source in sources}
    prepared, skipped = await asyncio.to_thread(_read_all, sources, options, progress)
    rows = {
        row.doc_id: row
        for row in await uow.session.scalars(
            select(KnowledgeDocument).where(KnowledgeDocument.source == KnowledgeSource.FILE.value)
        )
    }
    to_remove = sorted(doc_id for doc_id in rows if doc_id not in seen_ids) if prune else []
    surviving_checksums = {row.checksum: doc_id for doc_id, row in rows.items() if doc_id not in to_remove}
    report: dict[str, list[str]] = {"added": [], "updated": [], "unchanged": [], "flagged": []}
    replace: dict[str, PreparedDocument] = {}
    first_by_checksum: dict[str, str] = {}
    for item in prepared:
        doc = item.document
        twin = first_by_checksum.get(doc.checksum) or surviving_checksums.get(doc.checksum)
        if twin is not None and twin != doc.doc_id:
            skipped.append(IngestSkip(doc_id=doc.doc_id, code="duplicate", reason=f"same content as {twin}"))
            continue
        first_by_checksum[doc.checksum] = doc.doc_id
        row = rows.get(doc.doc_id)
        if row is not None and row.checksum == doc.checksum and hub.store.document(doc.doc_id):
            report["unchanged"].append(doc.doc_id)
            continue
        replace[doc.doc_id] = item
        report["updated" if row is not None else "added"].append(doc.doc_id)
        if item.flagged:
            report["flagged"].append(doc.doc_id)

    total_chunks = sum(len(item.chunks) for item in replace.values())
    embedded = [0]

    def embed_progress(done: int) -> None:
        embedded[0] += done
        if progress is not None:
            progress("embed", embedded[0], total_chunks)

    await asyncio.to_thread(
        hub.apply,
        {doc_id: item.chunks for doc_id, item in replace.items()},
        to_remove,
        progress=embed_progress,
    )
    for doc_id, item in replace.items():
        row = rows.get(doc_id) or KnowledgeDocument(doc_id=doc_id, source=KnowledgeSource.FILE.value)
        row.title = item.document.title
        row.checksum = item.document.checksum
        row.status = KnowledgeStatus.ACTIVE.value
        row.chunk_count = len(item.chunks)
        row.meta = {
            "format": item.document.source_format,
            "size_bytes": item.document.size_bytes,
            "masked_items": item.masked_items,
            "flagged": item.flagged,
        }
        uow.session.add(row)
    if to_remove:
        await uow.session.execute(delete(KnowledgeDocument).where(KnowledgeDocument.doc_id.in_(to_remove)))
    summary = IngestReport(
        added=report["added"],
        updated=report["updated"],
        unchanged=report["unchanged"],
        removed=to_remove,
        skipped=skipped,
        flagged=report["flagged"],
        masked_items=sum(item.masked_items for item in replace.values()),
        chunks_written=total_chunks,
        mode="hybrid" if hub.dense_ready else "lexical-only",
    )
    audit.record(
        uow.session,
        actor or Actor.cli(),
        "knowledge.ingest",
        "knowledge_document",
        None,
        after=summary.model_dump(include={"added", "updated", "removed", "chunks_written"})
        | {"skipped": len(skipped)},
    )
    await uow.commit()
    added, deleted = await asyncio.to_thread(hub.sync_dense)
    return summary.model_copy(update={"vectors_added": added, "vectors_deleted": deleted})


# FAQ entries from resolved tickets


def _faq_dto(row: KnowledgeDocument) -> FaqEntryDTO:
    meta: dict[str, Any] = row.meta or {}
    return FaqEntryDTO(
        id=row.id,
        doc_id=row.doc_id,
        status=KnowledgeStatus(row.status),
        question=str(meta.get("question", row.title)),
        details=str(meta.get("details", "")),
        answer=str(meta.get("answer", "")),
        ticket_ids=[int(t) for t in meta.get("ticket_ids", [])],
        category=str(meta.get("category", "")),
    )


async def _faq_rows(uow: UnitOfWork) -> list[KnowledgeDocument]:
    query = select(KnowledgeDocument).where(KnowledgeDocument.source == KnowledgeSource.TICKET_FAQ.value)
    return list(await uow.session.scalars(query.order_by(KnowledgeDocument.id)))


async def ingest_tickets(uow: UnitOfWork, hub: KnowledgeHub, *, actor: Actor | None = None) -> FaqReport:
    """Propose FAQ entries (status ``pending``) from resolved tickets not yet covered by one."""
    existing = await _faq_rows(uow)
    covered = {int(t) for row in existing for t in (row.meta or {}).get("ticket_ids", [])}
    tickets = await uow.session.scalars(
        select(Ticket)
        .where(
            Ticket.status.in_((TicketStatus.RESOLVED.value, TicketStatus.CLOSED.value)),
            func.length(func.btrim(func.coalesce(Ticket.resolution, ""))) > 0,
        )
        .order_by(Ticket.resolved_at, Ticket.id)
    )
    cases = [
        TicketCase(t.id, t.subject, t.description, t.resolution or "", t.category, t.resolved_at)
        for t in tickets
        if t.id not in covered
    ]
    analyzer = hub.store.analyzer
    existing_terms = [
        (row, frozenset(analyzer.terms(f"{_faq_dto(row).question} {_faq_dto(row).details}")))
        for row in existing
    ]
    report = FaqReport(tickets_considered=len(cases))
    created: list[str] = []
    merged = 0
    masked = 0
    for candidate in build_faqs(cases, analyzer):
        masked += candidate.masked_items
        terms = frozenset(analyzer.terms(f"{candidate.question} {candidate.details}"))
        twin = next((row for row, other in existing_terms if similar(terms, other)), None)
        if twin is not None:
            meta = dict(twin.meta or {})
            meta["ticket_ids"] = sorted({*meta.get("ticket_ids", []), *candidate.ticket_ids})
            twin.meta = meta
            merged += len(candidate.ticket_ids)
            continue
        row = KnowledgeDocument(
            doc_id=candidate.doc_id,
            source=KnowledgeSource.TICKET_FAQ.value,
            title=candidate.question[:500],
            checksum=candidate.checksum,
            status=KnowledgeStatus.PENDING.value,
            chunk_count=0,
            meta={
                "question": candidate.question,
                "details": candidate.details,
                "answer": candidate.answer,
                "ticket_ids": list(candidate.ticket_ids),
                "category": candidate.category,
            },
        )
        uow.session.add(row)
        existing_terms.append((row, terms))
        created.append(candidate.doc_id)
    await uow.session.flush()
    audit.record(
        uow.session,
        actor or Actor.cli(),
        "knowledge.faq_proposed",
        "knowledge_document",
        None,
        after={"created": created, "merged_tickets": merged},
    )
    await uow.commit()
    pending = await uow.session.scalar(
        select(func.count())
        .select_from(KnowledgeDocument)
        .where(KnowledgeDocument.status == KnowledgeStatus.PENDING.value)
    )
    return report.model_copy(
        update={
            "created": created,
            "merged_into_existing": merged,
            "masked_items": masked,
            "pending_total": int(pending or 0),
        }
    )


async def pending_faqs(uow: UnitOfWork, *, limit: int = 5) -> tuple[list[FaqEntryDTO], int]:
    """The oldest pending entries (up to ``limit``) and how many are pending in all."""
    base = select(KnowledgeDocument).where(
        KnowledgeDocument.source == KnowledgeSource.TICKET_FAQ.value,
        KnowledgeDocument.status == KnowledgeStatus.PENDING.value,
    )
    rows = await uow.session.scalars(base.order_by(KnowledgeDocument.id).limit(limit))
    total = await uow.session.scalar(select(func.count()).select_from(base.subquery()))
    return [_faq_dto(row) for row in rows], int(total or 0)


async def review_faq(
    uow: UnitOfWork, hub: KnowledgeHub, entry_id: int, *, approve: bool, actor: Actor
) -> FaqEntryDTO:
    """Approve (index it: from now on searchable) or reject a pending FAQ entry."""
    row = await uow.session.get(KnowledgeDocument, entry_id, with_for_update=True)
    if row is None or row.source != KnowledgeSource.TICKET_FAQ.value:
        raise NotFound(f"FAQ entry {entry_id} not found", entry_id=entry_id)
    if row.status != KnowledgeStatus.PENDING.value:
        raise FaqAlreadyReviewed(f"FAQ entry {entry_id} is already {row.status}", status=row.status)
    entry = _faq_dto(row)
    if approve:
        prepared = prepare(faq_document(row.doc_id, entry.question, entry.details, entry.answer))
        await asyncio.to_thread(hub.apply, {row.doc_id: prepared.chunks})
        row.chunk_count = len(prepared.chunks)
        row.status = KnowledgeStatus.ACTIVE.value
    else:
        row.status = KnowledgeStatus.REJECTED.value
    audit.record(
        uow.session,
        actor,
        "knowledge.faq_approved" if approve else "knowledge.faq_rejected",
        "knowledge_document",
        row.id,
        after={"doc_id": row.doc_id, "status": row.status},
    )
    await uow.commit()
    return _faq_dto(row)


async def status(uow: UnitOfWork, hub: KnowledgeHub) -> KnowledgeStatusDTO:
    hub_status = await asyncio.to_thread(hub.status)
    grouped = await uow.session.execute(
        select(KnowledgeDocument.source, KnowledgeDocument.status, func.count()).group_by(
            KnowledgeDocument.source, KnowledgeDocument.status
        )
    )
    counts = {(str(source), str(state)): int(n) for source, state, n in grouped}
    faq, active = KnowledgeSource.TICKET_FAQ.value, KnowledgeStatus.ACTIVE.value
    return KnowledgeStatusDTO(
        mode=hub_status.mode,
        model=hub_status.model,
        embedder=hub_status.embedder,
        dense_error=hub_status.dense_error,
        documents=hub_status.documents,
        chunks=hub_status.chunks,
        vectors=hub_status.vectors,
        generation=hub_status.generation,
        store=hub_status.store,
        collection=hub_status.collection,
        active_documents=sum(n for (_, state), n in counts.items() if state == active),
        pending_faqs=counts.get((faq, KnowledgeStatus.PENDING.value), 0),
        approved_faqs=counts.get((faq, active), 0),
    )
