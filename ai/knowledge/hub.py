"""The knowledge hub: hybrid retrieval (dense + BM25, reciprocal-rank fusion) over the chunk store.

Retrieval (:meth:`KnowledgeHub.search`):

* lexical: BM25 over analysed Persian tokens (:mod:`ai.knowledge.analysis`), top ``candidates``;
* dense: the query embedding against the Chroma collection, top ``candidates`` (ids the chunk store
  no longer holds are dropped, so a stale vector can never surface a deleted passage);
* fusion: reciprocal rank, ``score(c) = Σ weightᵣ / (rrf_k + rankᵣ(c))`` over the retrievers that
  listed ``c`` (Cormack et al. 2009; ``rrf_k`` = 60 by default, ``KB_RRF_K``);
* optional neighbour expansion: each hit carries the passages just before and after it.

Without a working embedder (model missing, still loading, Chroma unreachable) every mode answers
lexically and the result says so. Writes (:meth:`apply`) embed first, then publish a new chunk-store
generation, then update the vectors; :meth:`sync_dense` repairs any difference afterwards.
"""

from __future__ import annotations

import logging
import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ai.knowledge.analysis import words
from ai.knowledge.embeddings import Embedder
from ai.knowledge.lexical import split_fields
from ai.knowledge.store import ChunkStore
from ai.knowledge.types import Chunk, SearchHit, SearchMode
from ai.knowledge.vectors import VectorStore

log = logging.getLogger(__name__)

Progress = Callable[[int], None]
_EMBED_BATCH = 64
_CONFIDENCE_HITS = 3
_PARTIAL_MATCH = 0.5


@dataclass(frozen=True)
class HubSettings:
    rrf_k: int = 60
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    candidates: int = 50
    neighbours: int = 1
    embed_glosses: bool = True
    """Append English glosses of domain terms to what the embedder sees (see analysis.gloss)."""
    min_confidence: float = 0.35
    """Answers and paths below this retrieval confidence become "I don't know" (see confidence())."""


@dataclass(frozen=True)
class SearchResult:
    hits: list[SearchHit]
    requested: SearchMode
    mode: SearchMode
    """The mode actually used: ``lexical`` whenever dense retrieval is unavailable."""
    confidence: float = 0.0


@dataclass(frozen=True)
class HubStatus:
    mode: str
    model: str
    dense_error: str | None
    documents: int
    chunks: int
    vectors: int | None
    generation: int
    store: str
    collection: str | None = None
    embedder: str | None = None
    doc_ids: list[str] = field(default_factory=list)


def _trigrams(word: str) -> set[str]:
    padded = f"#{word}#"
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def rrf(rankings: Sequence[tuple[float, Sequence[str]]], k: int) -> dict[str, float]:
    """Weighted reciprocal-rank fusion of ranked id lists (rank 1 = best)."""
    fused: dict[str, float] = {}
    for weight, ids in rankings:
        for rank, item in enumerate(ids, start=1):
            fused[item] = fused.get(item, 0.0) + weight / (k + rank)
    return fused


