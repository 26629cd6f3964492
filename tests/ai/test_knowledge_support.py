"""Helpers shared by the knowledge test modules (ai, crm and bot): real embedder, real Chroma.

The evaluation corpus (the packaged starter documents, crm/starter_kb/documents) is indexed once per test session and shared read-only;
tests that write build their own small hub (the embedder itself is loaded once per process by
``chronos.knowledge_runtime.load_embedder``). This module holds no tests.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from ai.knowledge.hub import KnowledgeHub
from ai.knowledge.loaders import discover, load
from ai.knowledge.prepare import prepare
from chronos.knowledge_runtime import attach_dense, build_hub
from chronos.settings import KnowledgeSettings, Settings
from crm.starter_kb import DOCUMENTS

DATA = Path(__file__).resolve().parents[1] / "data" / "kb"
DOCS = DOCUMENTS  # the evaluation corpus is the product's starter set: one copy
BAD = DATA / "bad"
QUESTIONS = DATA / "questions.jsonl"
MAX_BYTES = 20 * 1_048_576

_SHARED: dict[str, KnowledgeHub] = {}


def kb_settings(data_dir: Path, **overrides: Any) -> Settings:
    return Settings(data_dir=data_dir, knowledge=KnowledgeSettings(**overrides))


def new_hub(data_dir: Path, *, dense: bool = True, **overrides: Any) -> KnowledgeHub:
    settings = kb_settings(data_dir, **overrides)
    hub = build_hub(settings)
    if dense:
        assert attach_dense(hub, settings), hub.dense_error
    return hub


def ingest(hub: KnowledgeHub, paths: Iterable[Path]) -> list[str]:
    prepared = [prepare(load(source, max_bytes=MAX_BYTES)) for source in discover(paths)]
    hub.apply({item.document.doc_id: item.chunks for item in prepared})
    return [item.document.doc_id for item in prepared]


def eval_hub(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeHub:
    """The evaluation corpus in a hybrid hub, built on first use and shared by every module."""
    if "eval" not in _SHARED:
        hub = new_hub(tmp_path_factory.mktemp("kb-eval"))
        ingest(hub, [DOCS])
        _SHARED["eval"] = hub
    return _SHARED["eval"]


def pdf_bytes(lines: list[str] | None) -> bytes:
    """A one-page PDF: with a Helvetica text layer holding ``lines``, or (None) only a drawn box,
    like a scanned page without OCR."""
    if lines is None:
        content = b"0.5 g 72 600 300 120 re f"
    else:
        escaped = [line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for line in lines]
        body = " T* ".join(f"({line}) Tj" for line in escaped)
        content = f"BT /F1 12 Tf 14 TL 72 720 Td {body} ET".encode("latin-1")
    stream = zlib.compress(content)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body_bytes in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body_bytes + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def png_bytes() -> bytes:
    """A tiny valid PNG (binary content for the 'binary file' case)."""
    raw = b"\x00\xff\x00\x00"
    chunk = struct.pack(">I", 13) + b"IHDR" + struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    chunk += struct.pack(">I", zlib.crc32(chunk[4:]))
    data = zlib.compress(raw)
    idat = struct.pack(">I", len(data)) + b"IDAT" + data
    idat += struct.pack(">I", zlib.crc32(idat[4:]))
    iend = struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))
    return b"\x89PNG\r\n\x1a\n" + chunk + idat + iend
