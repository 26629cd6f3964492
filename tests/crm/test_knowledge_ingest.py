"""`ingest_paths` against real PostgreSQL, the real embedder and embedded Chroma: idempotency,
changed and vanished files, and bad input reported while the rest is ingested."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ai.knowledge.hub import KnowledgeHub
from crm.db import UnitOfWork
from crm.models import AuditLog, KnowledgeDocument
from crm.services import knowledge
from tests.ai.test_knowledge_support import BAD, DOCS, MAX_BYTES, new_hub, pdf_bytes, png_bytes

pytestmark = pytest.mark.slow

OPTIONS = knowledge.IngestOptions(max_bytes=MAX_BYTES)


@pytest.fixture
def hub(tmp_path: Path) -> KnowledgeHub:
    return new_hub(tmp_path / "data")


@pytest.fixture
def source(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    for relative in ("billing/wallet-topup.md", "plans/plans-and-prices.md", "policies/support-hours.html"):
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(DOCS / relative, root / relative)
    return root


@dataclass(frozen=True)
class Row:
    source: str
    status: str
    title: str
    checksum: str
    chunk_count: int
    meta: dict[str, Any]


async def _rows(uow: UnitOfWork) -> dict[str, Row]:
    async with uow:
        return {
            row.doc_id: Row(row.source, row.status, row.title, row.checksum, row.chunk_count, dict(row.meta))
            for row in await uow.session.scalars(select(KnowledgeDocument))
        }


async def test_ingest_is_idempotent(uow: UnitOfWork, hub: KnowledgeHub, source: Path) -> None:
    async with uow:
        first = await knowledge.ingest_paths(uow, hub, [source], OPTIONS)
    assert sorted(first.added) == [
        "billing/wallet-topup.md",
        "plans/plans-and-prices.md",
        "policies/support-hours.html",
    ]
    assert first.chunks_written == len(hub.store) > 0
    assert first.mode == "hybrid"
    rows = await _rows(uow)
    wallet = rows["billing/wallet-topup.md"]
    assert (wallet.source, wallet.status, wallet.title) == ("file", "active", "شارژ کیف پول نماینده")
    assert wallet.chunk_count == len(hub.document("billing/wallet-topup.md"))
    assert len(wallet.checksum) == 64
    assert rows["policies/support-hours.html"].meta["format"] == "html"
    generation = hub.store.generation
    assert hub._vectors is not None
    assert hub._vectors.ids() == hub.store.chunk_ids()

    async with uow:
        second = await knowledge.ingest_paths(uow, hub, [source], OPTIONS)
    assert second.added == second.updated == second.removed == []
    assert len(second.unchanged) == 3
    assert (second.chunks_written, second.vectors_added, second.vectors_deleted) == (0, 0, 0)
    assert hub.store.generation == generation
    async with uow:
        audits = await uow.session.scalars(select(AuditLog).where(AuditLog.action == "knowledge.ingest"))
        assert len(list(audits)) == 2


async def test_changed_file_replaces_its_chunks(uow: UnitOfWork, hub: KnowledgeHub, source: Path) -> None:
    async with uow:
        await knowledge.ingest_paths(uow, hub, [source], OPTIONS)
    path = source / "plans" / "plans-and-prices.md"
    path.write_text(
        "# پلن‌ها\n\nاز این ماه فقط یک پلن داریم: پلن یکتا با ماهانه ۲٬۰۰۰٬۰۰۰ تومان.\n", encoding="utf-8"
    )
    before = (await _rows(uow))["plans/plans-and-prices.md"].checksum
    async with uow:
        report = await knowledge.ingest_paths(uow, hub, [source], OPTIONS)
    assert report.updated == ["plans/plans-and-prices.md"]
    assert len(report.unchanged) == 2
    chunks = hub.document("plans/plans-and-prices.md")
    assert len(chunks) == 1
    assert "پلن یکتا" in chunks[0].text
    row = (await _rows(uow))["plans/plans-and-prices.md"]
    assert row.checksum != before
    assert (row.title, row.chunk_count) == ("پلن‌ها", 1)
    hits = hub.search("پلن حرفه‌ای ۳٬۹۰۰٬۰۰۰", k=10).hits
    assert all("۳٬۹۰۰٬۰۰۰" not in hit.chunk.text for hit in hits)
    assert hub._vectors is not None
    assert hub._vectors.ids() == hub.store.chunk_ids()


async def test_prune_removes_vanished_documents(uow: UnitOfWork, hub: KnowledgeHub, source: Path) -> None:
    async with uow:
        await knowledge.ingest_paths(uow, hub, [source], OPTIONS)
    (source / "billing" / "wallet-topup.md").unlink()
    async with uow:
        kept = await knowledge.ingest_paths(uow, hub, [source], OPTIONS)
    assert kept.removed == []
    assert "billing/wallet-topup.md" in await _rows(uow)
    async with uow:
        pruned = await knowledge.ingest_paths(uow, hub, [source], OPTIONS, prune=True)
    assert pruned.removed == ["billing/wallet-topup.md"]
    assert "billing/wallet-topup.md" not in await _rows(uow)
    assert hub.document("billing/wallet-topup.md") == []
    assert hub._vectors is not None
    assert hub._vectors.ids() == hub.store.chunk_ids()
    assert all(hit.chunk.doc_id != "billing/wallet-topup.md" for hit in hub.search("شارژ کیف پول", k=10).hits)


async def test_bad_input_is_reported_and_the_rest_ingested(
    uow: UnitOfWork, hub: KnowledgeHub, tmp_path: Path
) -> None:
    root = tmp_path / "mixed"
    root.mkdir()
    shutil.copy(DOCS / "billing" / "refund-policy.md", root / "refund-policy.md")
    shutil.copy(DOCS / "billing" / "refund-policy.md", root / "refund-policy-copy.md")
    shutil.copy(BAD / "injection.md", root / "injection.md")
    shutil.copy(BAD / "empty.md", root / "empty.md")
    shutil.copy(BAD / "whitespace.txt", root / "whitespace.txt")
    (root / "logo.md").write_bytes(png_bytes())
    (root / "scan.pdf").write_bytes(pdf_bytes(None))
    (root / "notes.pdf").write_bytes(pdf_bytes(["Refunds are paid to the Sheba of the representative."]))
    (root / "prices.xlsx").write_bytes(b"PK\x03\x04")
    with (root / "huge.md").open("wb") as handle:
        handle.truncate(100 * 1_048_576)
    async with uow:
        report = await knowledge.ingest_paths(uow, hub, [root], OPTIONS)
    skipped = {skip.doc_id: skip.code for skip in report.skipped}
    assert skipped == {
        "empty.md": "empty",
        "whitespace.txt": "empty",
        "logo.md": "binary",
        "scan.pdf": "no_text_layer",
        "prices.xlsx": "unsupported",
        "huge.md": "too_large",
        "refund-policy.md": "duplicate",
    }
    duplicate = next(skip for skip in report.skipped if skip.code == "duplicate")
    assert duplicate.reason == "same content as refund-policy-copy.md"
    assert sorted(report.added) == ["injection.md", "notes.pdf", "refund-policy-copy.md"]
    assert report.flagged == ["injection.md"]
    assert report.masked_items >= 1
    row = (await _rows(uow))["injection.md"]
    assert row.meta["flagged"] is True
    assert any("[CARD_1]" in chunk.text for chunk in hub.document("injection.md"))
    assert all("6037" not in chunk.text for chunk in hub.document("injection.md"))


async def test_a_file_that_turns_bad_keeps_its_previous_version(
    uow: UnitOfWork, hub: KnowledgeHub, source: Path
) -> None:
    async with uow:
        await knowledge.ingest_paths(uow, hub, [source], OPTIONS)
    (source / "billing" / "wallet-topup.md").write_bytes(b"")
    async with uow:
        report = await knowledge.ingest_paths(uow, hub, [source], OPTIONS, prune=True)
    assert [(s.doc_id, s.code) for s in report.skipped] == [("billing/wallet-topup.md", "empty")]
    assert report.removed == []
    assert hub.document("billing/wallet-topup.md")


async def test_personal_data_is_masked_before_the_store(uow: UnitOfWork, hub: KnowledgeHub) -> None:
    async with uow:
        report = await knowledge.ingest_paths(uow, hub, [BAD / "contacts.md"], OPTIONS)
    assert report.masked_items == 3
    text = " ".join(chunk.text for chunk in hub.document("contacts.md"))
    assert "0912" not in text
    assert "[PHONE_1]" in text
    stored = (hub.store.directory / f"chunks-{hub.store.generation}.jsonl").read_text(encoding="utf-8")
    assert "finance.team@example.com" not in stored
    assert "IR062960000000100324200001" not in stored
