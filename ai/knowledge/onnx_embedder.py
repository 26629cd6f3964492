"""Embeddings through ONNX Runtime: the same sentence-transformers model, about 3x faster per query.

For models whose sentence-transformers pipeline is Transformer → mean Pooling → Normalize (both the
packaged all-MiniLM-L6-v2 and multilingual-e5 are), the transformer is exported to ONNX once, from
the local model files, into a cache directory (``<data_dir>/models``); later starts load the cached
file in about a second, without importing torch. Tokenisation uses the model's own
``tokenizer.json`` with its truncation length, and pooling and normalisation are done in numpy, so
vectors match the PyTorch pipeline (cosine > 0.9999, tested). Anything unsupported raises
:class:`EmbedderUnavailable`, and the composition root falls back to the PyTorch embedder.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import os
import re
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ai.knowledge.embeddings import EmbedderUnavailable, Vectors, resolve_model_path
from ai.text.persian import normalize

log = logging.getLogger(__name__)

OPSET = 17
_SUPPORTED_MODULES = ("Transformer", "Pooling", "Normalize")
_UNSAFE = re.compile(r"[^a-zA-Z0-9._-]+")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise EmbedderUnavailable(f"cannot read {path.name}: {exc}") from exc


def _check_pipeline(directory: Path) -> int:
    """The model's max sequence length, if its pipeline is one this embedder reproduces exactly."""
    modules = _read_json(directory / "modules.json")
    kinds = tuple(str(module.get("type", "")).rsplit(".", 1)[-1] for module in modules)
    if kinds != _SUPPORTED_MODULES:
        raise EmbedderUnavailable(f"unsupported sentence-transformers pipeline {kinds}")
    pooling = _read_json(directory / str(modules[1].get("path", "1_Pooling")) / "config.json")
    others = ("pooling_mode_cls_token", "pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens")
    if not pooling.get("pooling_mode_mean_tokens") or any(pooling.get(key) for key in others):
        raise EmbedderUnavailable("only mean pooling is supported by the ONNX embedder")
    if not (directory / "tokenizer.json").is_file():
        raise EmbedderUnavailable("the model has no tokenizer.json")
    config = _read_json(directory / "sentence_bert_config.json")
    return int(config.get("max_seq_length", 512))


def _fingerprint(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(directory.rglob("*")):
        if path.is_file() and path.suffix in (".json", ".safetensors", ".bin", ".txt", ".model"):
            stat = path.stat()
            digest.update(f"{path.relative_to(directory)}:{stat.st_size}:{int(stat.st_mtime)}".encode())
    return digest.hexdigest()[:16]


def export_onnx(directory: Path, target: Path) -> None:
    """Export the model's transformer to ``target`` (atomically); needs torch and the onnx package."""
    try:
        importlib.import_module("onnx")
        torch: Any = importlib.import_module("torch")
        transformers: Any = importlib.import_module("transformers")
    except ImportError as exc:
        raise EmbedderUnavailable(f"cannot export to ONNX ({exc.name} is not installed)") from exc
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.tmp")
    # The tracer and transformers comment on data-dependent branches; the outputs are verified.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = transformers.AutoModel.from_pretrained(str(directory), local_files_only=True).eval()
        tokenizer = transformers.AutoTokenizer.from_pretrained(str(directory), local_files_only=True)
        sample = tokenizer(["export sample"], return_tensors="pt")
        names = [name for name in ("input_ids", "attention_mask", "token_type_ids") if name in sample]

        class _Encoder(torch.nn.Module):  # type: ignore[misc]
            def __init__(self) -> None:
                super().__init__()
                self.model = model

            def forward(self, *inputs: Any) -> Any:
                return self.model(**dict(zip(names, inputs, strict=True))).last_hidden_state

        axes = {name: {0: "batch", 1: "sequence"} for name in [*names, "last_hidden_state"]}
        torch.onnx.export(
            _Encoder(),
            tuple(sample[name] for name in names),
            str(partial),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
        )
    os.replace(partial, target)


class OnnxEmbedder:
    """Unit-length float32 vectors from an exported sentence-transformers model on ONNX Runtime."""

    def __init__(
        self,
        model: str,
        cache_dir: Path,
        *,
        query_prefix: str = "",
        passage_prefix: str = "",
        threads: int = 1,
        batch_size: int = 32,
    ) -> None:
        directory = Path(resolve_model_path(model))
        if not directory.is_dir():
            raise EmbedderUnavailable(f"{model!r} is not a local model directory")
        max_length = _check_pipeline(directory)
        slug = _UNSAFE.sub("-", directory.name if model.startswith(("/", ".", "~")) else model).strip("-")
        path = cache_dir / f"{slug[:40]}-{_fingerprint(directory)}.onnx"
        if not path.is_file():
            log.info("exporting %s to ONNX at %s (once)", model, path)
            export_onnx(directory, path)
        try:
            ort: Any = importlib.import_module("onnxruntime")
            tokenizers: Any = importlib.import_module("tokenizers")
        except ImportError as exc:
            raise EmbedderUnavailable(f"{exc.name} is not installed") from exc
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        try:
            self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # a corrupt or incompatible cache file: report, the runtime falls back
            raise EmbedderUnavailable(f"cannot load {path.name}: {exc}") from exc
        self._inputs = [item.name for item in self._session.get_inputs()]
        self._tokenizer = tokenizers.Tokenizer.from_file(str(directory / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=max_length)
        self._tokenizer.enable_padding()
        self._dimension = int(self._session.get_outputs()[0].shape[-1])
        self._name = model
        self.path = path
        self._query_prefix = query_prefix
        self._passage_prefix = passage_prefix
        self._batch_size = batch_size
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._name

    @property
    def dimension(self) -> int:
        return self._dimension

    def _encode(self, texts: list[str]) -> Vectors:
        """Batches of similar lengths (less padding), returned in the input order."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        batches = []
        for start in range(0, len(texts), self._batch_size):
            encodings = self._tokenizer.encode_batch(
                [texts[i] for i in order[start : start + self._batch_size]]
            )
            ids = np.asarray([e.ids for e in encodings], dtype=np.int64)
            mask = np.asarray([e.attention_mask for e in encodings], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            with self._lock:
                hidden = self._session.run(None, {name: feeds[name] for name in self._inputs})[0]
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            batches.append((pooled / np.maximum(norms, 1e-12)).astype(np.float32))
        if not batches:
            return np.zeros((0, self._dimension), dtype=np.float32)
        result = np.empty((len(texts), self._dimension), dtype=np.float32)
        result[order] = np.concatenate(batches)
        return result

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        return self._encode([self._passage_prefix + normalize(text) for text in texts])

    def embed_query(self, text: str) -> Vectors:
        vector: Vectors = self._encode([self._query_prefix + normalize(text)])[0]
        return vector
