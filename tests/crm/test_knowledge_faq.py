"""FAQ entries from resolved tickets: masked, near-duplicates merged, pending until a supervisor
approves, searchable only once approved (real PostgreSQL, real embedder and Chroma)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ai.knowledge.analysis import Analyzer
from ai.knowledge.faq import TicketCase, build_faqs
from ai.knowledge.hub import KnowledgeHub
from crm.db import UnitOfWork
from crm.enums import KnowledgeStatus, TicketCategory
from crm.schemas.activity import TicketOpen
from crm.schemas.types import Actor
from crm.services import knowledge, tickets
from tests.ai.test_knowledge_support import new_hub
from tests.factories import make_agent, make_rep

pytestmark = pytest.mark.slow

IRANCELL = [
    (
        "قطعی کانفیگ‌ها روی ایرانسل",
        "از دیشب کاربرها روی دیتای ایرانسل وصل نمی‌شوند",
        "SNI عوض شد؛ گفتیم اشتراک را به‌روز کنند. شماره نماینده 09121234567",
    ),
    (
        "قطعی کانفیگ‌ها روی ایرانسل",
        "کاربرها روی دیتای ایرانسل وصل نمی‌شوند و هندشیک خطا می‌دهد",
        "SNI کانفیگ‌های ایرانسل در پنل عوض شد و بعد از به‌روزرسانی اشتراک همه وصل شدند؛ اگر باز مشکل بود نود ترکیه را امتحان کنند.",
    ),
]
SUBLINK = (
    "ساب‌لینک در مرورگر باز نمی‌شود",
    "لینک اشتراک کاربرها باز نمی‌شود",
    "دامنهٔ ساب روی اپراتور کاربر فیلتر شده بود؛ دامنهٔ جایگزین فعال شد.",
)


@pytest.fixture
def hub(tmp_path: Path) -> KnowledgeHub:
    return new_hub(tmp_path)


async def _resolved(uow: UnitOfWork, rep_id: int, subject: str, description: str, resolution: str) -> int:
    ticket = await tickets.open_ticket(
        uow,
        TicketOpen(
            representative_id=rep_id,
            category=TicketCategory.CONNECTIVITY,
            subject=subject,
            description=description,
        ),
        Actor.cli(),
    )
    await tickets.resolve(uow, ticket.id, resolution, Actor.cli())
    return ticket.id


def test_clustering_merges_near_duplicates_and_masks() -> None:
    cases = [
        TicketCase(i, subject, details, resolution, "connectivity")
        for i, (subject, details, resolution) in enumerate([*IRANCELL, SUBLINK], start=1)
    ]
    faqs = build_faqs(cases, Analyzer())
    assert [f.ticket_ids for f in faqs] == [(1, 2), (3,)]
    irancell = faqs[0]
    assert irancell.question == "قطعی کانفیگ‌ها روی ایرانسل"
    assert "نود ترکیه" in irancell.answer  # the most detailed resolution
    assert irancell.doc_id == "faq/ticket-1"
    masked = build_faqs(cases[:1], Analyzer())[0]
    assert "0912" not in masked.answer
    assert "[PHONE_1]" in masked.answer
    assert masked.masked_items == 1


async def test_ticket_faq_approval_flow(uow: UnitOfWork, hub: KnowledgeHub) -> None:
    async with uow:
        rep = await make_rep(uow)
        supervisor = await make_agent(uow)
        ids = [await _resolved(uow, rep.id, *case) for case in [*IRANCELL, SUBLINK]]
        await tickets.open_ticket(
            uow,
            TicketOpen(representative_id=rep.id, category=TicketCategory.BILLING, subject="فاکتور اشتباه"),
            Actor.cli(),
        )
        report = await knowledge.ingest_tickets(uow, hub)
    assert report.tickets_considered == 3
    assert report.created == [f"faq/ticket-{ids[0]}", f"faq/ticket-{ids[2]}"]
    assert report.pending_total == 2
    assert report.masked_items == 1
    async with uow:
        pending, total = await knowledge.pending_faqs(uow)
    assert total == 2
    assert pending[0].ticket_ids == ids[:2]
    assert pending[0].status == KnowledgeStatus.PENDING
    assert "0912" not in pending[0].answer
    assert not [h for h in hub.search("قطعی ایرانسل SNI", k=10).hits if h.chunk.doc_id.startswith("faq/")]

    async with uow:
        again = await knowledge.ingest_tickets(uow, hub)
        assert (again.created, again.tickets_considered) == ([], 0)
        late = await _resolved(uow, rep.id, *IRANCELL[1])
        merged = await knowledge.ingest_tickets(uow, hub)
    assert (merged.created, merged.merged_into_existing) == ([], 1)
    async with uow:
        pending, _ = await knowledge.pending_faqs(uow)
    assert late in pending[0].ticket_ids

    actor = Actor.agent(supervisor.id)
    async with uow:
        approved = await knowledge.review_faq(uow, hub, pending[0].id, approve=True, actor=actor)
        rejected = await knowledge.review_faq(uow, hub, pending[1].id, approve=False, actor=actor)
    assert approved.status == KnowledgeStatus.ACTIVE
    assert rejected.status == KnowledgeStatus.REJECTED
    top = hub.search("کاربرا رو ایرانسل وصل نمیشن SNI", k=3).hits[0]
    assert top.chunk.doc_id == approved.doc_id
    assert top.chunk.title == "قطعی کانفیگ‌ها روی ایرانسل"
    assert not [
        h for h in hub.search("ساب لینک باز نمیشه دامنه ساب", k=10).hits if h.chunk.doc_id == rejected.doc_id
    ]

    async with uow:
        with pytest.raises(knowledge.FaqAlreadyReviewed):
            await knowledge.review_faq(uow, hub, pending[0].id, approve=True, actor=actor)
        status = await knowledge.status(uow, hub)
    assert (status.pending_faqs, status.approved_faqs) == (0, 1)
    assert status.chunks == len(hub.store)
    assert status.mode == "hybrid"
