"""The first `chronos up` on a fresh data directory: the starter documents go in (lexically, at once),
the demo's resolved tickets become pending FAQ entries, agents' questions are answered with
citations; a second start does nothing; a failure is reported and never raised. Real PostgreSQL
(the demo seeded in a rolled-back transaction), real chunk store."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ai.knowledge.loaders import discover
from chronos.knowledge_runtime import build_hub, chroma_dir
from chronos.runtime import Runtime, build_gateway
from chronos.settings import Settings
from chronos.starter_knowledge import ingest_starter_if_empty
from crm import demo
from crm.db import UnitOfWork, create_engine, create_session_factory
from crm.enums import KnowledgeSource, KnowledgeStatus, TicketStatus
from crm.models import AISuggestion, KnowledgeDocument, Ticket
from crm.services import knowledge_assist
from crm.services.llm_ledger import DatabaseUsageLedger
from crm.starter_kb import DOCUMENTS
from tests.ai.test_knowledge_support import eval_hub, kb_settings

pytestmark = pytest.mark.slow

NOW = dt.datetime(2026, 3, 10, 9, 41, tzinfo=dt.UTC)
STARTER_IDS = sorted(source.doc_id for source in discover([DOCUMENTS]))
SETUP_QUESTION = ("v2rayNG را چطور روی اندروید تنظیم کنم؟", "clients/v2rayng-android.md")
ASIATECH_QUESTION = (
    "کاربرم اینترنت آسیاتک داره و هیچ کانفیگی وصل نمیشه، چیکار کنه؟",
    "troubleshooting/asiatech.md",
)


@contextlib.asynccontextmanager
async def _runtime(
    settings: Settings, url: str, factory: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> AsyncIterator[Runtime]:
    async with httpx.AsyncClient() as http:
        gateway = build_gateway(settings, http, DatabaseUsageLedger(factory))
        yield Runtime(settings, url, engine, factory, gateway)


@pytest.fixture
async def runtime(
    tmp_path: Path,
    database_url: str,
    engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[Runtime]:
    """A fresh data directory over the demo MarFanet (seeded in this test's transaction)."""
    async with UnitOfWork(session_factory) as uow:
        await demo.seed(uow, seed=1, now=NOW)
    async with _runtime(kb_settings(tmp_path / "data"), database_url, session_factory, engine) as runtime:
        yield runtime


async def _count(runtime: Runtime, source: KnowledgeSource, status: KnowledgeStatus | None = None) -> int:
    query = (
        select(func.count()).select_from(KnowledgeDocument).where(KnowledgeDocument.source == source.value)
    )
    if status is not None:
        query = query.where(KnowledgeDocument.status == status.value)
    async with runtime.uow() as uow:
        return int(await uow.session.scalar(query) or 0)


async def test_first_start_ingests_the_starter_set_and_proposes_faqs_then_a_second_does_nothing(
    runtime: Runtime,
) -> None:
    lines: list[str] = []
    report = await ingest_starter_if_empty(runtime, lines.append)

    assert report is not None
    assert report.errors == ()
    assert report.documents is not None
    assert sorted(report.documents.added) == STARTER_IDS
    assert (report.documents.skipped, report.documents.flagged) == ([], [])
    assert report.documents.masked_items == 0
    assert report.documents.mode == "lexical-only"  # no model loaded, nothing embedded: at once
    assert not chroma_dir(runtime.settings).exists()
    async with runtime.uow() as uow:
        resolved = await uow.session.scalar(
            select(func.count())
            .select_from(Ticket)
            .where(Ticket.status.in_((TicketStatus.RESOLVED.value, TicketStatus.CLOSED.value)))
        )
    assert report.faqs is not None
    assert report.faqs.tickets_considered == resolved
    assert report.faqs.tickets_considered > 100
    assert 5 <= len(report.faqs.created) < report.faqs.tickets_considered  # similar tickets merged
    assert await _count(runtime, KnowledgeSource.FILE, KnowledgeStatus.ACTIVE) == len(STARTER_IDS)
    pending = await _count(runtime, KnowledgeSource.TICKET_FAQ, KnowledgeStatus.PENDING)
    assert pending == len(report.faqs.created) == report.faqs.pending_total
    assert await _count(runtime, KnowledgeSource.TICKET_FAQ) == pending  # nothing approved on its own

    hub = build_hub(runtime.settings)
    assert hub.store.doc_ids() == STARTER_IDS  # pending FAQs are not searchable
    generation = hub.store.generation
    hub.close()
    assert len(lines) == 1
    assert f"{len(STARTER_IDS)} starter documents ingested" in lines[0]
    assert f"{len(report.faqs.created)} FAQ entries proposed" in lines[0]
    assert "/faq" in lines[0]

    assert await ingest_starter_if_empty(runtime, lines.append) is None
    assert len(lines) == 1
    assert await _count(runtime, KnowledgeSource.FILE) == len(STARTER_IDS)
    assert await _count(runtime, KnowledgeSource.TICKET_FAQ) == pending
    again = build_hub(runtime.settings)
    assert again.store.generation == generation
    again.close()


async def test_after_the_first_start_agents_get_cited_answers(
    runtime: Runtime, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Right after the first start (lexical, offline engine), and once the embeddings are in (the
    same documents in a hybrid hub), the setup and the Asiatech question cite their document."""
    await ingest_starter_if_empty(runtime, lambda line: None)
    lexical = build_hub(runtime.settings)
    hybrid = eval_hub(tmp_path_factory)
    for hub, mode in ((lexical, "lexical"), (hybrid, "hybrid")):
        for question, document in (SETUP_QUESTION, ASIATECH_QUESTION):
            async with runtime.uow() as uow:
                dto = await knowledge_assist.ask(uow, hub, question, agent_id=None)
            answer = dto.answer
            assert dto.engine == "offline"
            assert answer.answered, (mode, question, answer.confidence)
            assert answer.citations[0].doc_id == document, (mode, question, answer.citations)
            assert "[1]" in answer.text
            async with runtime.uow() as uow:
                stored = await uow.session.get(AISuggestion, dto.suggestion_id)
                assert stored is not None
                assert document in stored.evidence
    lexical.close()


async def test_a_failure_is_reported_in_one_line_and_never_raised(tmp_path: Path) -> None:
    """A database that cannot be reached: nothing is ingested, `up` is told why and goes on."""
    unreachable = "postgresql+asyncpg://chronos@127.0.0.1:1/chronos"
    engine = create_engine(unreachable, pool_size=1)
    settings = kb_settings(tmp_path / "data")
    lines: list[str] = []
    try:
        async with _runtime(settings, unreachable, create_session_factory(engine), engine) as runtime:
            report = await ingest_starter_if_empty(runtime, lines.append)
    finally:
        await engine.dispose()
    assert report is not None
    assert (report.documents, report.faqs) == (None, None)
    assert len(report.errors) == 2
    assert len(lines) == 1
    assert "\n" not in lines[0]
    assert "starter documents not ingested" in lines[0]
    assert "no FAQ entries proposed from tickets" in lines[0]
    assert "chronos kb ingest" in lines[0]
    hub = build_hub(settings)
    assert hub.store.doc_ids() == []  # the rows could not be read, so nothing was written either
    hub.close()
