"""The zero-shot baseline: cosine similarity of a passage to each code's definition, with a
per-code threshold chosen on the training corpus. Reported beside the trained model."""

from __future__ import annotations

import numpy as np

from ottext.classify.model import THRESHOLD_GRID, _f1
from ottext.codebook import Codebook
from ottext.embed import Embedder


class ZeroShotBaseline:
    """Similarity to code descriptions; ``fit`` only picks thresholds."""

    def __init__(self, codebook: Codebook, embedder: Embedder) -> None:
        self.codebook = codebook
        self.embedder = embedder

    def _scores(self, text_emb: np.ndarray) -> np.ndarray:
        if not hasattr(self, "code_emb_"):
            self.code_emb_ = self.embedder.embed([c.description() for c in self.codebook.codes])
        return text_emb @ self.code_emb_.T

    def fit(self, text_emb: np.ndarray, y: np.ndarray) -> ZeroShotBaseline:
        sims = self._scores(text_emb)
        grid = np.quantile(sims, np.linspace(0.05, 0.95, 37), axis=0)
        self.thresholds_ = np.zeros(len(self.codebook))
        for j in range(len(self.codebook)):
            f1s = [_f1(y[:, j].astype(bool), sims[:, j] >= t) for t in grid[:, j]]
            self.thresholds_[j] = grid[int(np.argmax(f1s)), j]
        return self

    def predict(self, text_emb: np.ndarray) -> np.ndarray:
        labels = (self._scores(text_emb) >= self.thresholds_).astype(np.int8)
        index = {c: j for j, c in enumerate(self.codebook.ids)}
        for code in self.codebook.codes:
            for parent in self.codebook.ancestors(code.id):
                labels[:, index[parent]] |= labels[:, index[code.id]]
        return labels


__all__ = ["THRESHOLD_GRID", "ZeroShotBaseline"]
