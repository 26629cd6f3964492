"""Composition of the knowledge hub: chunk store + BM25, the embedder and the Chroma client.

The lexical side is ready as soon as :func:`build_hub` returns. The dense side (loading the model
takes tens of seconds on two cores) is attached by :func:`attach_dense`: synchronously for CLI
commands, in a background thread for the bot (:func:`start_warm_up`), so the bot answers lexically
until the model is in. The bot's warm-up then embeds whatever the chunk store holds that the vector
collection lacks (:func:`warm_up`): that is how the starter documents, ingested lexically on the
first ``chronos up`` (:mod:`chronos.starter_knowledge`), get their embeddings without making anyone
wait. Any failure to load the model or reach Chroma leaves the hub lexical-only, with a warning and
the reason in ``chronos kb status``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from ai.knowledge.analysis import Analyzer
from ai.knowledge.embeddings import Embedder, EmbedderUnavailable, SentenceTransformerEmbedder
from ai.knowledge.hub import HubSettings, KnowledgeHub
from ai.knowledge.onnx_embedder import OnnxEmbedder
from ai.knowledge.store import ChunkStore
from ai.knowledge.vectors import ChromaVectorStore
from chronos.settings import Settings
from crm.services import knowledge

if TYPE_CHECKING:
    from aiogram import Dispatcher  # only the bot passes one; `chronos kb` never imports aiogram

log = logging.getLogger(__name__)


def store_dir(settings: Settings) -> Path:
    return settings.resolved_data_dir / "knowledge"


def models_dir(settings: Settings) -> Path:
    """Exported ONNX models (derived from local model files, never downloaded)."""
    return settings.resolved_data_dir / "models"


def chroma_dir(settings: Settings) -> Path:
    return settings.resolved_data_dir / "chroma"


def build_hub(settings: Settings) -> KnowledgeHub:
    """The hub with its chunk store and BM25 loaded; dense retrieval not attached yet."""
    kb = settings.knowledge
    hub_settings = HubSettings(
        rrf_k=kb.rrf_k,
        dense_weight=kb.dense_weight,
        lexical_weight=kb.lexical_weight,
        neighbours=kb.neighbours,
        embed_glosses=kb.embed_glosses,
        min_confidence=kb.min_confidence,
    )
    return KnowledgeHub(ChunkStore(store_dir(settings), Analyzer()), hub_settings, model=kb.embedding_model)


def ingest_options(settings: Settings) -> knowledge.IngestOptions:
    """Limits and chunk sizes for :func:`crm.services.knowledge.ingest_paths`, from KB_* settings."""
    kb = settings.knowledge
    return knowledge.IngestOptions(
        max_bytes=int(kb.max_file_mb * 1_048_576),
        chunk_tokens=kb.chunk_tokens,
        overlap_tokens=min(kb.chunk_overlap, kb.chunk_tokens - 1),
    )


def chroma_client(settings: Settings) -> Any:
    """``HttpClient`` when CHROMA_URL is set, else an embedded ``PersistentClient``; telemetry off."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    url = settings.knowledge.chroma_url
    if url:
        parsed = urlparse(url)
        ssl = parsed.scheme == "https"
        return chromadb.HttpClient(
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or (443 if ssl else 8000),
            ssl=ssl,
            settings=chroma_settings,
        )
    path = chroma_dir(settings)
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


_EMBEDDERS: dict[tuple[str, str, str, int, str], Embedder] = {}
_EMBEDDERS_LOCK = threading.Lock()


def load_embedder(
    model: str, query_prefix: str, passage_prefix: str, threads: int, backend: str, cache_dir: Path
) -> Embedder:
    """Loaded once per process and configuration (``cache_dir`` only matters for the first load);
    failures are not remembered, so a model installed later is picked up by the next attempt. The
    ONNX backend falls back to PyTorch when the model cannot be exported or run there."""
    key = (model, query_prefix, passage_prefix, threads, backend)
    with _EMBEDDERS_LOCK:
        if key in _EMBEDDERS:
            return _EMBEDDERS[key]
        _no_progress_bars()
        embedder: Embedder | None = None
        if backend == "onnx":
            try:
                embedder = OnnxEmbedder(
                    model,
                    cache_dir,
                    query_prefix=query_prefix,
                    passage_prefix=passage_prefix,
                    threads=threads,
                )
            except EmbedderUnavailable as exc:
                log.warning("ONNX embeddings unavailable (%s); using PyTorch", exc)
        if embedder is None:
            embedder = SentenceTransformerEmbedder(
                model, query_prefix=query_prefix, passage_prefix=passage_prefix, threads=threads
            )
        _EMBEDDERS[key] = embedder
        return embedder


