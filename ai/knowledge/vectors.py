"""Vector storage: the :class:`VectorStore` protocol and its Chroma adapter.

One Chroma collection per embedding model (vectors of two models never mix): its name is derived
from the model name, and ``chronos kb ingest`` (or ``reindex``) fills a new model's collection from
the chunk store. Chroma computes no embeddings here (``embedding_function=None``): vectors always
come from the hub's embedder, so Chroma never tries to download its default model.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

from ai.knowledge.embeddings import Vectors

COLLECTION_PREFIX = "marfanet-kb"
_UNSAFE = re.compile(r"[^a-zA-Z0-9._-]+")


class VectorStore(Protocol):
    def upsert(self, ids: Sequence[str], vectors: Vectors, metadatas: Sequence[dict[str, Any]]) -> None: ...

    def delete(self, ids: Sequence[str]) -> None: ...

    def query(self, vector: Vectors, k: int) -> list[tuple[str, float]]: ...

    def ids(self) -> set[str]: ...

    def count(self) -> int: ...

    def reopen(self) -> None: ...


def collection_name(model: str) -> str:
    slug = _UNSAFE.sub("-", model).strip("-._")[:40] or "model"
    digest = hashlib.sha256(model.encode("utf-8")).hexdigest()[:8]
    return f"{COLLECTION_PREFIX}-{slug}-{digest}"


class ChromaVectorStore:
    """Cosine-space HNSW collection; ``query`` returns (id, cosine similarity), best first.

    ``fingerprint`` names everything that shapes the vectors besides the model (the analyzer's
    glossary and glosses, instruction prefixes). A collection built under another fingerprint is
    dropped and recreated empty; the next ``chronos kb ingest`` re-embeds every chunk into it.

    An embedded (``PersistentClient``) collection keeps its vector index in memory: vectors another
    process writes become visible only to a new client, so :meth:`reopen` makes one (the hub calls
    it when the chunk store moves to a generation written elsewhere). A lock keeps queries off a
    client being replaced.
    """

    def __init__(
        self, client_factory: Callable[[], Any], model: str, dimension: int, *, fingerprint: str = ""
    ) -> None:
        self._factory = client_factory
        self._client = client_factory()
        self._lock = threading.RLock()
        self.name = collection_name(model)
        self._metadata = {"model": model, "dimension": dimension, "fingerprint": fingerprint}
        self._collection = self._open(self._metadata)
        if (self._collection.metadata or {}).get("fingerprint", "") != fingerprint:
            self._client.delete_collection(self.name)
            self._collection = self._open(self._metadata)
        try:
            self._batch = max(1, min(1000, int(self._client.get_max_batch_size())))
        except (AttributeError, TypeError, ValueError):
            self._batch = 500

    def _open(self, metadata: dict[str, Any]) -> Any:
        return self._client.get_or_create_collection(
            self.name,
            embedding_function=None,
            configuration={"hnsw": {"space": "cosine"}},
            metadata=metadata,
        )

    def reopen(self) -> None:
        with self._lock:
            # Close first: Chroma shares one system per path, and a live one would be handed back.
            self._client.close()
            self._client = self._factory()
            self._collection = self._open(self._metadata)

    def upsert(self, ids: Sequence[str], vectors: Vectors, metadatas: Sequence[dict[str, Any]]) -> None:
        with self._lock:
            self._upsert(ids, vectors, metadatas)

    def _upsert(self, ids: Sequence[str], vectors: Vectors, metadatas: Sequence[dict[str, Any]]) -> None:
        for start in range(0, len(ids), self._batch):
            end = start + self._batch
            self._collection.upsert(
                ids=list(ids[start:end]),
                embeddings=np.asarray(vectors[start:end], dtype=np.float32),
                metadatas=list(metadatas[start:end]),
            )

    def delete(self, ids: Sequence[str]) -> None:
        with self._lock:
            for start in range(0, len(ids), self._batch):
                self._collection.delete(ids=list(ids[start : start + self._batch]))

    def query(self, vector: Vectors, k: int) -> list[tuple[str, float]]:
        if k < 1:
            return []
        with self._lock:
            result = self._collection.query(
                query_embeddings=np.asarray(vector, dtype=np.float32).reshape(1, -1),
                n_results=k,
                include=["distances"],
            )
        ids = result["ids"][0]
        distances = (result.get("distances") or [[1.0] * len(ids)])[0]
        return [(str(i), 1.0 - float(d)) for i, d in zip(ids, distances, strict=True)]

    def ids(self) -> set[str]:
        found: set[str] = set()
        offset = 0
        while True:
            with self._lock:
                page = self._collection.get(include=[], limit=5000, offset=offset)
            found.update(page["ids"])
            if len(page["ids"]) < 5000:
                return found
            offset += 5000

    def count(self) -> int:
        with self._lock:
            return int(self._collection.count())

    def close(self) -> None:
        with self._lock:
            self._client.close()
