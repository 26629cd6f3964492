"""Knowledge hub: search latency at 50,000 chunks, ingest throughput, retrieval quality.

* Quality: recall@1, recall@5 and MRR of each mode on tests/data/kb/questions.jsonl (120 questions
  over the packaged starter documents in crm/starter_kb/documents; dev/test splits: the analyzer,
  weights and thresholds were tuned on dev only), with the default English glosses and without them
  (what the English-only packaged MiniLM makes of raw Persian).
* Ingest: chunks per second end to end on the real corpus (read, mask, chunk, embed, Chroma upsert,
  BM25 rebuild, store write) and the lexical side alone at 50,000 chunks.
* Latency: ``hub.search`` (k=5) over 50,000 synthetic chunks: sentences of the real corpus recombined,
  with real BM25; their vectors are real embeddings of a pool of 512 such chunks plus small noise
  (embedding 50,000 passages would take hours on two cores). Queries are the 128 evaluation
  questions, each embedded by the real model at query time. The load average is reported because
  two shared cores make wall-clock times noisy.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from ai.knowledge.evaluate import evaluate, load_questions
from ai.knowledge.hub import KnowledgeHub
from ai.knowledge.loaders import discover, load
from ai.knowledge.onnx_embedder import OnnxEmbedder
from ai.knowledge.passages import sentences
from ai.knowledge.prepare import prepare
from ai.knowledge.types import Chunk
from bench.support import percentile, print_table
from chronos.knowledge_runtime import attach_dense, build_hub
from chronos.settings import KnowledgeSettings, Settings
from crm.starter_kb import DOCUMENTS

ROOT = Path(__file__).resolve().parents[1]
DOCS = DOCUMENTS
QUESTIONS = ROOT / "tests" / "data" / "kb" / "questions.jsonl"
SCALE_CHUNKS = 50_000
POOL = 512
NOISE = 0.05
K = 5


def _hub(data_dir: Path, **overrides: Any) -> KnowledgeHub:
    settings = Settings(data_dir=data_dir, knowledge=KnowledgeSettings(**overrides))
    hub = build_hub(settings)
    if not attach_dense(hub, settings):
        raise RuntimeError(f"the embedding model did not load: {hub.dense_error}")
    return hub


def _load_avg() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def _ingest_real(hub: KnowledgeHub) -> dict[str, Any]:
    started, cpu = time.perf_counter(), time.process_time()
    prepared = [prepare(load(source, max_bytes=20 * 1_048_576)) for source in discover([DOCS])]
    hub.apply({item.document.doc_id: item.chunks for item in prepared})
    wall, cpu_s = time.perf_counter() - started, time.process_time() - cpu
    chunks = len(hub.store)
    return {
        "measure": f"ingest real corpus ({len(prepared)} docs, {chunks} chunks, embeddings included)",
        "value": f"{chunks / wall:.1f} chunks/s",
        "detail": f"{wall:.1f} s wall, {cpu_s:.1f} s CPU, load {_load_avg()}",
    }


def _quality(base: Path, hub: KnowledgeHub) -> list[dict[str, Any]]:
    questions = load_questions(QUESTIONS)
    rows = [
        {"embedding input": "text + English glosses (default)", **row.as_dict()}
        for row in evaluate(hub, questions, splits=("dev", "test", "all"))
    ]
    raw = _hub(base / "no-glosses", embed_glosses=False)
    _ingest_real(raw)
    rows += [
        {"embedding input": "raw Persian text", **row.as_dict()}
        for row in evaluate(raw, questions, ("dense", "hybrid"), splits=("all",))
    ]
    raw.close()
    return rows


def _synthetic_chunks(hub: KnowledgeHub, n: int, seed: int = 7) -> list[Chunk]:
    rng = random.Random(seed)
    pool = [s for stored in hub.store.all_chunks() for s in sentences(stored.chunk.text)]
    titles = sorted({stored.chunk.title for stored in hub.store.all_chunks()})
    chunks = []
    for i in range(n):
        body = " ".join(rng.choice(pool) for _ in range(rng.randint(3, 6)))
        doc = f"synthetic/doc-{i // 5:05d}.md"
        chunks.append(
            Chunk(
                chunk_id=f"{doc}#{i % 5}",
                doc_id=doc,
                ordinal=i % 5,
                title=f"{rng.choice(titles)} ({i // 5})",
                headings=("بخش",),
                text=f"{body} کد {rng.randint(1000, 99999)}",
            )
        )
    return chunks


def _scale(base: Path, real: KnowledgeHub) -> list[dict[str, Any]]:
    hub = _hub(base / "scale")
    chunks = _synthetic_chunks(real, SCALE_CHUNKS)
    by_doc: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        by_doc.setdefault(chunk.doc_id, []).append(chunk)
    rows = []

    started = time.perf_counter()
    with hub.store.locked():
        hub.store.write(by_doc, [])
    lexical_s = time.perf_counter() - started
    rows.append(
        {
            "measure": f"lexical ingest at {SCALE_CHUNKS:,} chunks (tokenise, BM25 build, store write)",
            "value": f"{SCALE_CHUNKS / lexical_s:,.0f} chunks/s",
            "detail": f"{lexical_s:.1f} s, load {_load_avg()}",
        }
    )

    embedder = hub._embedder
    vectors = hub._vectors
    assert embedder is not None
    assert vectors is not None
    started = time.perf_counter()
    pool = embedder.embed_passages([hub.dense_text(c.indexed_text()) for c in chunks[:POOL]])
    embed_s = time.perf_counter() - started
    rows.append(
        {
            "measure": f"embedding throughput ({POOL} synthetic chunks, {type(embedder).__name__}, 1 thread)",
            "value": f"{POOL / embed_s:.1f} chunks/s",
            "detail": f"{embed_s:.1f} s, load {_load_avg()}",
        }
    )
    rng = np.random.default_rng(11)
    matrix = pool[np.arange(SCALE_CHUNKS) % POOL] + rng.normal(0, NOISE, (SCALE_CHUNKS, pool.shape[1]))
    matrix = (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)).astype(np.float32)
    started = time.perf_counter()
    vectors.upsert(
        [c.chunk_id for c in chunks], matrix, [{"doc_id": c.doc_id, "ordinal": c.ordinal} for c in chunks]
    )
    rows.append(
        {
            "measure": f"Chroma upsert of {SCALE_CHUNKS:,} vectors",
            "value": f"{SCALE_CHUNKS / (time.perf_counter() - started):,.0f} vectors/s",
            "detail": f"load {_load_avg()}",
        }
    )

    queries = [q.q for q in load_questions(QUESTIONS)]
    for q in queries[:5]:
        hub.search(q, K)  # warm-up
    for mode in ("hybrid", "lexical", "dense"):
        samples, cpu = [], time.process_time()
        for query in queries:
            started = time.perf_counter()
            hub.search(query, K, mode)
            samples.append((time.perf_counter() - started) * 1000)
        cpu_ms = (time.process_time() - cpu) * 1000 / len(queries)
        rows.append(
            {
                "measure": f"search p50 / p95 at {SCALE_CHUNKS:,} chunks, {mode} (k={K})",
                "value": f"{percentile(samples, 50):.1f} / {percentile(samples, 95):.1f} ms",
                "detail": f"{len(queries)} queries, {cpu_ms:.1f} ms CPU each, load {_load_avg()}",
            }
        )
    samples = []
    for query in queries:
        started = time.perf_counter()
        embedder.embed_query(hub.dense_text(query))
        samples.append((time.perf_counter() - started) * 1000)
    rows.append(
        {
            "measure": "of which: query embedding p50 / p95",
            "value": f"{percentile(samples, 50):.1f} / {percentile(samples, 95):.1f} ms",
            "detail": f"load {_load_avg()}",
        }
    )
    hub.close()
    return rows


def run() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="chronos-bench-kb-") as tmp:
        base = Path(tmp)
        started = time.perf_counter()
        real = _hub(base / "real")
        rows: list[dict[str, Any]] = [
            {
                "measure": "first start: embedder (incl. one-time ONNX export) + Chroma",
                "value": f"{time.perf_counter() - started:.1f} s",
                "detail": f"{type(real._embedder).__name__}, load {_load_avg()}",
            }
        ]
        started = time.perf_counter()
        OnnxEmbedder("packaged-minilm", base / "real" / "models")
        rows.append(
            {
                "measure": "later starts: ONNX model from the cache",
                "value": f"{time.perf_counter() - started:.1f} s",
                "detail": f"load {_load_avg()}",
            }
        )
        rows.append(_ingest_real(real))
        print_table("Knowledge retrieval quality (tests/data/kb)", _quality(base, real))
        rows += _scale(base, real)
        real.close()
        return rows


if __name__ == "__main__":
    print_table("Knowledge hub", run())