class KnowledgeHub:
    def __init__(self, store: ChunkStore, settings: HubSettings | None = None, *, model: str = "") -> None:
        self.store = store
        self.settings = settings or HubSettings()
        self.model = model
        self._embedder: Embedder | None = None
        self._vectors: VectorStore | None = None
        self.dense_error: str | None = "dense retrieval not started"
        self.closed = False
        self._catching_up = False
        """:meth:`sync_dense` is embedding what the vectors lack: answer lexically until it is done."""
        self._missing_vectors = 0

    # Dense side lifecycle

    def attach_dense(self, embedder: Embedder, vectors: VectorStore, *, catching_up: bool = False) -> None:
        """``catching_up``: the caller runs :meth:`sync_dense` next; until it returns, searches stay
        lexical (the collection may lack vectors of passages ingested without an embedder)."""
        if self.closed:
            return
        self._catching_up = catching_up
        self._embedder, self._vectors, self.dense_error = embedder, vectors, None

    def dense_failed(self, reason: str) -> None:
        self._embedder, self._vectors, self.dense_error = None, None, reason
        log.warning("knowledge hub runs lexical-only: %s", reason)

    def close(self) -> None:
        """Detach the dense side and close its vector store client (the chunk store needs nothing)."""
        vectors, self._embedder, self._vectors = self._vectors, None, None
        self.closed = True
        self.dense_error = "closed"
        close = getattr(vectors, "close", None)
        if callable(close):
            close()

    @property
    def dense_ready(self) -> bool:
        return self._embedder is not None and self._vectors is not None and not self._catching_up

    # Writing

    def dense_text(self, text: str) -> str:
        if not self.settings.embed_glosses:
            return text
        gloss = self.store.analyzer.gloss(text)
        return f"{gloss}\n{text}" if gloss else text

    def _embed(self, chunks: Sequence[Chunk], progress: Progress | None) -> np.ndarray | None:
        if self._embedder is None:
            return None
        batches = []
        for start in range(0, len(chunks), _EMBED_BATCH):
            batch = chunks[start : start + _EMBED_BATCH]
            batches.append(self._embedder.embed_passages([self.dense_text(c.indexed_text()) for c in batch]))
            if progress is not None:
                progress(len(batch))
        if not batches:
            return np.zeros((0, self._embedder.dimension), dtype=np.float32)
        return np.concatenate(batches)

    def apply(
        self,
        replace: Mapping[str, Sequence[Chunk]],
        remove: Sequence[str] = (),
        *,
        progress: Progress | None = None,
    ) -> None:
        """Swap all chunks of the documents in ``replace`` and drop the documents in ``remove``."""
        if not replace and not remove:
            return
        with self.store.locked():
            new_chunks = [chunk for chunks in replace.values() for chunk in chunks]
            vectors = self._embed(new_chunks, progress)
            old_ids = {
                chunk.chunk_id for doc_id in (*replace, *remove) for chunk in self.store.document(doc_id)
            }
            self.store.write(replace, remove)
            if self._vectors is not None and vectors is not None:
                if new_chunks:
                    self._vectors.upsert(
                        [c.chunk_id for c in new_chunks],
                        vectors,
                        [{"doc_id": c.doc_id, "ordinal": c.ordinal} for c in new_chunks],
                    )
                stale = sorted(old_ids - {c.chunk_id for c in new_chunks})
                if stale:
                    self._vectors.delete(stale)

    def sync_dense(self, progress: Progress | None = None) -> tuple[int, int]:
        """Embed chunks the vector store lacks and delete vectors of vanished chunks: (added, deleted).

        This is how embeddings follow a lexical-only ingest (the first start of ``chronos up``): the
        bot's warm-up runs it in the background. Embedding happens outside the store's write lock, one
        batch at a time, so a writer (an FAQ approval, ``chronos kb ingest``) waits for one upsert at
        most, never for the whole catch-up; a chunk rewritten meanwhile is not given its old vector
        (the writer embeds the new text itself). While vectors are missing the hub answers lexically
        (:attr:`dense_ready` is False), so a half-filled collection never skews hybrid rankings.
        """
        vectors = self._vectors
        if vectors is None:
            self._catching_up = False
            return 0, 0
        self._catching_up = True
        try:
            with self.store.locked():
                present = vectors.ids()
                wanted = self.store.chunk_ids()
                missing = sorted(wanted - present)
                extra = sorted(present - wanted)
                if extra:
                    vectors.delete(extra)
            added = 0
            for start in range(0, len(missing), _EMBED_BATCH):
                self._missing_vectors = len(missing) - start
                stored = [self.store.get(cid) for cid in missing[start : start + _EMBED_BATCH]]
                batch = [item.chunk for item in stored if item is not None]
                embedded = self._embed(batch, progress)
                if embedded is None or self._vectors is not vectors:  # closed or failed meanwhile
                    break
                with self.store.locked():
                    kept = [(c, row) for c, row in zip(batch, embedded, strict=True) if self._is_current(c)]
                    if kept:
                        vectors.upsert(
                            [c.chunk_id for c, _ in kept],
                            np.stack([row for _, row in kept]),
                            [{"doc_id": c.doc_id, "ordinal": c.ordinal} for c, _ in kept],
                        )
                added += len(kept)
            return added, len(extra)
        finally:
            self._catching_up = False
            self._missing_vectors = 0

    def _is_current(self, chunk: Chunk) -> bool:
        stored = self.store.get(chunk.chunk_id)
        return stored is not None and stored.chunk == chunk

    # Reading

    def document(self, doc_id: str) -> list[Chunk]:
        self.store.refresh()
        return self.store.document(doc_id)

    def _dense_ranking(self, query: str, n: int) -> list[str]:
        if self._embedder is None or self._vectors is None:
            return []
        vector = self._embedder.embed_query(self.dense_text(query))
        return [cid for cid, _ in self._vectors.query(vector, n) if self.store.get(cid) is not None]

    def refresh(self) -> None:
        """Pick up a generation another process published (and, with it, that process's vectors)."""
        if self.store.refresh() and self._vectors is not None:
            self._vectors.reopen()

    def search(
        self, query: str, k: int = 5, mode: SearchMode = "hybrid", *, expand: bool = False
    ) -> SearchResult:
        self.refresh()
        used: SearchMode = mode if self.dense_ready else "lexical"
        n = max(self.settings.candidates, k)
        lexical: list[str] = []
        if used in ("hybrid", "lexical"):
            tokens = self.store.analyzer.tokens(query)
            lexical = [cid for cid, _ in self.store.lexical.search(tokens, n)]
        dense = self._dense_ranking(query, n) if used in ("hybrid", "dense") else []
        fused = rrf(
            [(self.settings.lexical_weight, lexical), (self.settings.dense_weight, dense)],
            self.settings.rrf_k,
        )
        lexical_rank = {cid: rank for rank, cid in enumerate(lexical, start=1)}
        dense_rank = {cid: rank for rank, cid in enumerate(dense, start=1)}
        ordered = sorted(fused, key=lambda cid: (-fused[cid], cid))[:k]
        hits = []
        for cid in ordered:
            stored = self.store.get(cid)
            if stored is None:
                continue
            context = tuple(self._neighbours(stored.chunk)) if expand else ()
            hits.append(
                SearchHit(stored.chunk, fused[cid], dense_rank.get(cid), lexical_rank.get(cid), context)
            )
        return SearchResult(hits, mode, used, self.confidence(query, hits))

    def _neighbours(self, chunk: Chunk) -> list[Chunk]:
        span = self.settings.neighbours
        return [
            other for other in self.store.document(chunk.doc_id) if abs(other.ordinal - chunk.ordinal) <= span
        ]

    def term_weights(self, query: str) -> dict[str, float]:
        """The query's distinct terms with their idf. A term no passage contains weighs the median idf
        of the query's known terms (the rarest possible idf if none is known): unknown words count
        against coverage, but a colloquial filler does not outweigh the words that matter."""
        terms = list(dict.fromkeys(self.store.analyzer.terms(query)))
        idf = self.store.lexical.idf(terms)
        known = [w for w in idf if w > 0]
        rarest = math.log(1 + (max(1, len(self.store)) - 0.5) / 1.5)
        unknown = statistics.median(known) if known else rarest
        return {t: (w if w > 0 else unknown) for t, w in zip(terms, idf, strict=True)}

    def confidence(self, query: str, hits: Sequence[SearchHit]) -> float:
        """How much of the question the best passages cover, from 0 to 1.

        Each distinct query term weighs its BM25 idf (see :meth:`term_weights`); a term counts as
        covered if one of the top passages contains it, and half as covered if a passage word shares
        at least half of its trigrams (a typo or another ending).
        """
        weighted = self.term_weights(query)
        if not weighted or not hits:
            return 0.0
        present: set[str] = set()
        for hit in hits[:_CONFIDENCE_HITS]:
            stored = self.store.get(hit.chunk.chunk_id)
            if stored is not None:
                present.update(split_fields(stored.tokens)[0])
        covered = 0.0
        for term, weight in weighted.items():
            if term in present:
                covered += weight
                continue
            grams = _trigrams(term)
            best = max(
                (len(grams & _trigrams(word)) / len(grams | _trigrams(word)) for word in present),
                default=0.0,
            )
            if best >= _PARTIAL_MATCH:
                covered += weight / 2
        return covered / sum(weighted.values())

    def status(self) -> HubStatus:
        self.store.refresh()
        vectors = self._vectors.count() if self._vectors is not None else None
        collection = getattr(self._vectors, "name", None) if self._vectors is not None else None
        doc_ids = self.store.doc_ids()
        catching_up = (
            f"embedding {self._missing_vectors or 'missing'} passages in the background"
            if self._catching_up
            else None
        )
        return HubStatus(
            mode="hybrid" if self.dense_ready else "lexical-only",
            model=self.model,
            dense_error=self.dense_error or catching_up,
            documents=len(doc_ids),
            chunks=len(self.store),
            vectors=vectors,
            generation=self.store.generation,
            store=str(self.store.directory),
            collection=collection if isinstance(collection, str) else None,
            embedder=type(self._embedder).__name__ if self._embedder is not None else None,
            doc_ids=doc_ids,
        )


def query_words(text: str) -> list[str]:
    """Folded words of a question (before the glossary); empty for emoji-only or blank input."""
    return words(text)