def _no_progress_bars() -> None:
    """transformers draws a "Loading weights" bar on stderr while it loads a model: noise in a bot log
    and in CLI output (``chronos kb ingest`` shows its own progress)."""
    from huggingface_hub.utils.tqdm import disable_progress_bars

    disable_progress_bars()  # transformers reads this when it is imported
    transformers = sys.modules.get("transformers")
    if transformers is not None:  # already imported: tell it as well
        transformers.utils.logging.disable_progress_bar()


def attach_dense(hub: KnowledgeHub, settings: Settings, *, catching_up: bool = False) -> bool:
    """Load the embedder and open the vector collection; on failure the hub stays lexical-only.
    ``catching_up``: :meth:`KnowledgeHub.sync_dense` runs next, and searches stay lexical until then."""
    kb = settings.knowledge
    try:
        embedder = load_embedder(
            kb.embedding_model,
            kb.query_prefix,
            kb.passage_prefix,
            kb.embed_threads,
            kb.embed_backend,
            models_dir(settings),
        )
    except EmbedderUnavailable as exc:
        hub.dense_failed(str(exc))
        return False
    try:
        fingerprint = "|".join(
            (
                hub.store.analyzer.fingerprint,
                f"glosses={kb.embed_glosses}",
                kb.query_prefix,
                kb.passage_prefix,
            )
        )
        vectors = ChromaVectorStore(
            lambda: chroma_client(settings), kb.embedding_model, embedder.dimension, fingerprint=fingerprint
        )
    except Exception as exc:  # chromadb raises many types (connection, auth, schema); all mean "no dense"
        hub.dense_failed(f"Chroma unavailable: {type(exc).__name__}: {exc}")
        return False
    if hub.closed:  # the bot stopped while the model was loading
        vectors.close()
        return False
    hub.attach_dense(embedder, vectors, catching_up=catching_up)
    return True


@contextlib.contextmanager
def open_knowledge(settings: Settings, *, dense: bool = True) -> Iterator[KnowledgeHub]:
    """For CLI commands: the hub with dense retrieval attached (or failed) before use."""
    hub = build_hub(settings)
    if dense:
        attach_dense(hub, settings)
    try:
        yield hub
    finally:
        close_hub(hub)


def close_hub(hub: KnowledgeHub) -> None:
    hub.close()


def warm_up(hub: KnowledgeHub, settings: Settings) -> bool:
    """Attach dense retrieval, then embed the passages the collection lacks (and drop vectors of
    vanished ones); searches stay lexical until both are done. False if the hub stays lexical-only."""
    if not attach_dense(hub, settings, catching_up=True):
        return False
    try:
        added, deleted = hub.sync_dense()
    except Exception as exc:  # chromadb raises many types; all mean "no dense" for this process
        if not hub.closed:  # a client closed under it at shutdown is no failure worth a warning
            hub.dense_failed(f"embedding the missing passages failed: {type(exc).__name__}: {exc}")
        return False
    if added or deleted:
        log.info("knowledge hub: embedded %d passages, dropped %d stale vectors", added, deleted)
    return hub.dense_ready


def start_warm_up(hub: KnowledgeHub, settings: Settings) -> threading.Thread:
    """:func:`warm_up` in a daemon thread; the bot keeps answering lexically meanwhile, and shutting
    down never waits for a model that is still loading or passages still being embedded."""
    hub.dense_error = "loading the embedding model"

    thread = threading.Thread(target=warm_up, args=(hub, settings), name="kb-warm-up", daemon=True)
    thread.start()
    return thread


def attach_knowledge(dp: Dispatcher, settings: Settings) -> None:
    """Build the hub when the dispatcher starts (polling, webhook or the console), publish it as
    workflow data ``knowledge``, warm the embedder up in the background, close it on shutdown."""

    async def start_knowledge() -> None:
        hub = await asyncio.to_thread(build_hub, settings)
        dp.workflow_data["knowledge"] = hub
        start_warm_up(hub, settings)

    async def stop_knowledge() -> None:
        hub = dp.workflow_data.pop("knowledge", None)
        if isinstance(hub, KnowledgeHub):
            hub.close()

    dp.startup.register(start_knowledge)
    dp.shutdown.register(stop_knowledge)
