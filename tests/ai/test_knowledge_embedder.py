"""Embedders: ONNX Runtime matches the PyTorch pipeline; a missing model leaves the hub lexical-only."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from ai.knowledge.embeddings import EmbedderUnavailable, SentenceTransformerEmbedder, resolve_model_path
from ai.knowledge.onnx_embedder import OnnxEmbedder
from chronos.knowledge_runtime import attach_dense, build_hub, load_embedder
from tests.ai.test_knowledge_support import kb_settings

pytestmark = pytest.mark.slow

TEXTS = [
    "کاربرم با گوشی سومش وصل نمیشه",
    "wallet charge\n" + "کیف پول نماینده را از بخش افزایش موجودی شارژ کنید. " * 30,
    "v2rayNG",
]


def test_onnx_vectors_match_the_pytorch_pipeline(tmp_path_factory: pytest.TempPathFactory) -> None:
    cache = tmp_path_factory.mktemp("onnx")
    onnx = OnnxEmbedder("packaged-minilm", cache, query_prefix="q: ", passage_prefix="p: ")
    torch = SentenceTransformerEmbedder("packaged-minilm", query_prefix="q: ", passage_prefix="p: ")
    assert onnx.dimension == torch.dimension == 384
    similarity = (onnx.embed_passages(TEXTS) * torch.embed_passages(TEXTS)).sum(axis=1)
    assert np.all(similarity > 0.9999), similarity
    assert float(onnx.embed_query(TEXTS[0]) @ torch.embed_query(TEXTS[0])) > 0.9999
    exported = onnx.path.stat().st_mtime_ns
    again = OnnxEmbedder("packaged-minilm", cache)
    assert again.path == onnx.path
    assert again.path.stat().st_mtime_ns == exported  # exported once, then loaded from the cache
    assert onnx.embed_passages([]).shape == (0, 384)


def test_unsupported_pipelines_are_refused(tmp_path: Path) -> None:
    model = tmp_path / "cls-model"
    shutil.copytree(resolve_model_path("packaged-minilm"), model)
    pooling = model / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text(encoding="utf-8"))
    pooling.write_text(json.dumps(config | {"pooling_mode_cls_token": True}), encoding="utf-8")
    with pytest.raises(EmbedderUnavailable, match="mean pooling"):
        OnnxEmbedder(str(model), tmp_path / "cache")
    with pytest.raises(EmbedderUnavailable, match="not a local model directory"):
        OnnxEmbedder("intfloat/multilingual-e5-small", tmp_path / "cache")


def test_a_model_that_cannot_load_leaves_the_hub_lexical_only(tmp_path: Path) -> None:
    settings = kb_settings(tmp_path, embedding_model=str(tmp_path / "no-such-model"))
    hub = build_hub(settings)
    assert not attach_dense(hub, settings)
    status = hub.status()
    assert status.mode == "lexical-only"
    assert status.dense_error is not None
    assert "no-such-model" in status.dense_error
    assert hub.search("کیف پول", mode="hybrid").mode == "lexical"
    with pytest.raises(EmbedderUnavailable):
        load_embedder(str(tmp_path / "no-such-model"), "", "", 1, "torch", tmp_path)
