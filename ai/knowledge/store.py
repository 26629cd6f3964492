"""The chunk store: every searchable chunk with its BM25 tokens, and the BM25 index, on disk.

Layout under the store directory::

    manifest.json          {"generation": 7, "analyzer": "1-…", "chunks": 412, ...}  (written last)
    chunks-7.jsonl         one {"chunk": {...}, "tokens": [...]} per line
    lexical-7/             the bm25s index of generation 7
    .lock                  serialises writers across processes (flock)

Each write produces a new generation: files are written under new names and the manifest is
replaced atomically at the end, so a reader (the bot, while ``chronos kb ingest`` runs) always sees
one consistent generation and picks up the next one with :meth:`ChunkStore.refresh`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import shutil
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ai.knowledge.analysis import Analyzer
from ai.knowledge.lexical import LexicalIndex
from ai.knowledge.types import Chunk

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
_KEEP_GENERATIONS = 2


@dataclass(frozen=True)
class StoredChunk:
    chunk: Chunk
    tokens: tuple[str, ...]


class ChunkStore:
    """Chunks are tokenised by ``analyzer`` when written; a store written by another analyzer
    version is re-tokenised on load (and persisted that way by the next write)."""

    def __init__(self, directory: Path, analyzer: Analyzer) -> None:
        self.directory = directory
        self.analyzer = analyzer
        self.generation = 0
        self._chunks: dict[str, StoredChunk] = {}
        self._by_doc: dict[str, list[str]] = {}
        self.lexical = LexicalIndex.build([], [])
        self._manifest_mtime: float | None = None
        self._reload = threading.Lock()
        directory.mkdir(parents=True, exist_ok=True)
        self.refresh(force=True)

    # Reading

    def __len__(self) -> int:
        return len(self._chunks)

    def get(self, chunk_id: str) -> StoredChunk | None:
        return self._chunks.get(chunk_id)

    def chunk_ids(self) -> set[str]:
        return set(self._chunks)

    def doc_ids(self) -> list[str]:
        return sorted(self._by_doc)

    def document(self, doc_id: str) -> list[Chunk]:
        """The document's chunks in reading order."""
        return [self._chunks[chunk_id].chunk for chunk_id in self._by_doc.get(doc_id, ())]

    def all_chunks(self) -> Iterator[StoredChunk]:
        return iter(self._chunks.values())

    def _read_manifest(self) -> dict[str, object] | None:
        path = self.directory / MANIFEST
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        return loaded if isinstance(loaded, dict) else None

    def refresh(self, *, force: bool = False) -> bool:
        """Reload when another writer published a new generation; True if anything changed."""
        with self._reload:
            return self._refresh(force=force)

    def _refresh(self, *, force: bool) -> bool:
        try:
            mtime = (self.directory / MANIFEST).stat().st_mtime
        except FileNotFoundError:
            mtime = None
        if not force and mtime == self._manifest_mtime:
            return False
        manifest = self._read_manifest()
        self._manifest_mtime = mtime
        if manifest is None:
            return False
        generation = int(str(manifest.get("generation", 0)))
        if not force and generation == self.generation:
            return False
        self._load(generation, analyzer_matches=manifest.get("analyzer") == self.analyzer.fingerprint)
        return True

    def _load(self, generation: int, *, analyzer_matches: bool) -> None:
        chunks: dict[str, StoredChunk] = {}
        with (self.directory / f"chunks-{generation}.jsonl").open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    record = json.loads(line)
                    chunk = Chunk.from_json(record["chunk"])
                    tokens = record["tokens"] if analyzer_matches else self.tokenize(chunk)
                    chunks[chunk.chunk_id] = StoredChunk(chunk, tuple(tokens))
        lexical: LexicalIndex | None = None
        if analyzer_matches:
            try:
                lexical = LexicalIndex.load(self.directory / f"lexical-{generation}")
            except (OSError, ValueError, KeyError) as exc:
                log.warning("BM25 index of generation %s unreadable (%s); rebuilding", generation, exc)
        self._install(generation, chunks, lexical)

    def _install(self, generation: int, chunks: dict[str, StoredChunk], lexical: LexicalIndex | None) -> None:
        by_doc: dict[str, list[str]] = {}
        for stored in sorted(chunks.values(), key=lambda s: (s.chunk.doc_id, s.chunk.ordinal)):
            by_doc.setdefault(stored.chunk.doc_id, []).append(stored.chunk.chunk_id)
        if lexical is None:
            ids = list(chunks)
            lexical = LexicalIndex.build(ids, [chunks[i].tokens for i in ids])
        self.generation, self._chunks, self._by_doc, self.lexical = generation, chunks, by_doc, lexical

    # Writing

    def tokenize(self, chunk: Chunk) -> tuple[str, ...]:
        return tuple(self.analyzer.tokens(chunk.indexed_text()))

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive across processes; reloads the newest generation before the caller changes it."""
        with (self.directory / ".lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                self.refresh()
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def write(
        self,
        replace_docs: Mapping[str, Sequence[Chunk]],
        remove_docs: Sequence[str],
    ) -> None:
        """Publish a new generation: ``replace_docs`` swap all chunks of those documents,
        ``remove_docs`` drop theirs. Call inside :meth:`locked`."""
        if not replace_docs and not remove_docs:
            return
        gone = set(remove_docs) | set(replace_docs)
        chunks = {cid: stored for cid, stored in self._chunks.items() if stored.chunk.doc_id not in gone}
        for doc_chunks in replace_docs.values():
            for chunk in doc_chunks:
                chunks[chunk.chunk_id] = StoredChunk(chunk, self.tokenize(chunk))
        generation = self.generation + 1
        temporary = self.directory / f".chunks-{generation}.jsonl.tmp"
        with temporary.open("w", encoding="utf-8") as handle:
            for stored in chunks.values():
                record = {"chunk": stored.chunk.to_json(), "tokens": list(stored.tokens)}
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.directory / f"chunks-{generation}.jsonl")
        ids = list(chunks)
        lexical = LexicalIndex.build(ids, [chunks[i].tokens for i in ids])
        lexical_dir = self.directory / f"lexical-{generation}"
        shutil.rmtree(lexical_dir, ignore_errors=True)
        lexical.save(lexical_dir)
        manifest = {
            "generation": generation,
            "analyzer": self.analyzer.fingerprint,
            "chunks": len(chunks),
            "documents": len({stored.chunk.doc_id for stored in chunks.values()}),
            "updated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        temporary = self.directory / f".{MANIFEST}.tmp"
        temporary.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, self.directory / MANIFEST)
        self._manifest_mtime = (self.directory / MANIFEST).stat().st_mtime
        self._install(generation, chunks, lexical)
        self._prune_generations(generation)

    def _prune_generations(self, current: int) -> None:
        keep = {current - offset for offset in range(_KEEP_GENERATIONS)}
        for path in self.directory.iterdir():
            stem = path.name.removesuffix(".jsonl")
            prefix, _, number = stem.partition("-")
            if prefix in ("chunks", "lexical") and number.isdigit() and int(number) not in keep:
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
